package dev.tandem.proxy.http;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The trailer fields of a chunked request that may go upstream. RFC 9110 section 6.5.1 forbids trailers
 * that frame or route a message, modify the request or authenticate it; a server that merges trailers into
 * its headers (many do) would otherwise take a client's {@code X-Forwarded-For} or {@code Host}, sent after
 * the body where the proxy does not replace it, as the real one. Those are dropped, as are the forwarding
 * headers, hop-by-hop headers, and underscored names as {@link UnderscoredHeaders} treats them.
 */
final class TrailerFields {

    private static final Set<String> DROPPED = Set.of(
            // forwarding
            "x-real-ip", "forwarded", "via",
            // framing and the processing of the content
            "content-length", "transfer-encoding", "trailer", "content-encoding", "content-type", "content-range",
            // routing
            "host",
            // hop-by-hop
            "connection", "keep-alive", "proxy-connection", "te", "upgrade",
            // request modifiers and authentication
            "expect", "max-forwards", "cache-control", "pragma", "range", "authorization", "proxy-authorization",
            "cookie");

    private TrailerFields() {
    }

    /** Whether a trailer field named {@code name} must not be forwarded. */
    static boolean dropped(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return DROPPED.contains(n) || n.startsWith("x-forwarded-") || n.startsWith("if-");
    }

    /**
     * Removes the fields of {@code trailers} that may not be forwarded.
     *
     * @param underscoresAllowed {@code forwarding.underscores_in_headers}
     */
    static void strip(HttpHeaders trailers, boolean underscoresAllowed) {
        if (trailers.isEmpty()) {
            return;
        }
        List<String> drop = new ArrayList<>(2);
        for (Map.Entry<String, String> t : trailers) {
            String name = t.getKey();
            boolean underscored = name.indexOf('_') >= 0;
            if (dropped(name) || (underscored && (!underscoresAllowed || UnderscoredHeaders.lookalike(name)))) {
                drop.add(name);
            }
        }
        drop.forEach(trailers::remove);
    }
}
