package dev.tandem.conf;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv4 or IPv6 network in CIDR notation; a bare address is a /32 or /128. */
public record Cidr(byte[] network, int prefix) {

    public Cidr {
        network = network.clone();
    }

    @Override
    public byte[] network() {
        return network.clone();
    }

    /**
     * Parses {@code 10.0.0.0/8}, {@code 2001:db8::/32} or a bare address.
     *
     * @throws IllegalArgumentException with a message of the form {@code value (expected: ...)}
     */
    public static Cidr parse(String text) {
        String s = text.trim();
        int slash = s.indexOf('/');
        String addressText = slash < 0 ? s : s.substring(0, slash);
        if (!isIpLiteral(addressText)) {
            throw new IllegalArgumentException(text + " (expected: an IP network such as 10.0.0.0/8 or 2001:db8::/32)");
        }
        byte[] address;
        try {
            address = InetAddress.getByName(addressText).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(text + " (expected: an IP network such as 10.0.0.0/8 or 2001:db8::/32)");
        }
        int max = address.length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException(text + " (expected: a prefix length of 0-" + max + ")");
            }
        }
        return new Cidr(mask(address, prefix), prefix);
    }

    /** True for a dotted IPv4 or a colon IPv6 literal: never triggers a DNS lookup. */
    public static boolean isIpLiteral(String s) {
        if (s.isEmpty()) {
            return false;
        }
        if (s.indexOf(':') >= 0) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                    return false;
                }
            }
            return true;
        }
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    public boolean contains(InetAddress address) {
        byte[] candidate = address.getAddress();
        if (candidate.length != network.length) {
            if (candidate.length == 16 && network.length == 4 && isV4Mapped(candidate)) {
                byte[] v4 = new byte[4];
                System.arraycopy(candidate, 12, v4, 0, 4);
                candidate = v4;
            } else {
                return false;
            }
        }
        return java.util.Arrays.equals(mask(candidate, prefix), network);
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff;
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] out = address.clone();
        for (int i = 0; i < out.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] &= (byte) (bits == 0 ? 0 : 0xff << (8 - bits));
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && java.util.Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(network) * 31 + prefix;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
