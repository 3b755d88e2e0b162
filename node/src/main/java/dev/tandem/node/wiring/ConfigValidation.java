package dev.tandem.node.wiring;

import dev.tandem.cluster.ClusterCheck;
import dev.tandem.cluster.mirror.MirrorCheck;
import dev.tandem.conf.ConfigCheck;
import dev.tandem.conf.ConfigError;
import dev.tandem.conf.ConfigException;
import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.guard.SiteRulesCheck;
import dev.tandem.proxy.statics.StaticRootCheck;
import dev.tandem.proxy.tls.TlsCheck;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a config must pass before it runs: the parser's validation, then each module's checks of the
 * files the config names. {@code tandem check}, start-up and every reload go through here, so they agree.
 */
public final class ConfigValidation {

    private static final Logger log = LoggerFactory.getLogger(ConfigValidation.class);

    private final List<ConfigCheck> checks;

    ConfigValidation(List<ConfigCheck> checks) {
        this.checks = List.copyOf(checks);
    }

    /** The checks of every module that owns files named in the config. */
    public static ConfigValidation standard() {
        return new ConfigValidation(
                List.of(new StaticRootCheck(), new ClusterCheck(), new MirrorCheck(), new TlsCheck(),
                        new SiteRulesCheck()));
    }

    /**
     * Loads and validates {@code file}.
     *
     * @throws ConfigException with every error, from the parser or from the checks
     * @throws IOException     when the file cannot be read
     */
    public Snapshot load(Path file, long version) throws IOException, ConfigException {
        return checked(ConfigLoader.load(file, version));
    }

    /** Runs the module checks on a parsed snapshot; the snapshot when they all pass. */
    Snapshot checked(Snapshot snapshot) throws ConfigException {
        List<ConfigError> errors = new ArrayList<>();
        for (ConfigCheck check : checks) {
            errors.addAll(check.check(snapshot));
        }
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        return snapshot;
    }

    /** {@link #checked}, then the warnings to the log: what start-up and reloads run. */
    Snapshot checkedAndWarned(Snapshot snapshot) throws ConfigException {
        checked(snapshot);
        for (ConfigError warning : warnings(snapshot)) {
            log.warn("{}", warning);
        }
        return snapshot;
    }

    /** What the checks say is wrong but does not stop the config (an expired certificate), in file order. */
    public List<ConfigError> warnings(Snapshot snapshot) {
        List<ConfigError> warnings = new ArrayList<>();
        for (ConfigCheck check : checks) {
            warnings.addAll(check.warnings(snapshot));
        }
        warnings.sort(null);
        return warnings;
    }
}
