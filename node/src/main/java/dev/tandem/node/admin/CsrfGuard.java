package dev.tandem.node.admin;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Keeps other web sites from making a browser change something on the admin listener. Requests from the command
 * line (curl, {@code tandem handover}) send no {@code Origin} and no {@code Sec-Fetch-Site} and are left to the
 * bearer token alone; a request that carries either is a browser's, and a browser's request that changes
 * something must:
 * <ul>
 *   <li>come from the admin listener's own pages: {@code Sec-Fetch-Site} {@code same-origin} (or {@code none},
 *   typed by the user), and an {@code Origin} whose host and port are the request's {@code Host};</li>
 *   <li>carry {@code X-Tandem-CSRF} with a token this listener issued ({@code GET /api/session}) within
 *   {@link #LIFETIME}.</li>
 * </ul>
 * The admin token itself is never a cookie, so a forged request carries no credential; these checks also guard a
 * listener that has no token (loopback), where a page on any site could otherwise POST to {@code 127.0.0.1:9090}.
 * Safe methods are not checked, but the session route refuses a cross-site {@code Sec-Fetch-Site}.
 */
public final class CsrfGuard {

    public static final String HEADER = "X-Tandem-CSRF";
    public static final Duration LIFETIME = Duration.ofHours(12);
    /** Tokens kept at most; the oldest goes first (a page asks for a new one when refused). */
    static final int MAX_TOKENS = 256;

    private final LongSupplier nanoTime;
    private final SecureRandom random = new SecureRandom();
    /** Issued token to the nanoTime it was issued at, oldest first. */
    private final Map<String, Long> issued = new LinkedHashMap<>();

    public CsrfGuard(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /** What the guard reads of a request; null for a header that is absent. */
    public record Request(String method, String host, String origin, String secFetchSite, String csrfToken) {
    }

    /** A new token for a page. */
    public synchronized String issue() {
        byte[] b = new byte[24];
        random.nextBytes(b);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        expire();
        while (issued.size() >= MAX_TOKENS) {
            Iterator<String> it = issued.keySet().iterator();
            it.next();
            it.remove();
        }
        issued.put(token, nanoTime.getAsLong());
        return token;
    }

    /**
     * Why {@code r} is refused, or empty when it may go on.
     *
     * @param changes whether the route changes something (the API routes); read-only routes are checked only for
     *                the cross-site fetch of a token
     */
    public Optional<String> refusal(Request r, boolean changes) {
        String site = r.secFetchSite() == null ? null : r.secFetchSite().toLowerCase(Locale.ROOT);
        boolean browser = site != null || r.origin() != null;
        if (!browser) {
            return Optional.empty();
        }
        if (site != null && !site.equals("same-origin") && !site.equals("none")) {
            return Optional.of("cross-site request refused (Sec-Fetch-Site: " + r.secFetchSite() + ")");
        }
        if (r.origin() != null && !sameOrigin(r.origin(), r.host())) {
            return Optional.of("cross-origin request refused (Origin: " + r.origin() + ", Host: " + r.host() + ")");
        }
        boolean safe = r.method().equals("GET") || r.method().equals("HEAD") || r.method().equals("OPTIONS");
        if (!changes || safe) {
            return Optional.empty();
        }
        if (r.csrfToken() == null || !valid(r.csrfToken())) {
            return Optional.of("missing or expired " + HEADER + " header: reload the page (GET /api/session gives one)");
        }
        return Optional.empty();
    }

    private synchronized boolean valid(String token) {
        expire();
        byte[] given = token.getBytes(StandardCharsets.UTF_8);
        boolean found = false;
        // Compared with every token in constant time each: the time to refuse tells nothing of what was close.
        for (String t : issued.keySet()) {
            found |= MessageDigest.isEqual(given, t.getBytes(StandardCharsets.UTF_8));
        }
        return found;
    }

    private void expire() {
        long now = nanoTime.getAsLong();
        issued.values().removeIf(at -> now - at > LIFETIME.toNanos());
    }

    /** Whether {@code origin} (scheme://host[:port]) names the authority in {@code host}. */
    static boolean sameOrigin(String origin, String host) {
        if (host == null || origin.equals("null")) {
            return false;
        }
        try {
            URI o = URI.create(origin);
            if (o.getHost() == null || !"http".equals(o.getScheme()) && !"https".equals(o.getScheme())) {
                return false;
            }
            int port = o.getPort() != -1 ? o.getPort() : "https".equals(o.getScheme()) ? 443 : 80;
            URI h = URI.create("http://" + host);
            if (h.getHost() == null) {
                return false;
            }
            int hostPort = h.getPort() != -1 ? h.getPort() : "https".equals(o.getScheme()) ? 443 : 80;
            return o.getHost().equalsIgnoreCase(h.getHost()) && port == hostPort;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
