package dev.tandem.conf;

import java.util.List;

/**
 * A check of what a config names outside itself (a secret file, certificates, a static root), run by its
 * owner after parsing, by {@code tandem check}, and before any reload is applied.
 */
@FunctionalInterface
public interface ConfigCheck {

    /** Every problem found, placed with {@link Snapshot#sources()}; empty when all is well. */
    List<ConfigError> check(Snapshot snapshot);

    /**
     * What is worth saying but does not stop the config from running (an expired certificate is still
     * served): logged at start-up and on reload, and printed by {@code tandem check}, which still exits 0.
     */
    default List<ConfigError> warnings(Snapshot snapshot) {
        return List.of();
    }
}
