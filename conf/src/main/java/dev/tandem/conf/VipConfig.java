package dev.tandem.conf;

import java.util.List;

/**
 * A floating address.
 *
 * @param address      the address alone, e.g. {@code 203.0.113.10} (written {@code 203.0.113.10/24} in the config)
 * @param prefixLength the prefix length of the network it is added to, e.g. {@code 24}
 * @param prefer    node names, most preferred first
 */
public record VipConfig(String address, int prefixLength, String iface, List<String> prefer) {

    public VipConfig {
        prefer = List.copyOf(prefer);
    }
}
