package dev.tandem.proxy.tls;

import dev.tandem.conf.CertificateConfig;
import dev.tandem.conf.TlsConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.SslContext;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificates of one TLS listener as they are served now. A new connection reads {@link #mapping()}
 * once, in its SNI step; a reload (config reload or a certificate file changed on disk) builds a complete new
 * mapping off the event loops and swaps it in, so the next connection gets the new certificates and those
 * under way keep theirs. A reload that fails keeps what is served: the error names the file and why, and
 * {@code tandem_tls_certificate_reloads_total{result="error"}} counts it.
 */
public final class ListenerTls {

    private static final Logger log = LoggerFactory.getLogger(ListenerTls.class);

    private final String listener;
    private final ServerTlsContexts contexts;
    private final MeterRegistry meters;
    private final Counter reloadsOk;
    private final Counter reloadsFailed;
    private final List<Gauge> expiry = new ArrayList<>();
    private volatile SniMapping mapping;
    private volatile List<SslContext> sslContexts = List.of();
    private TlsConfig config;
    private List<LoadedCertificate> loaded = List.of();
    /** SHA-256 of the cert and key files behind {@link #mapping}: a file event that changed nothing is ignored. */
    private byte[] fingerprint;

    private ListenerTls(String listener, ServerTlsContexts contexts, MeterRegistry meters) {
        this.listener = listener;
        this.contexts = contexts;
        this.meters = meters;
        this.reloadsOk = reloads(meters, listener, "ok");
        this.reloadsFailed = reloads(meters, listener, "error");
    }

    /**
     * Loads the certificates of {@code config} for listener {@code listener} (blocking: not on an event loop).
     *
     * @throws CertificateProblem for the first certificate or key that cannot be used
     */
    public static ListenerTls load(String listener, TlsConfig config, ServerTlsContexts contexts, MeterRegistry meters)
            throws CertificateProblem {
        ListenerTls tls = new ListenerTls(listener, contexts, meters);
        tls.update(config);
        return tls;
    }

    private static Counter reloads(MeterRegistry meters, String listener, String result) {
        return Counter.builder("tandem.tls.certificate.reloads")
                .description("Certificate reloads (file change or config reload), by result: ok, or error (the "
                        + "certificates served before stay in force)")
                .tag("listener", listener).tag("result", result)
                .register(meters);
    }

    public String listener() {
        return listener;
    }

    /** The SNI mapping in force; what a new connection's handshake uses. */
    public SniMapping mapping() {
        return mapping;
    }

    /** The certificates served now, in config order. */
    public synchronized List<LoadedCertificate> certificates() {
        return loaded;
    }

    /** Every directory that holds a certificate or key file of this listener. */
    public synchronized Set<Path> directories() {
        Set<Path> dirs = new HashSet<>();
        for (CertificateConfig c : config.certificates()) {
            dirs.add(c.cert().toAbsolutePath().getParent());
            dirs.add(c.key().toAbsolutePath().getParent());
        }
        return dirs;
    }

    /**
     * Serves the certificates of {@code next} (a config reload): all of them, or, when one cannot be used,
     * none, keeping what was served.
     *
     * @throws CertificateProblem naming the file that failed
     */
    public synchronized void update(TlsConfig next) throws CertificateProblem {
        try {
            swap(next, fingerprint(next));
        } catch (CertificateProblem e) {
            reloadsFailed.increment();
            throw e;
        }
    }

    /**
     * Reads the files again after a change on disk; does nothing when their content is unchanged. A failure
     * is logged and counted, and the certificates served before stay in force.
     */
    public synchronized void reloadFromDisk() {
        try {
            byte[] now = fingerprint(config);
            if (MessageDigest.isEqual(now, fingerprint)) {
                return;
            }
            swap(config, now);
            log.info("listener {}: certificates reloaded from disk ({})", listener, describe(loaded));
        } catch (CertificateProblem e) {
            reloadsFailed.increment();
            log.error("listener {}: certificate reload failed, the previous certificates stay in force: {}: {}",
                    listener, e.file(), e.reason());
        }
    }

    private void swap(TlsConfig next, byte[] nextFingerprint) throws CertificateProblem {
        List<LoadedCertificate> certs = new ArrayList<>();
        List<Map.Entry<List<String>, SslContext>> built = new ArrayList<>();
        for (CertificateConfig c : next.certificates()) {
            LoadedCertificate cert = CertificateFiles.load(c);
            certs.add(cert);
            built.add(new AbstractMap.SimpleImmutableEntry<>(cert.names(), contexts.build(cert)));
        }
        mapping = new SniMapping(built);
        sslContexts = built.stream().map(Map.Entry::getValue).toList();
        boolean first = config == null;
        config = next;
        loaded = List.copyOf(certs);
        fingerprint = nextFingerprint;
        if (!first) {
            reloadsOk.increment();
        }
        expiry.forEach(meters::remove);
        expiry.clear();
        Instant now = Instant.now();
        for (LoadedCertificate cert : certs) {
            expiry.add(Gauge.builder("tandem.tls.certificate.expiry.timestamp.seconds", cert, c -> c.notAfter().getEpochSecond())
                    .description("When a served certificate expires (notAfter), in seconds since the epoch")
                    .tag("listener", listener).tag("name", cert.name())
                    .strongReference(true)
                    .register(meters));
            // The first name this timestamp had; kept so that existing alerts go on working (metrics are
            // extended, never renamed).
            expiry.add(Gauge.builder("tandem.tls.certificate.expiry.seconds", cert, c -> c.notAfter().getEpochSecond())
                    .description("Deprecated name of tandem_tls_certificate_expiry_timestamp_seconds (the same value)")
                    .tag("listener", listener).tag("name", cert.name())
                    .strongReference(true)
                    .register(meters));
            if (cert.notAfter().isBefore(now)) {
                log.warn("listener {}: certificate {} ({}) expired at {}; still served", listener, cert.name(),
                        cert.certFile(), cert.notAfter());
            }
        }
    }

    /**
     * Handshakes that resumed an earlier session (by ticket or from the cache) on the contexts in force, or -1
     * where the provider does not count them (the JDK's).
     */
    public long resumedHandshakes() {
        long n = 0;
        for (SslContext c : sslContexts) {
            if (!(c.sessionContext() instanceof OpenSslSessionContext openssl)) {
                return -1;
            }
            // From the session cache (TLS 1.2 session ids), and by the ticket keys Tandem set (TLS 1.2 and 1.3).
            n += openssl.stats().hits() + openssl.stats().ticketKeyResume();
        }
        return n;
    }

    /** Stops publishing this listener's certificate gauges (the listener is gone). */
    public synchronized void close() {
        expiry.forEach(meters::remove);
        expiry.clear();
    }

    private static byte[] fingerprint(TlsConfig config) throws CertificateProblem {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (CertificateConfig c : config.certificates()) {
                for (Path p : List.of(c.cert(), c.key())) {
                    digest.update(CertificateFiles.read(p));
                }
            }
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String describe(List<LoadedCertificate> certs) {
        return String.join(", ", certs.stream().map(c -> c.name() + " until " + c.notAfter()).toList());
    }
}
