package dev.tandem.proxy.tls;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How every server-side TLS context of Tandem is made: OpenSSL (BoringSSL, from netty-tcnative) when it
 * loads on this machine, the JDK's provider otherwise; TLS 1.2 and 1.3 only; forward-secret AEAD suites
 * only (ECDHE with AES-GCM or ChaCha20-Poly1305 for 1.2, the 1.3 suites); ALPN offering {@code h2} then
 * {@code http/1.1}.
 *
 * <p>Session resumption: under OpenSSL by session tickets whose keys Tandem sets and rotates
 * ({@link SessionTickets}), so that they survive certificate reloads and work across every certificate of the
 * process; under the JDK by its session cache (and its own TLS 1.3 tickets).
 */
public final class ServerTlsContexts {

    private static final Logger log = LoggerFactory.getLogger(ServerTlsContexts.class);

    static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    /** The 1.3 suites, then the ECDHE + AEAD suites of 1.2; as {@link Http2SecurityUtil#CIPHERS} less its extras. */
    static final List<String> CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    static final int SESSION_CACHE_SIZE = 20_000;
    static final int SESSION_TIMEOUT_SECONDS = 3600;

    private static final ApplicationProtocolConfig ALPN = new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1);

    private final SslProvider provider;
    private final SessionTickets tickets;

    private ServerTlsContexts(SslProvider provider, SessionTickets tickets) {
        this.provider = provider;
        this.tickets = tickets;
    }

    /** OpenSSL when available (the {@code tandem.tls.provider=jdk} system property forces the JDK's), logged once. */
    public static ServerTlsContexts create(SessionTickets tickets) {
        boolean forceJdk = "jdk".equalsIgnoreCase(System.getProperty("tandem.tls.provider"));
        if (!forceJdk && OpenSsl.isAvailable()) {
            log.info("TLS: {} (OpenSSL via netty-tcnative), session tickets with rotating keys", OpenSsl.versionString());
            return new ServerTlsContexts(SslProvider.OPENSSL, tickets);
        }
        Throwable why = OpenSsl.unavailabilityCause();
        log.info("TLS: the JDK provider{}, session cache", forceJdk ? " (tandem.tls.provider=jdk)"
                : " (OpenSSL unavailable: " + (why == null ? "unknown" : why.getMessage()) + ")");
        return new ServerTlsContexts(SslProvider.JDK, tickets);
    }

    public SslProvider provider() {
        return provider;
    }

    /** A server context for {@code certificate}. */
    SslContext build(LoadedCertificate certificate) throws CertificateProblem {
        try {
            SslContext context = SslContextBuilder
                    .forServer(certificate.key(), certificate.chain().toArray(new X509Certificate[0]))
                    .sslProvider(provider)
                    .protocols(PROTOCOLS)
                    .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(ALPN)
                    .sessionCacheSize(SESSION_CACHE_SIZE)
                    .sessionTimeout(SESSION_TIMEOUT_SECONDS)
                    .build();
            if (context.sessionContext() instanceof OpenSslSessionContext openssl) {
                tickets.install(openssl);
            }
            return context;
        } catch (SSLException | RuntimeException e) {
            throw new CertificateProblem(certificate.certFile(), "cannot be used for TLS: " + e.getMessage());
        }
    }
}
