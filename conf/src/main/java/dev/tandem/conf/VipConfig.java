package dev.tandem.conf;

import java.util.List;

/**
 * A floating address.
 *
 * @param address   the address with its prefix length, e.g. {@code 203.0.113.10/24}
 * @param prefer    node names, most preferred first
 */
public record VipConfig(String address, int prefixLength, String iface, List<String> prefer) {

    public VipConfig {
        prefer = List.copyOf(prefer);
    }
}
