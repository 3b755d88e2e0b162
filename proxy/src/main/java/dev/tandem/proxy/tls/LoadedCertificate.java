package dev.tandem.proxy.tls;

import dev.tandem.conf.CertificateConfig;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * A certificate chain and its key as read from disk, checked to belong together, with the names it serves.
 *
 * @param names lowercased DNS names from the leaf's subject alternative names (its common name when it has
 *              none), possibly wildcards such as {@code *.example.com}
 */
public record LoadedCertificate(CertificateConfig source, List<X509Certificate> chain, PrivateKey key, List<String> names) {

    public LoadedCertificate {
        chain = List.copyOf(chain);
        names = List.copyOf(names);
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    /** The name to show in logs and metrics: the first of {@link #names()}, or the subject when there is none. */
    public String name() {
        return names.isEmpty() ? leaf().getSubjectX500Principal().getName() : names.get(0);
    }

    public Instant notAfter() {
        return leaf().getNotAfter().toInstant();
    }

    public Path certFile() {
        return source.cert();
    }

    public Path keyFile() {
        return source.key();
    }
}
