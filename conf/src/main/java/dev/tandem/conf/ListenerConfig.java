package dev.tandem.conf;

import java.util.Optional;

/**
 * A client-facing listener: an address to bind, plaintext or TLS.
 *
 * @param redirectHttps plaintext listeners only: answer every request with a 301 to its https:// address
 * @param hsts          TLS listeners only: the Strict-Transport-Security header added to every response
 */
public record ListenerConfig(String name, HostPort bind, Optional<TlsConfig> tls, Optional<HttpsRedirect> redirectHttps,
                             Optional<HstsConfig> hsts) {

    /** A listener without redirect or HSTS. */
    public ListenerConfig(String name, HostPort bind, Optional<TlsConfig> tls) {
        this(name, bind, tls, Optional.empty(), Optional.empty());
    }

    public boolean secure() {
        return tls.isPresent();
    }
}
