package dev.tandem.node.wiring;

import dev.tandem.conf.CertificateConfig;
import dev.tandem.conf.ListenerConfig;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.ProxyServer;
import dev.tandem.proxy.tls.ListenerTls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Certificates and keys the mirror wrote, read again by the TLS listeners that serve them. The proxy's own
 * certificate watcher sees such writes too (inotify on their directories); this does not rest on it: the
 * listeners are told once the mirror's round is complete (a certificate and its key together), and before
 * the elections begin after the first sync, so that a node never takes a VIP serving an old certificate.
 */
final class MirroredCertificates {

    private static final Logger log = LoggerFactory.getLogger(MirroredCertificates.class);

    private final ProxyServer proxy;
    /** Files of listeners' certificates the mirror changed since they were last read again. */
    private final Set<Path> changed = ConcurrentHashMap.newKeySet();
    private volatile InForce files = new InForce(null, Map.of());

    /** The certificate and key files of a snapshot's TLS listeners: listener name by file (as named, and real). */
    private record InForce(Snapshot snapshot, Map<Path, Set<String>> listeners) {
    }

    MirroredCertificates(ProxyServer proxy) {
        this.proxy = proxy;
    }

    /** The mirror wrote or deleted {@code written} while {@code inForce} is the config in force (its thread). */
    void changed(Snapshot inForce, Collection<Path> written) {
        Map<Path, Set<String>> byFile = filesOf(inForce).listeners();
        if (byFile.isEmpty()) {
            return;
        }
        for (Path p : written) {
            if (byFile.containsKey(p.toAbsolutePath().normalize())) {
                changed.add(p.toAbsolutePath().normalize());
            }
        }
    }

    /** Whether some listener has a changed file to read. */
    boolean pending() {
        return !changed.isEmpty();
    }

    /** Reads again the certificates of every listener one of whose files changed (the control thread). */
    void reload(Snapshot inForce) {
        Map<Path, Set<String>> byFile = filesOf(inForce).listeners();
        Set<String> listeners = new HashSet<>();
        for (Path p : Set.copyOf(changed)) {
            changed.remove(p);
            listeners.addAll(byFile.getOrDefault(p, Set.of()));
        }
        for (String name : listeners) {
            ListenerTls tls = proxy.tls(name);
            if (tls != null) {
                log.info("listener {}: certificate files written by the mirror: reading them again", name);
                tls.reloadFromDisk();
            }
        }
    }

    private InForce filesOf(Snapshot inForce) {
        InForce f = files;
        if (f.snapshot() == inForce) {
            return f;
        }
        Map<Path, Set<String>> byFile = new LinkedHashMap<>();
        for (ListenerConfig l : inForce.config().listeners()) {
            if (l.tls().isEmpty()) {
                continue;
            }
            for (CertificateConfig c : l.tls().get().allCertificates()) {
                for (Path p : new Path[]{c.cert(), c.key()}) {
                    Path abs = p.toAbsolutePath().normalize();
                    byFile.computeIfAbsent(abs, x -> new HashSet<>()).add(l.name());
                    try {
                        // the mirror names files by their real path (a link to a mirrored file is followed)
                        if (Files.exists(abs)) {
                            byFile.computeIfAbsent(abs.toRealPath(), x -> new HashSet<>()).add(l.name());
                        }
                    } catch (IOException e) {
                        // as named only
                    }
                }
            }
        }
        f = new InForce(inForce, byFile);
        files = f;
        return f;
    }
}
