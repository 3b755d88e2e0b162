package dev.tandem.proxy.upstream;

import dev.tandem.conf.HostPort;

/** Identifies a server across reloads: the same address in the same upstream is the same server. */
public record ServerKey(String upstream, HostPort address) {

    @Override
    public String toString() {
        return upstream + "/" + address;
    }
}
