package dev.tandem.proxy.tls;

import dev.tandem.conf.CertificateConfig;
import dev.tandem.conf.ConfigCheck;
import dev.tandem.conf.ConfigError;
import dev.tandem.conf.ListenerConfig;
import dev.tandem.conf.Snapshot;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks every listener's certificates as {@code tandem check}, start-up and reloads see them: each file
 * exists and is PEM, the key is supported and matches its certificate (errors, at the {@code cert} or
 * {@code key} entry of the config). An expired certificate, or one not yet valid, is a warning: it is still
 * served, because refusing the whole config would take every other site down with it. Per-node certificates
 * ({@code tls.per_node}) are checked for every node whose files are on this host: another node's, absent
 * here, is no error.
 */
public final class TlsCheck implements ConfigCheck {

    private final Clock clock;

    public TlsCheck(Clock clock) {
        this.clock = clock;
    }

    public TlsCheck() {
        this(Clock.systemUTC());
    }

    @Override
    public List<ConfigError> check(Snapshot snapshot) {
        return run(snapshot, false);
    }

    @Override
    public List<ConfigError> warnings(Snapshot snapshot) {
        return run(snapshot, true);
    }

    private List<ConfigError> run(Snapshot snapshot, boolean warnings) {
        List<ConfigError> out = new ArrayList<>();
        List<ListenerConfig> listeners = snapshot.config().listeners();
        Instant now = clock.instant();
        for (int i = 0; i < listeners.size(); i++) {
            ListenerConfig l = listeners.get(i);
            if (l.tls().isEmpty()) {
                continue;
            }
            List<CertificateConfig> certs = l.tls().get().certificates();
            for (int j = 0; j < certs.size(); j++) {
                check(snapshot, "listeners[" + i + "].tls.certificates[" + j + "]", certs.get(j), warnings, now, out);
            }
            for (var e : l.tls().get().perNode().entrySet()) {
                List<CertificateConfig> own = e.getValue();
                for (int j = 0; j < own.size(); j++) {
                    CertificateConfig c = own.get(j);
                    // Another node's certificate need not be on this host (a region's own), so one that is
                    // absent here is left to that node's check; one that is here is checked like any other.
                    if (!Files.exists(c.cert()) && !Files.exists(c.key())) {
                        continue;
                    }
                    check(snapshot, "listeners[" + i + "].tls.per_node." + e.getKey() + "[" + j + "]", c, warnings, now, out);
                }
            }
        }
        return out;
    }

    private static void check(Snapshot snapshot, String at, CertificateConfig c, boolean warnings, Instant now,
                              List<ConfigError> out) {
        try {
            LoadedCertificate loaded = CertificateFiles.load(c);
            String warning = warnings ? dateWarning(loaded, now) : null;
            if (warning != null) {
                out.add(snapshot.sources().error(at + ".cert", at + ".cert: " + c.cert() + ": " + warning));
            }
        } catch (CertificateProblem e) {
            if (!warnings) {
                String key = e.file().equals(c.key()) && !e.file().equals(c.cert()) ? ".key" : ".cert";
                out.add(snapshot.sources().error(at + key, at + key + ": " + e.getMessage()));
            }
        }
    }

    /** An expired certificate, or one not yet valid, as the warning says it; null when it is valid now. */
    private static String dateWarning(LoadedCertificate loaded, Instant now) {
        if (loaded.notAfter().isBefore(now)) {
            return "the certificate for " + loaded.name() + " expired at " + loaded.notAfter() + " (served all the same)";
        }
        if (loaded.leaf().getNotBefore().toInstant().isAfter(now)) {
            return "the certificate for " + loaded.name() + " is not valid before "
                    + loaded.leaf().getNotBefore().toInstant() + " (served all the same)";
        }
        return null;
    }

    /** What {@link #checkPair} found: errors refuse the pair, warnings (dates) do not. */
    public record PairCheck(List<String> errors, List<String> warnings) {
    }

    /**
     * The check of {@code tandem check} on one pair, with {@code cert} and {@code key} as the contents of its
     * files: errors as {@code FILE: reason}, and the date warnings.
     */
    public PairCheck checkPair(CertificateConfig pair, byte[] cert, byte[] key) {
        try {
            LoadedCertificate loaded = CertificateFiles.load(pair, cert, key);
            String warning = dateWarning(loaded, clock.instant());
            return new PairCheck(List.of(), warning == null ? List.of() : List.of(pair.cert() + ": " + warning));
        } catch (CertificateProblem e) {
            return new PairCheck(List.of(e.getMessage()), List.of());
        }
    }
}
