package dev.tandem.conf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A client-facing listener: an address to bind, plaintext or TLS.
 *
 * @param redirectHttps plaintext listeners only: answer every request with a 301 to its https:// address
 * @param hsts          TLS listeners only: the Strict-Transport-Security header added to every response
 * @param perNodeBind   per node name, the address that node binds instead of {@code bind} ({@code per_node:
 *                      {lb1: {bind: ...}}}): the file stays the same on every node, each binds its own
 */
public record ListenerConfig(String name, HostPort bind, Optional<TlsConfig> tls, Optional<HttpsRedirect> redirectHttps,
                             Optional<HstsConfig> hsts, Map<String, HostPort> perNodeBind) {

    public ListenerConfig {
        perNodeBind = Collections.unmodifiableMap(new LinkedHashMap<>(perNodeBind));
    }

    public ListenerConfig(String name, HostPort bind, Optional<TlsConfig> tls, Optional<HttpsRedirect> redirectHttps,
                          Optional<HstsConfig> hsts) {
        this(name, bind, tls, redirectHttps, hsts, Map.of());
    }

    /** A listener without redirect or HSTS. */
    public ListenerConfig(String name, HostPort bind, Optional<TlsConfig> tls) {
        this(name, bind, tls, Optional.empty(), Optional.empty());
    }

    public boolean secure() {
        return tls.isPresent();
    }

    /** This listener as {@code node} runs it: its own bind address when it has one. */
    public ListenerConfig forNode(String node) {
        if (perNodeBind.isEmpty()) {
            return this;
        }
        return new ListenerConfig(name, perNodeBind.getOrDefault(node, bind), tls, redirectHttps, hsts, Map.of());
    }
}
