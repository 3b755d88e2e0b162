package dev.tandem.conf.internal;

import dev.tandem.conf.Cidr;
import dev.tandem.conf.HostPort;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/** Address forms the config uses beyond {@link HostPort} and {@link Cidr}. None of them looks up DNS. */
final class Addresses {

    /** A VIP: an address and the prefix length of the network it is added to. */
    public record Vip(String address, int prefixLength) {
    }

    private Addresses() {
    }

    /** The address of an IP literal, without a DNS lookup; empty for anything else. */
    static Optional<InetAddress> ipLiteral(String text) {
        if (!Cidr.isIpLiteral(text)) {
            return Optional.empty();
        }
        try {
            // A literal is parsed, never resolved: isIpLiteral admits only digits, dots, hex and colons.
            return Optional.of(InetAddress.getByName(text));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /** An IP literal or a DNS name (RFC 1123 labels; underscores tolerated as resolvers do). */
    static boolean isHost(String text) {
        if (ipLiteral(text).isPresent()) {
            return true;
        }
        if (text.isEmpty() || text.length() > 253) {
            return false;
        }
        String[] labels = text.split("\\.", -1);
        for (String label : labels) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!(Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_')) {
                    return false;
                }
            }
        }
        // An all-numeric last label is a mistyped IPv4 address (999.0.0.1), not a name.
        return !labels[labels.length - 1].chars().allMatch(Character::isDigit);
    }

    /** A host for {@code host}, {@code cluster.nodes} and witnesses. */
    public static String host(String text) {
        if (!isHost(text)) {
            throw new IllegalArgumentException(text + " (expected: an IP address or a host name)");
        }
        return text;
    }

    /** A Host header value: a host, optionally with a port. */
    public static String hostHeader(String text) {
        try {
            HostPort hp = HostPort.parse(text, 0);
            if (isHost(hp.host())) {
                return text;
            }
        } catch (IllegalArgumentException e) {
            // reported below with the expectation that fits a Host header
        }
        throw new IllegalArgumentException(text + " (expected: a host name, optionally with :port)");
    }

    /** A bind address: {@code host:port}, {@code [v6]:port}, or {@code :port} for every IPv4 interface. */
    public static HostPort bind(String text) {
        String s = text.trim();
        HostPort hp = HostPort.parse(s.startsWith(":") ? "0.0.0.0" + s : s, -1);
        requireHost(text, hp);
        return hp;
    }

    /** An upstream server: a host and a port a connection can be made to. */
    public static HostPort server(String text) {
        HostPort hp = HostPort.parse(text, -1);
        requireHost(text, hp);
        if (hp.port() == 0) {
            throw new IllegalArgumentException(text + " (expected: a port of 1-65535)");
        }
        return hp;
    }

    private static void requireHost(String text, HostPort hp) {
        if (!isHost(hp.host())) {
            throw new IllegalArgumentException(text + " (expected: host:port, e.g. 10.0.0.21:8000 or [::1]:8000)");
        }
    }

    /** Whether only this machine can reach the address: 127.0.0.0/8, ::1 or {@code localhost}. */
    public static boolean isLoopback(HostPort hp) {
        if (hp.host().toLowerCase(Locale.ROOT).equals("localhost")) {
            return true;
        }
        return ipLiteral(hp.host()).map(InetAddress::isLoopbackAddress).orElse(false);
    }

    /** A VIP written {@code 203.0.113.10/24} or {@code 2001:db8::10/64}; the prefix length is required. */
    public static Vip vip(String text) {
        String s = text.trim();
        int slash = s.indexOf('/');
        String expected = " (expected: an address with its prefix length, e.g. 203.0.113.10/24)";
        if (slash < 0) {
            throw new IllegalArgumentException(text + expected);
        }
        String address = s.substring(0, slash);
        InetAddress ip = ipLiteral(address).orElseThrow(() -> new IllegalArgumentException(text + expected));
        int max = ip.getAddress().length * 8;
        int prefix;
        try {
            prefix = Integer.parseInt(s.substring(slash + 1));
        } catch (NumberFormatException e) {
            prefix = -1;
        }
        if (prefix < 1 || prefix > max) {
            throw new IllegalArgumentException(text + " (expected: a prefix length of 1-" + max + ")");
        }
        return new Vip(address, prefix);
    }

    /** A Linux interface name: up to 15 characters, no slash, colon-suffixed aliases allowed. */
    public static String iface(String text) {
        if (text.isEmpty() || text.length() > 15 || !text.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c)
                || c == '-' || c == '_' || c == '.' || c == ':'))) {
            throw new IllegalArgumentException(text + " (expected: a network interface name such as eth0)");
        }
        return text;
    }
}
