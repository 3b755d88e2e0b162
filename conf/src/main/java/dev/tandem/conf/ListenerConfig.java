package dev.tandem.conf;

import java.util.Optional;

/** A client-facing listener: an address to bind, plaintext or TLS. */
public record ListenerConfig(String name, HostPort bind, Optional<TlsConfig> tls) {

    public boolean secure() {
        return tls.isPresent();
    }
}
