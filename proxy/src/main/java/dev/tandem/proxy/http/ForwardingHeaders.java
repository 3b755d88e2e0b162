package dev.tandem.proxy.http;

import dev.tandem.conf.ForwardingConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Tells the upstream who the client is (README, "Forwarding headers"). A peer in
 * {@code trusted_proxies} is another proxy whose headers are believed and extended; anyone else's
 * are replaced, so a client cannot forge its own address. Addresses are written as nginx writes them
 * (IPv6 in the RFC 5952 short form).
 *
 * <p>An instance serves one client connection: what depends only on the peer (its address as text, its
 * {@code Forwarded} element, whether the config in force trusts it, and for an untrusted peer the fields
 * themselves as octets) is worked out once, not per request. The fields go upstream as octets the upstream
 * encoder writes after the client's own, which it writes without those of the same names ({@link #fields},
 * {@link #replaces}): nothing is set in the request's headers.
 */
public final class ForwardingHeaders {

    public static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    public static final AsciiString X_REAL_IP = AsciiString.cached("x-real-ip");
    public static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    public static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    public static final AsciiString FORWARDED = AsciiString.cached("forwarded");
    private static final AsciiString[] NAMES = {X_FORWARDED_FOR, X_REAL_IP, X_FORWARDED_PROTO, X_FORWARDED_HOST, FORWARDED};

    private final InetAddress peer;
    private final String client;
    private final String forPeer;
    /** The config {@link #trusted} was worked out for: a reload may change {@code trusted_proxies}. */
    private ForwardingConfig trustedIn;
    private boolean trusted;
    /** The last {@code Forwarded} element made, and the host and proto it was made for. */
    private String elementHost;
    private String elementProto;
    private String element;
    /** The last fields made for an untrusted peer, and the config, proto and host they were made for. */
    private byte[] octets;
    private ForwardingConfig octetsIn;
    private String octetsProto;
    private String octetsHost;

    /** @param peer the address the connection came from */
    public ForwardingHeaders(InetSocketAddress peer) {
        this.peer = peer.getAddress();
        this.client = NetUtil.toAddressString(this.peer);
        this.forPeer = "for=" + (client.indexOf(':') >= 0 ? "\"[" + client + "]\"" : client);
    }

    /** The peer's address as the headers and the access log write it. */
    public String client() {
        return client;
    }

    /**
     * Sets the forwarding headers of a request about to go upstream, for a peer seen once.
     *
     * @see #apply(HttpHeaders, String, String, ForwardingConfig)
     */
    public static void apply(HttpHeaders headers, InetSocketAddress peer, String proto, String host,
                             ForwardingConfig forwarding) {
        new ForwardingHeaders(peer).apply(headers, proto, host, forwarding);
    }

    /**
     * Sets the forwarding headers of a request from this connection's peer about to go upstream: the same fields
     * {@link #fields} writes, set in {@code headers}.
     *
     * @param proto {@code http} or {@code https}, as the client spoke to us
     * @param host  the request's host (Host header or authority), or null
     */
    public void apply(HttpHeaders headers, String proto, String host, ForwardingConfig forwarding) {
        List<CharSequence> fields = values(headers, proto, host, forwarding);
        for (AsciiString name : NAMES) {
            headers.remove(name);
        }
        for (int i = 0; i < fields.size(); i += 2) {
            headers.add(fields.get(i), fields.get(i + 1));
        }
    }

    /**
     * The forwarding fields of a request from this connection's peer, as the octets of its head
     * ({@code name: value\r\n} each): what the upstream encoder writes in place of every field of
     * {@code headers} that {@link #replaces} names. A connection's requests from an untrusted peer mostly share
     * one host, and then one array: made once, not per request.
     *
     * @param proto {@code http} or {@code https}, as the client spoke to us
     * @param host  the request's host (Host header or authority), or null
     */
    public byte[] fields(HttpHeaders headers, String proto, String host, ForwardingConfig forwarding) {
        if (trusted(forwarding)) {
            // What a trusted proxy sent is part of the fields: made per request.
            return octets(values(headers, proto, host, forwarding));
        }
        if (octets == null || octetsIn != forwarding || !proto.equals(octetsProto) || !Objects.equals(host, octetsHost)) {
            octets = octets(values(headers, proto, host, forwarding));
            octetsIn = forwarding;
            octetsProto = proto;
            octetsHost = host;
        }
        return octets;
    }

    /** Whether {@code name} is one of the fields this class sets: the client's own field of that name never goes on. */
    public static boolean replaces(CharSequence name) {
        int length = name.length();
        if (length != 9 && (length < 15 || length > 17)) {
            return false;
        }
        for (AsciiString n : NAMES) {
            if (n.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /** The forwarding fields, name then value, in the order they go upstream. */
    private List<CharSequence> values(HttpHeaders headers, String proto, String host, ForwardingConfig forwarding) {
        boolean trusted = trusted(forwarding);
        List<CharSequence> fields = new ArrayList<>(10);

        String priorFor = trusted ? joined(headers, X_FORWARDED_FOR) : null;
        fields.add(X_FORWARDED_FOR);
        fields.add(priorFor == null ? client : priorFor + ", " + client);
        fields.add(X_REAL_IP);
        fields.add(priorFor == null ? client : realClient(priorFor, client, forwarding));

        if (trusted && headers.contains(X_FORWARDED_PROTO)) {
            for (String prior : headers.getAll(X_FORWARDED_PROTO)) {
                fields.add(X_FORWARDED_PROTO);
                fields.add(prior);
            }
        } else {
            fields.add(X_FORWARDED_PROTO);
            fields.add(proto);
        }
        if (trusted && headers.contains(X_FORWARDED_HOST)) {
            for (String prior : headers.getAll(X_FORWARDED_HOST)) {
                fields.add(X_FORWARDED_HOST);
                fields.add(prior);
            }
        } else if (host != null) {
            fields.add(X_FORWARDED_HOST);
            fields.add(host);
        }

        String element = element(proto, host);
        String priorForwarded = trusted ? joined(headers, FORWARDED) : null;
        fields.add(FORWARDED);
        fields.add(priorForwarded == null ? element : priorForwarded + ", " + element);
        return fields;
    }

    /** The fields as a request head holds them; a char above 0xFF is written {@code ?}, as Netty's encoder does. */
    private static byte[] octets(List<CharSequence> fields) {
        StringBuilder s = new StringBuilder(256);
        for (int i = 0; i < fields.size(); i += 2) {
            s.append(fields.get(i)).append(": ").append(fields.get(i + 1)).append("\r\n");
        }
        return s.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * The client of a request as the forwarding rules believe it: the address X-Real-IP tells the upstream
     * (from X-Forwarded-For when the peer is a trusted proxy, else the peer). What access rules look at.
     */
    public InetAddress trustedClient(HttpHeaders headers, ForwardingConfig forwarding) {
        if (!trusted(forwarding)) {
            return peer;
        }
        String priorFor = joined(headers, X_FORWARDED_FOR);
        if (priorFor == null) {
            return peer;
        }
        InetAddress real = literal(realClient(priorFor, client, forwarding));
        return real != null ? real : peer;
    }

    private boolean trusted(ForwardingConfig forwarding) {
        if (forwarding != trustedIn) {
            trusted = forwarding.trusts(peer);
            trustedIn = forwarding;
        }
        return trusted;
    }

    /** This peer's RFC 7239 element for {@code host} and {@code proto}; the requests of a connection mostly share one. */
    private String element(String proto, String host) {
        if (element != null && proto.equals(elementProto) && Objects.equals(host, elementHost)) {
            return element;
        }
        StringBuilder e = new StringBuilder(64).append(forPeer);
        if (host != null && isToken(host)) {
            e.append(";host=").append(host);
        } else if (host != null) {
            e.append(";host=\"").append(host.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        e.append(";proto=").append(proto);
        elementProto = proto;
        elementHost = host;
        element = e.toString();
        return element;
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
