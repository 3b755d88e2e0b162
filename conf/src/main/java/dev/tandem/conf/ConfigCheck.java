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
}
