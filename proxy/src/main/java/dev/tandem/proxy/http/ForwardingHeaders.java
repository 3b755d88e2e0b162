package dev.tandem.proxy.http;

import dev.tandem.conf.ForwardingConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Tells the upstream who the client is (DESIGN.md, "Forwarding headers"). A peer in
 * {@code trusted_proxies} is another proxy whose headers are believed and extended; anyone else's
 * are replaced, so a client cannot forge its own address. Addresses are written as nginx writes them
 * (IPv6 in the RFC 5952 short form).
 */
public final class ForwardingHeaders {

    public static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    public static final AsciiString X_REAL_IP = AsciiString.cached("x-real-ip");
    public static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    public static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    public static final AsciiString FORWARDED = AsciiString.cached("forwarded");

    private ForwardingHeaders() {
    }

    /**
     * Sets the forwarding headers of a request about to go upstream.
     *
     * @param peer  the address the request came from
     * @param proto {@code http} or {@code https}, as the client spoke to us
     * @param host  the request's host (Host header or authority), or null
     */
    public static void apply(HttpHeaders headers, InetSocketAddress peer, String proto, String host,
                             ForwardingConfig forwarding) {
        InetAddress peerAddress = peer.getAddress();
        String client = NetUtil.toAddressString(peerAddress);
        boolean trusted = forwarding.trusts(peerAddress);

        String priorFor = trusted ? joined(headers, X_FORWARDED_FOR) : null;
        headers.set(X_FORWARDED_FOR, priorFor == null ? client : priorFor + ", " + client);
        headers.set(X_REAL_IP, priorFor == null ? client : realClient(priorFor, client, forwarding));

        if (!trusted || !headers.contains(X_FORWARDED_PROTO)) {
            headers.set(X_FORWARDED_PROTO, proto);
        }
        if (!trusted || !headers.contains(X_FORWARDED_HOST)) {
            if (host != null) {
                headers.set(X_FORWARDED_HOST, host);
            } else {
                headers.remove(X_FORWARDED_HOST);
            }
        }

        StringBuilder element = new StringBuilder(64).append("for=").append(node(peerAddress));
        if (host != null && isToken(host)) {
            element.append(";host=").append(host);
        } else if (host != null) {
            element.append(";host=\"").append(host.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        element.append(";proto=").append(proto);
        String priorForwarded = trusted ? joined(headers, FORWARDED) : null;
        headers.set(FORWARDED, priorForwarded == null ? element : priorForwarded + ", " + element);
    }

    /**
     * The client as the nearest untrusted hop sees it: walking X-Forwarded-For from the right (the peer is
     * trusted), the first address that is not a trusted proxy. A hop that is not an address ends the walk
     * at the last trustworthy one.
     */
    static String realClient(String priorFor, String peer, ForwardingConfig forwarding) {
        String candidate = peer;
        String[] hops = priorFor.split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].trim();
            InetAddress address = literal(hop);
            if (address == null) {
                return candidate;
            }
            if (!forwarding.trusts(address)) {
                return hop;
            }
            candidate = hop;
        }
        return candidate;
    }

    private static InetAddress literal(String text) {
        if (!dev.tandem.conf.Cidr.isIpLiteral(text)) {
            return null;
        }
        try {
            return InetAddress.getByName(text);
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    /** RFC 7239 node: IPv6 is bracketed and therefore quoted. */
    private static String node(InetAddress address) {
        String a = NetUtil.toAddressString(address);
        return a.indexOf(':') >= 0 ? "\"[" + a + "]\"" : a;
    }

    private static String joined(HttpHeaders headers, AsciiString name) {
        java.util.List<String> values = headers.getAll(name);
        if (values.isEmpty()) {
            return null;
        }
        return values.size() == 1 ? values.get(0) : String.join(", ", values);
    }

    private static boolean isToken(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return !s.isEmpty();
    }
}
