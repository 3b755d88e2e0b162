package dev.tandem.conf;

import java.util.List;

/** TLS for a listener: the certificates offered, chosen by SNI from their names. */
public record TlsConfig(List<CertificateConfig> certificates) {

    public TlsConfig {
        certificates = List.copyOf(certificates);
    }
}
