package dev.tandem.cluster;

import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.ConfigCheck;
import dev.tandem.conf.ConfigError;
import dev.tandem.conf.Snapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The files {@code cluster} names: the secret file must exist, be readable and hold at least
 * {@value ClusterKeys#MIN_SECRET_BYTES} bytes; the notify script must be an executable file. Reported at the
 * value in the config file, like the parser's errors. The DNS TSIG key file must be readable and hold a base64
 * secret.
 */
public final class ClusterCheck implements ConfigCheck {

    @Override
    public List<ConfigError> check(Snapshot snapshot) {
        Optional<ClusterConfig> cluster = snapshot.config().cluster();
        if (cluster.isEmpty()) {
            return List.of();
        }
        List<ConfigError> errors = new ArrayList<>();
        String problem = ClusterKeys.problem(cluster.get().secretFile());
        if (problem != null) {
            errors.add(snapshot.sources().error("cluster.secret_file", "cluster.secret_file: " + problem));
        }
        cluster.get().notifyScript().ifPresent(script -> {
            String p = scriptProblem(script);
            if (p != null) {
                errors.add(snapshot.sources().error("cluster.notify", "cluster.notify: " + script + ": " + p));
            }
        });
        cluster.get().dns().ifPresent(dns -> {
            String p = dev.tandem.cluster.dns.TsigSecret.problem(dns.tsig().secretFile());
            if (p != null) {
                errors.add(snapshot.sources().error("cluster.dns.tsig.secret_file",
                        "cluster.dns.tsig.secret_file: " + dns.tsig().secretFile() + ": " + p));
            }
        });
        return errors;
    }

    private static String scriptProblem(Path script) {
        if (!Files.exists(script)) {
            return "no such file (expected: an executable script, called with VIP STATE)";
        }
        if (!Files.isRegularFile(script)) {
            return "not a file (expected: an executable script, called with VIP STATE)";
        }
        if (!Files.isExecutable(script)) {
            return "not executable (expected: an executable script; chmod +x it)";
        }
        return null;
    }
}
