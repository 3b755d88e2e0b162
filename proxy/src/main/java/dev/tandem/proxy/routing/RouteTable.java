package dev.tandem.proxy.routing;

import com.google.re2j.Pattern;
import dev.tandem.conf.RouteMatch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses the route of a path in nginx's order for {@code location}s: an exact match wins at once; else the
 * longest matching prefix is remembered, and when it says {@code stop} (nginx {@code ^~}) it wins; else the
 * regular expressions are tried in the order written and the first that is found in the path wins; else the
 * longest prefix does, if any matched. Immutable once built, read without locks; regexes are RE2's, so the
 * time taken is linear in the path whatever the patterns.
 *
 * <p>Built for the request path: the longest prefix is found in one walk down the path ({@link PrefixTrie}),
 * the first regex in a few passes over alternations of them ({@link RegexSet}), and a table with regexes keeps
 * its recent decisions ({@link RouteCache}), so a path asked for again skips the regexes.
 *
 * @param <R> what a route leads to
 */
public final class RouteTable<R> {

    private record Prefix<R>(String prefix, boolean stop, R route) {
    }

    private final Map<String, R> exact;
    private final PrefixTrie<Prefix<R>> prefixes;
    private final boolean anyPrefix;
    /** Null without regexes. */
    private final RegexSet regexes;
    private final List<R> regexRoutes;
    /** Null without regexes: without them, choosing costs about what looking up a decision would. */
    private final RouteCache<R> cache;

    private RouteTable(Map<String, R> exact, Map<String, Prefix<R>> prefixes, List<Pattern> patterns,
                       List<R> regexRoutes) {
        this.exact = Map.copyOf(exact);
        this.prefixes = PrefixTrie.of(prefixes);
        this.anyPrefix = !prefixes.isEmpty();
        this.regexes = RegexSet.of(patterns);
        this.regexRoutes = List.copyOf(regexRoutes);
        this.cache = patterns.isEmpty() ? null : new RouteCache<>();
    }

    public static <R> Builder<R> builder() {
        return new Builder<>();
    }

    public boolean isEmpty() {
        return exact.isEmpty() && !anyPrefix && regexes == null;
    }

    /**
     * The route of {@code path}, a path as {@link RoutePath#normalize} makes it, or null when no route
     * matches it.
     */
    public R select(String path) {
        if (cache == null || !RouteCache.fits(path)) {
            return choose(path);
        }
        RouteCache.Entry<R> known = cache.get(path);
        if (known != null) {
            return known.route();
        }
        R route = choose(path);
        cache.put(path, route);
        return route;
    }

    /** {@link #select}, worked out. */
    R choose(String path) {
        if (!exact.isEmpty()) {
            R r = exact.get(path);
            if (r != null) {
                return r;
            }
        }
        Prefix<R> longest = anyPrefix ? prefixes.longest(path) : null;
        if (longest != null && longest.stop()) {
            return longest.route();
        }
        int regex = regexes == null ? -1 : regexes.first(path);
        if (regex >= 0) {
            return regexRoutes.get(regex);
        }
        return longest != null ? longest.route() : null;
    }

    /** Collects routes in the order written; the first to claim an exact path or a prefix keeps it. */
    public static final class Builder<R> {

        private final Map<String, R> exact = new HashMap<>();
        private final Map<String, Prefix<R>> prefixes = new HashMap<>();
        private final List<Pattern> patterns = new ArrayList<>();
        private final List<R> regexRoutes = new ArrayList<>();

        public Builder<R> add(RouteMatch match, boolean stop, R route) {
            switch (match.kind()) {
                case EXACT -> exact.putIfAbsent(match.text(), route);
                case PREFIX -> prefixes.putIfAbsent(match.text(), new Prefix<>(match.text(), stop, route));
                case REGEX -> {
                    patterns.add(match.regex().orElseThrow());
                    regexRoutes.add(route);
                }
                default -> throw new IllegalArgumentException(match.toString());
            }
            return this;
        }

        public RouteTable<R> build() {
            return new RouteTable<>(exact, prefixes, patterns, regexRoutes);
        }
    }
}
