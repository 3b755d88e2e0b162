package dev.tandem.conf;

import java.net.InetAddress;
import java.util.List;

/** @param trustedProxies peers whose X-Forwarded-For / Forwarded headers are believed and extended */
public record ForwardingConfig(List<Cidr> trustedProxies) {

    public ForwardingConfig {
        trustedProxies = List.copyOf(trustedProxies);
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
