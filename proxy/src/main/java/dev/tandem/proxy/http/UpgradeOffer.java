package dev.tandem.proxy.http;

import dev.tandem.conf.SiteConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What of a client's request to switch protocols (RFC 9110 section 7.8) goes upstream. An upgrade joins the
 * client to the server for good, past every rule and forwarding header of the proxy, so it is passed on only
 * for a protocol the proxy knows to be framed apart from HTTP: WebSocket, and what a site allows in
 * {@code allow_upgrades}. Anything else ({@code h2c} above all, whose connection would carry further HTTP
 * requests straight to the server) is removed, and the request goes on as plain HTTP/1.1. A request with a
 * body is never upgraded: the body would have to be relayed before the switch, and a server that switched
 * early would read it as the new protocol.
 *
 * @param upstream the {@code Upgrade} value to send upstream (the allowed protocols, as the client wrote
 *                 them), or null for none
 * @param refusal  why part or all of what the client asked was removed, or null
 */
record UpgradeOffer(String upstream, Refusal refusal) {

    /** Why an upgrade, or part of one, did not go through; the label of {@code tandem_upgrades_refused_total}. */
    enum Refusal {
        /** A protocol neither WebSocket nor allowed by the site (h2c): removed from the request. */
        PROTOCOL("protocol"),
        /** The request has a body: its upgrade was removed. */
        BODY("body"),
        /** The server answered 101 naming no protocol that was offered to it: 502. */
        RESPONSE("response");

        private final String label;

        Refusal(String label) {
            this.label = label;
        }

        String label() {
            return label;
        }
    }

    static final UpgradeOffer NONE = new UpgradeOffer(null, null);

    /**
     * @param hasBody the request has a body ({@code Content-Length} above 0, or chunked)
     * @param allowed protocol names the site allows besides WebSocket (lowercase)
     */
    static UpgradeOffer of(HttpVersion version, HttpHeaders headers, boolean hasBody, List<String> allowed) {
        if (!headers.contains(HttpHeaderNames.UPGRADE)) {
            // Nearly every request: nothing to read.
            return NONE;
        }
        List<String> asked = tokens(headers.getAll(HttpHeaderNames.UPGRADE));
        if (asked.isEmpty() || !version.equals(HttpVersion.HTTP_1_1)
                || !headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
            // Not a request to upgrade: an Upgrade header alone is dropped with the other hop-by-hop headers.
            return NONE;
        }
        if (hasBody) {
            return new UpgradeOffer(null, Refusal.BODY);
        }
        List<String> kept = new ArrayList<>(asked.size());
        for (String protocol : asked) {
            String name = name(protocol);
            if (name.equals(SiteConfig.WEBSOCKET) || allowed.contains(name)) {
                kept.add(protocol);
            }
        }
        Refusal refusal = kept.size() < asked.size() ? Refusal.PROTOCOL : null;
        return new UpgradeOffer(kept.isEmpty() ? null : String.join(", ", kept), refusal);
    }

    /**
     * Whether a 101 whose {@code Upgrade} is {@code answered} switches to a protocol this offer made: it must
     * name at least one protocol, and only protocols the offer named.
     */
    boolean acceptedBy(List<String> answered) {
        if (upstream == null) {
            return false;
        }
        List<String> offered = tokens(List.of(upstream)).stream().map(UpgradeOffer::name).toList();
        List<String> switched = tokens(answered);
        return !switched.isEmpty() && switched.stream().map(UpgradeOffer::name).allMatch(offered::contains);
    }

    /** The protocols of {@code Upgrade} header values, trimmed, empty list members left out. */
    private static List<String> tokens(List<String> values) {
        List<String> out = new ArrayList<>(2);
        for (String value : values) {
            for (String token : value.split(",")) {
                String t = token.trim();
                if (!t.isEmpty()) {
                    out.add(t);
                }
            }
        }
        return out;
    }

    /** A protocol's name without its version ({@code protocol-name ["/" protocol-version]}), lowercase. */
    private static String name(String protocol) {
        int slash = protocol.indexOf('/');
        return (slash < 0 ? protocol : protocol.substring(0, slash)).trim().toLowerCase(Locale.ROOT);
    }
}
