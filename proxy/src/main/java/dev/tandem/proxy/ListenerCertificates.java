package dev.tandem.proxy;

import dev.tandem.conf.ListenerConfig;
import dev.tandem.proxy.tls.CertificateProblem;
import dev.tandem.proxy.tls.CertificateWatcher;
import dev.tandem.proxy.tls.ListenerTls;
import dev.tandem.proxy.tls.ServerTlsContexts;
import dev.tandem.proxy.tls.SessionTickets;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The certificates of each TLS listener by name, the TLS contexts and session tickets they share, and the
 * watcher that reads them again when their files change. Changed under {@link ProxyServer}'s lock; read by the
 * certificate watcher's thread too.
 */
final class ListenerCertificates {

    /** How long certificate files must stay untouched after a change before they are read. */
    private static final Duration CERTIFICATE_QUIET = Duration.ofMillis(200);

    private final MeterRegistry meters;
    private final Map<String, ListenerTls> tls = new ConcurrentHashMap<>();
    private final SessionTickets tickets = new SessionTickets();
    /** The tickets' rotation on the current start's loops, or null. */
    private ScheduledFuture<?> rotation;
    private ServerTlsContexts tlsContexts;
    private CertificateWatcher certificateWatcher;

    ListenerCertificates(MeterRegistry meters) {
        this.meters = meters;
    }

    /** The certificates listener {@code name} serves now, or null when it has no TLS. */
    ListenerTls get(String name) {
        return tls.get(name);
    }

    /**
     * Reads the certificates of every TLS listener of {@code listeners}: those of listeners in force again (a
     * config reload is also a certificate reload), the others for the first time.
     *
     * @param loops where the session tickets rotate, once the first TLS listener needs them
     * @return the certificates read for the first time, to {@link #forget} if the reload fails later
     * @throws IOException when a listener's certificates cannot be served; those this call read first are closed
     */
    Map<String, ListenerTls> load(List<ListenerConfig> listeners, String nodeName, EventLoopGroup loops) throws IOException {
        Map<String, ListenerTls> newTls = new LinkedHashMap<>();
        for (ListenerConfig l : listeners) {
            if (l.tls().isEmpty()) {
                continue;
            }
            try {
                ListenerTls current = tls.get(l.name());
                if (current != null) {
                    current.update(l.tls().get().forNode(nodeName));
                } else {
                    newTls.put(l.name(), ListenerTls.load(l.name(), l.tls().get().forNode(nodeName), tlsContexts(loops), meters));
                }
            } catch (CertificateProblem e) {
                newTls.values().forEach(ListenerTls::close);
                throw new IOException("listener " + l.name() + ": " + e.getMessage(), e);
            }
        }
        tls.putAll(newTls);
        return newTls;
    }

    /** The reload that {@link #load}ed {@code loaded} failed: they are closed and forgotten. */
    void forget(Map<String, ListenerTls> loaded) {
        loaded.forEach((name, t) -> {
            tls.remove(name);
            t.close();
        });
    }

    /**
     * Closes the certificates of listeners that are no longer TLS listeners of {@code listeners}, and watches the
     * directories of those in force.
     */
    void retain(List<ListenerConfig> listeners) throws IOException {
        tls.entrySet().removeIf(t -> {
            boolean gone = listeners.stream().noneMatch(l -> l.name().equals(t.getKey()) && l.secure());
            if (gone) {
                t.getValue().close();
            }
            return gone;
        });
        watchCertificates();
    }

    /** Stops watching and rotating, and closes every listener's certificates. */
    void close() {
        if (rotation != null) {
            rotation.cancel(false);
            rotation = null;
        }
        if (certificateWatcher != null) {
            certificateWatcher.close();
            certificateWatcher = null;
        }
        tls.values().forEach(ListenerTls::close);
        tls.clear();
    }

    /**
     * Made when the first TLS listener needs it, so that a plaintext-only node says nothing about TLS. The
     * tickets rotate on the loops of the current start: a stop cancels the rotation, and the first TLS listener
     * of the next start schedules it again on that start's loops.
     */
    private ServerTlsContexts tlsContexts(EventLoopGroup loops) {
        if (tlsContexts == null) {
            tlsContexts = ServerTlsContexts.create(tickets);
        }
        if (rotation == null) {
            rotation = loops.next().scheduleAtFixedRate(tickets::rotate, SessionTickets.ROTATION_HOURS,
                    SessionTickets.ROTATION_HOURS, TimeUnit.HOURS);
        }
        return tlsContexts;
    }

    /** Whether the session tickets rotate now (they do from the first TLS listener until a stop). */
    boolean rotating() {
        return rotation != null && !rotation.isDone();
    }

    /** Watches the directories of every certificate and key in force (started with the first TLS listener). */
    private void watchCertificates() throws IOException {
        Set<Path> dirs = new HashSet<>();
        tls.values().forEach(t -> dirs.addAll(t.directories()));
        if (certificateWatcher == null && !dirs.isEmpty()) {
            certificateWatcher = new CertificateWatcher(CERTIFICATE_QUIET, this::reloadCertificates);
        }
        if (certificateWatcher != null) {
            certificateWatcher.watch(dirs);
        }
    }

    /** Reads every listener's certificates again where their files changed (the watcher's thread). */
    private void reloadCertificates() {
        tls.values().forEach(ListenerTls::reloadFromDisk);
    }
}
