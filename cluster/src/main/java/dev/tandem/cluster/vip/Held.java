package dev.tandem.cluster.vip;

import dev.tandem.conf.VipConfig;
import java.util.List;

/**
 * One thing a node put on its host that must not outlive it: an address on an interface, or an nftables table
 * of a handover. What {@link HeldAddresses} records, and what {@link HostCleanup} removes.
 */
public sealed interface Held permits Held.Address, Held.Table {

    /** The line of the record that stands for it. */
    String line();

    /** {@code ADDRESS/PREFIX} on interface {@code iface}. */
    record Address(String cidr, String iface) implements Held {
        @Override
        public String line() {
            return "address " + cidr + " " + iface;
        }
    }

    /** nftables table {@code name} of family {@code family} ({@code arp}, {@code ip}). */
    record Table(String family, String name) implements Held {
        @Override
        public String line() {
            return "table " + family + " " + name;
        }
    }

    static Address address(VipConfig vip) {
        return new Address(IpCommandDriver.cidr(vip), vip.iface());
    }

    /** The table {@link IpCommandDriver#withdraw} adds. */
    static Table quiet(VipConfig vip) {
        return new Table("arp", IpCommandDriver.table(vip));
    }

    /** The table {@link IpCommandDriver#forward} adds. */
    static Table forwarding(VipConfig vip) {
        return new Table("ip", IpCommandDriver.table(vip));
    }

    /** Everything the driver may put on the host for {@code vip}. */
    static List<Held> of(VipConfig vip) {
        return IpCommandDriver.v6(vip) ? List.of(address(vip)) : List.of(address(vip), quiet(vip), forwarding(vip));
    }

    /** The thing a record line stands for. */
    static Held parse(String line) {
        String[] f = line.trim().split(" ");
        if (f.length == 3 && f[0].equals("address") && f[1].indexOf('/') > 0) {
            return new Address(f[1], f[2]);
        }
        if (f.length == 3 && f[0].equals("table") && (f[1].equals("arp") || f[1].equals("ip"))
                && f[2].startsWith("tandem_")) {
            return new Table(f[1], f[2]);
        }
        throw new IllegalArgumentException("not a record line: " + line);
    }
}
