package dev.tandem.proxy.http;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Request header fields whose names hold an underscore. CGI, WSGI, PHP and Rack turn {@code X-Forwarded-For}
 * and {@code X_Forwarded_For} into the same variable ({@code HTTP_X_FORWARDED_FOR}), so a client that spells
 * a forwarding header with underscores gets past the proxy, which replaces only the real one, and is read by
 * the application as the real thing. Such lookalikes of the headers the proxy sets, or that frame a message,
 * are always dropped; other underscored names are dropped unless {@code forwarding.underscores_in_headers}
 * lets them through (nginx drops them all by default).
 */
final class UnderscoredHeaders {

    /** The names (lower case, with {@code -}) whose underscore spellings are never forwarded. */
    private static final List<String> GUARDED = List.of(
            "x-real-ip", "content-length", "transfer-encoding", "proxy-connection", "keep-alive");
    private static final String GUARDED_PREFIX = "x-forwarded-";

    private UnderscoredHeaders() {
    }

    /** Whether {@code name} (which holds an underscore) reads, with underscores as hyphens, as a guarded name. */
    static boolean lookalike(String name) {
        String hyphened = name.replace('_', '-').toLowerCase(Locale.ROOT);
        return hyphened.startsWith(GUARDED_PREFIX) || GUARDED.contains(hyphened);
    }

    /**
     * Removes the underscored fields of {@code headers} that may not be forwarded.
     *
     * @param allowed {@code forwarding.underscores_in_headers}
     */
    static void strip(HttpHeaders headers, boolean allowed) {
        List<String> drop = null;
        for (Map.Entry<String, String> h : headers) {
            String name = h.getKey();
            if (name.indexOf('_') >= 0 && (!allowed || lookalike(name))) {
                if (drop == null) {
                    drop = new ArrayList<>(2);
                }
                drop.add(name);
            }
        }
        if (drop != null) {
            drop.forEach(headers::remove);
        }
    }
}
