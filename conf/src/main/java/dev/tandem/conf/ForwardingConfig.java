package dev.tandem.conf;

import java.net.InetAddress;
import java.util.List;

/**
 * @param trustedProxies       peers whose X-Forwarded-For / Forwarded headers are believed and extended
 * @param underscoresInHeaders request header fields whose names hold an underscore reach the upstream (nginx's
 *                             {@code underscores_in_headers}); off, they are dropped. Lookalikes of the
 *                             forwarding and framing headers ({@code X_Forwarded_For}) are dropped either way.
 */
public record ForwardingConfig(List<Cidr> trustedProxies, boolean underscoresInHeaders) {

    public ForwardingConfig {
        trustedProxies = List.copyOf(trustedProxies);
    }

    /** Underscored header names dropped, as by default. */
    public ForwardingConfig(List<Cidr> trustedProxies) {
        this(trustedProxies, Defaults.UNDERSCORES_IN_HEADERS);
    }

    public boolean trusts(InetAddress peer) {
        for (Cidr c : trustedProxies) {
            if (c.contains(peer)) {
                return true;
            }
        }
        return false;
    }
}
