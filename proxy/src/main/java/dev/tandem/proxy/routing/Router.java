package dev.tandem.proxy.routing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Finds the site for a request's host: an exact name first, then the longest matching
 * {@code *.suffix} wildcard, then the {@code *} site. Immutable once built, read without locks.
 *
 * @param <S> the site type
 */
public final class Router<S> {

    private final Map<String, S> exact;
    private final List<Map.Entry<String, S>> wildcards;
    private final S fallback;

    private Router(Builder<S> b) {
        this.exact = Map.copyOf(b.exact);
        List<Map.Entry<String, S>> w = new ArrayList<>(b.wildcards.entrySet());
        w.sort(Comparator.comparingInt((Map.Entry<String, S> e) -> e.getKey().length()).reversed());
        this.wildcards = List.copyOf(w);
        this.fallback = b.fallback;
    }

    public static <S> Builder<S> builder() {
        return new Builder<>();
    }

    /**
     * The site for {@code host} as it appears in a Host header or an authority (port and a trailing dot
     * are ignored, case does not matter), or null when no site serves it.
     */
    public S route(String host) {
        if (exact.isEmpty() && wildcards.isEmpty()) {
            // Only a "*" site (or none): the name cannot change the answer, so it is not worked out.
            return fallback;
        }
        String name = normalize(host);
        if (name != null) {
            S site = exact.get(name);
            if (site != null) {
                return site;
            }
            for (int i = 0; i < wildcards.size(); i++) {
                Map.Entry<String, S> w = wildcards.get(i);
                if (name.endsWith(w.getKey()) && name.length() > w.getKey().length()) {
                    return w.getValue();
                }
            }
        }
        return fallback;
    }

    /** The bare lower-case host name of a Host header value, or null when there is none. */
    public static String normalize(String host) {
        if (host == null || host.isEmpty()) {
            return null;
        }
        String h = host;
        if (h.charAt(0) == '[') {
            int close = h.indexOf(']');
            return close < 0 ? null : h.substring(0, close + 1).toLowerCase(Locale.ROOT);
        }
        int colon = h.indexOf(':');
        if (colon >= 0) {
            h = h.substring(0, colon);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h.isEmpty() ? null : toLowerAscii(h);
    }

    private static String toLowerAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                return s.toLowerCase(Locale.ROOT);
            }
        }
        return s;
    }

    /** Collects host patterns; the first site to claim a pattern keeps it. */
    public static final class Builder<S> {

        private final Map<String, S> exact = new HashMap<>();
        private final Map<String, S> wildcards = new HashMap<>();
        private S fallback;

        /** Adds {@code site} under {@code pattern}: a name, {@code *.example.com} or {@code *}. */
        public Builder<S> add(String pattern, S site) {
            String p = pattern.toLowerCase(Locale.ROOT);
            if (p.equals("*")) {
                if (fallback == null) {
                    fallback = site;
                }
            } else if (p.startsWith("*.")) {
                wildcards.putIfAbsent(p.substring(1), site);
            } else {
                exact.putIfAbsent(p, site);
            }
            return this;
        }

        public Router<S> build() {
            return new Router<>(this);
        }
    }
}
