package dev.tandem.conf.internal;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.tandem.conf.AccessRules;
import dev.tandem.conf.ErrorPages;
import dev.tandem.conf.FixedResponse;
import dev.tandem.conf.HeaderRules;
import dev.tandem.conf.RouteConfig;
import dev.tandem.conf.RouteMatch;
import dev.tandem.conf.StaticConfig;
import dev.tandem.conf.ValueTemplate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code sites[].routes}: each route matches by {@code exact}, {@code prefix} or {@code regex} and sends its
 * requests to an upstream, a static root, or answers with a {@code return} or a {@code redirect}.
 *
 * <p>Regular expressions are RE2's (RE2/J): matching takes time linear in the path whatever the pattern, so
 * no pattern can hang an event loop on a hostile path. What RE2 cannot take (backreferences, lookaround) is
 * refused here, and so is a pattern whose compiled program would be large.
 */
final class RouteBinder {

    /** The keys of a route: what it matches, what answers it, and its own rules (header, access, error pages). */
    static final String[] KEYS = {"exact", "prefix", "regex", "ignore_case", "stop", "upstream", "strip_prefix",
            "replace_prefix", "static", "return", "redirect", "headers", "access", "error_pages"};
    static final String[] STATIC_KEYS = {"root", "fallback", "index", "hidden", "cache_control", "mime_types",
            "precompressed", "open_file_cache"};
    /** A pattern longer than this is not a path pattern anyone means (and RE2 programs grow with it). */
    static final int MAX_PATTERN = 1000;
    /**
     * Copies nested counted repetitions may make of one piece of a pattern: RE2 refuses more than 1000, but RE2/J
     * does not, and compiles {@code ((a{1000}){1000}){1000}} into a program that fills the heap.
     */
    static final long MAX_COPIES = 1000;
    private static final Set<Integer> REDIRECT_STATUSES = Set.of(301, 302, 303, 307, 308);
    private static final int DEFAULT_REDIRECT = 302;
    /** A return's body is held in memory with the config: a page, not a file. */
    static final int MAX_BODY = 64 * 1024;

    private final Set<String> upstreamNames;
    private final boolean siteHasUpstream;

    RouteBinder(Set<String> upstreamNames, boolean siteHasUpstream) {
        this.upstreamNames = upstreamNames;
        this.siteHasUpstream = siteHasUpstream;
    }

    /** The routes of one site; empty when any is wrong (each mistake reported). */
    Optional<List<RouteConfig>> bind(YamlValue value) {
        if (!value.isPresent()) {
            return Optional.of(List.of());
        }
        Optional<List<YamlValue>> items = value.list("a list of routes, e.g. [{prefix: /api/, upstream: api}]");
        if (items.isEmpty()) {
            return Optional.empty();
        }
        List<RouteConfig> out = new ArrayList<>();
        Map<String, String> claimed = new HashMap<>();
        boolean ok = true;
        for (YamlValue item : items.get()) {
            Optional<RouteConfig> route = item.object(KEYS).flatMap(o -> route(o, claimed));
            route.ifPresent(out::add);
            ok &= route.isPresent();
        }
        return ok ? Optional.of(out) : Optional.empty();
    }

    private Optional<RouteConfig> route(YamlObject o, Map<String, String> claimed) {
        Optional<RouteMatch> match = match(o, claimed);
        boolean stop = o.get("stop").bool().orElse(false);
        if (stop && match.isPresent() && match.get().kind() != RouteMatch.Kind.PREFIX) {
            o.get("stop").fail("stop only on a prefix route (an exact or regex route already ends the search)");
            return Optional.empty();
        }
        YamlValue upstreamValue = o.get("upstream");
        Optional<String> upstream = upstreamValue.nonBlank("the name of an upstream");
        if (upstream.isPresent() && !upstreamNames.contains(upstream.get())) {
            upstreamValue.fail(upstreamNames.isEmpty() ? "the name of an upstream, but none is defined"
                    : "one of the upstreams: " + String.join(", ", upstreamNames));
            return Optional.empty();
        }
        Optional<StaticConfig> staticFiles = Optional.empty();
        YamlValue staticValue = o.get("static");
        if (staticValue.isPresent()) {
            Optional<YamlObject> so = staticValue.object(STATIC_KEYS);
            if (so.isEmpty()) {
                return Optional.empty();
            }
            boolean fallback = so.get().get("fallback").bool().orElse(true);
            staticFiles = SiteBinder.staticFiles(so.get(), fallback);
            if (staticFiles.isEmpty()) {
                return Optional.empty();
            }
        }
        Optional<FixedResponse> returned = returned(o.get("return"));
        Optional<FixedResponse> redirect = redirect(o.get("redirect"));
        if (o.get("return").isPresent() && returned.isEmpty() || o.get("redirect").isPresent() && redirect.isEmpty()) {
            return Optional.empty();
        }
        Optional<FixedResponse> fixed = returned.isPresent() ? returned : redirect;
        if (returned.isPresent() && redirect.isPresent()) {
            o.get("redirect").fail("either return or redirect, not both");
            return Optional.empty();
        }
        if (fixed.isPresent() && (upstream.isPresent() || staticFiles.isPresent())) {
            (upstream.isPresent() ? upstreamValue : staticValue).fail("nothing beside "
                    + (returned.isPresent() ? "return" : "redirect") + ", which answers the request itself");
            return Optional.empty();
        }
        Optional<String> replacePrefix = replacePrefix(o, match, fixed.isPresent());
        if (replacePrefix == null) {
            return Optional.empty();
        }
        boolean needsUpstream = fixed.isEmpty() && (staticFiles.isEmpty() || staticFiles.get().fallback());
        if (needsUpstream && upstream.isEmpty() && !siteHasUpstream) {
            o.report((staticFiles.isPresent() ? "static with fallback" : "a route without return, redirect or static")
                    + " needs an upstream, and the site has none (expected: upstream: NAME here or on the site)");
            return Optional.empty();
        }
        Optional<HeaderRules> headers = HeaderRulesBinder.bind(o.get("headers"));
        // A route's guard rules are read as the site's are, from the route's own mapping (maintenance stays the site's).
        Optional<AccessRules> access = SiteRulesBinder.access(o);
        Optional<ErrorPages> errorPages = SiteRulesBinder.errorPages(o);
        if (match.isEmpty() || headers.isEmpty() || access.isEmpty() || errorPages.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new RouteConfig(match.get(), stop, upstream, replacePrefix, staticFiles, fixed, headers.get(),
                access.get(), errorPages.get()));
    }

    private Optional<RouteMatch> match(YamlObject o, Map<String, String> claimed) {
        List<String> given = new ArrayList<>();
        for (String k : List.of("exact", "prefix", "regex")) {
            if (o.get(k).isPresent()) {
                given.add(k);
            }
        }
        if (given.size() != 1) {
            o.report(given.isEmpty() ? "a route without a path (expected: one of exact, prefix, regex)"
                    : "a route with " + String.join(" and ", given) + " (expected: one of exact, prefix, regex)");
            return Optional.empty();
        }
        String kind = given.get(0);
        YamlValue value = o.get(kind);
        YamlValue ignoreCase = o.get("ignore_case");
        if (ignoreCase.isPresent() && !kind.equals("regex")) {
            ignoreCase.fail("ignore_case only on a regex route (nginx ~*)");
            return Optional.empty();
        }
        Optional<RouteMatch> match;
        if (kind.equals("regex")) {
            boolean ci = ignoreCase.bool().orElse(false);
            match = value.as("a regular expression (RE2 syntax)", text -> RouteMatch.regex(regex(text, ci)));
        } else {
            match = value.as("a path starting with /", RouteBinder::path)
                    .map(p -> kind.equals("exact") ? RouteMatch.exact(p) : RouteMatch.prefix(p));
        }
        if (match.isPresent() && match.get().kind() != RouteMatch.Kind.REGEX) {
            String key = match.get().kind() + " " + match.get().text();
            String first = claimed.putIfAbsent(key, value.path());
            if (first != null) {
                value.fail("a path not already routed by " + first);
                return Optional.empty();
            }
        }
        return match;
    }

    /**
     * {@code strip_prefix} / {@code replace_prefix}: null when wrong (reported), else what replaces the prefix
     * on the way upstream and, for a static root, in the file's path (nginx {@code alias}).
     */
    private static Optional<String> replacePrefix(YamlObject o, Optional<RouteMatch> match, boolean noUpstream) {
        YamlValue strip = o.get("strip_prefix");
        YamlValue replace = o.get("replace_prefix");
        if (!strip.isPresent() && !replace.isPresent()) {
            return Optional.empty();
        }
        YamlValue given = replace.isPresent() ? replace : strip;
        if (strip.isPresent() && replace.isPresent()) {
            replace.fail("either strip_prefix or replace_prefix, not both");
            return null;
        }
        if (match.isPresent() && match.get().kind() != RouteMatch.Kind.PREFIX) {
            given.fail(given == strip ? "strip_prefix only on a prefix route" : "replace_prefix only on a prefix route");
            return null;
        }
        if (noUpstream) {
            given.fail("a prefix rewrite only on a route whose requests go to an upstream or a static root");
            return null;
        }
        if (given == strip) {
            Optional<Boolean> b = strip.bool();
            if (b.isEmpty()) {
                return null;
            }
            return b.get() ? Optional.of("/") : Optional.empty();
        }
        Optional<String> to = replace.as("a path starting with /, e.g. /v2/", RouteBinder::path);
        return to.isPresent() ? to : null;
    }

    private static Optional<FixedResponse> returned(YamlValue value) {
        return value.object("status", "body", "content_type").flatMap(o -> {
            Optional<Integer> status = o.get("status").required("a status from 200 to 599").integer(200, 599);
            YamlValue bodyValue = o.get("body");
            Optional<ValueTemplate> body = bodyValue.isPresent()
                    ? bodyValue.as("a short text, with $host, $uri, ... where wanted", RouteBinder::bodyTemplate)
                    : Optional.of(ValueTemplate.literal(""));
            YamlValue typeValue = o.get("content_type");
            Optional<String> type = typeValue.isPresent()
                    ? typeValue.as("a media type such as text/html; charset=utf-8", SiteBinder::mediaType)
                    : Optional.of(FixedResponse.TEXT_PLAIN);
            if (status.isEmpty() || body.isEmpty() || type.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new FixedResponse(status.get(), Optional.empty(), body.get(), type.get()));
        });
    }

    private static Optional<FixedResponse> redirect(YamlValue value) {
        return value.object("status", "to").flatMap(o -> {
            YamlValue statusValue = o.get("status");
            Optional<Integer> status = statusValue.isPresent() ? statusValue.integer(301, 308) : Optional.of(DEFAULT_REDIRECT);
            if (status.isPresent() && !REDIRECT_STATUSES.contains(status.get())) {
                statusValue.fail("one of 301, 302, 303, 307, 308");
                return Optional.empty();
            }
            Optional<ValueTemplate> to = o.get("to").required("a URL or a path, e.g. https://$host$request_uri")
                    .as("a URL or a path, e.g. https://$host$request_uri", RouteBinder::locationTemplate);
            if (status.isEmpty() || to.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(FixedResponse.redirect(status.get(), to.get()));
        });
    }

    private static ValueTemplate bodyTemplate(String text) {
        if (text.length() > MAX_BODY) {
            throw new IllegalArgumentException("a body of " + text.length() + " characters (expected: at most "
                    + MAX_BODY + "; serve a page from a static root instead)");
        }
        return HeaderRulesBinder.template(text);
    }

    private static ValueTemplate locationTemplate(String text) {
        String t = text.strip();
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c <= ' ' || c == 0x7f || c > 0xff) {
                throw new IllegalArgumentException(text + " (expected: a URL without spaces or control characters)");
            }
        }
        if (t.isEmpty()) {
            throw new IllegalArgumentException(text + " (expected: a URL or a path, e.g. https://$host$request_uri)");
        }
        return HeaderRulesBinder.template(t);
    }

    /** A decoded path as routes match it: starting with /, printable, without a query or a fragment. */
    static String path(String text) {
        if (text.isEmpty() || text.charAt(0) != '/') {
            throw new IllegalArgumentException(text + " (expected: a path starting with /)");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '?' || c == '#') {
                throw new IllegalArgumentException(text + " (expected: a path without a query, a fragment or control"
                        + " characters; it is matched against the decoded path)");
            }
        }
        return text;
    }

    /** An RE2 pattern; what RE2/J cannot compile (backreferences, lookaround, bad syntax) is refused. */
    static Pattern regex(String text, boolean ignoreCase) {
        if (text.length() > MAX_PATTERN) {
            throw new IllegalArgumentException("a pattern of " + text.length() + " characters (expected: at most "
                    + MAX_PATTERN + ")");
        }
        if (repetitionCopies(text) > MAX_COPIES) {
            throw new IllegalArgumentException(text + " (expected: a regular expression whose nested counted"
                    + " repetitions make at most " + MAX_COPIES + " copies, as RE2 allows; RE2/J would build them all)");
        }
        try {
            return Pattern.compile(text, ignoreCase ? Pattern.CASE_INSENSITIVE : 0);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(text + " (expected: a regular expression in RE2 syntax, which has no"
                    + " backreferences or lookaround; " + e.getDescription() + ")");
        } catch (RuntimeException e) {
            // RE2/J gives up on a program it cannot build (a repetition too large to expand).
            throw new IllegalArgumentException(text + " (expected: a regular expression RE2 can compile; "
                    + e.getMessage() + ")");
        }
    }

    /**
     * The largest product of nested counted repetitions ({@code {n}}, {@code {n,}}, {@code {n,m}}) in
     * {@code text}: how many copies of its innermost piece the compiled program holds. A rough parse, enough for
     * that: escapes and character classes are skipped, groups nest.
     */
    static long repetitionCopies(String text) {
        java.util.ArrayDeque<long[]> levels = new java.util.ArrayDeque<>();
        long[] level = {1};
        long previous = 1;
        long max = 1;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\\') {
                previous = 1;
                i += 2;
            } else if (c == '[') {
                int j = i + 1;
                if (j < text.length() && text.charAt(j) == '^') {
                    j++;
                }
                if (j < text.length() && text.charAt(j) == ']') {
                    j++;
                }
                while (j < text.length() && text.charAt(j) != ']') {
                    j += text.charAt(j) == '\\' ? 2 : 1;
                }
                previous = 1;
                i = j + 1;
            } else if (c == '(') {
                levels.push(level);
                level = new long[] {1};
                i++;
            } else if (c == ')') {
                previous = level[0];
                level = levels.isEmpty() ? new long[] {1} : levels.pop();
                level[0] = Math.max(level[0], previous);
                i++;
            } else if (c == '{') {
                int close = text.indexOf('}', i);
                String[] bounds = close < 0 ? null : text.substring(i + 1, close).split(",", -1);
                long count = -1;
                if (bounds != null && bounds.length <= 2) {
                    try {
                        count = Long.parseLong(bounds[bounds.length == 2 && !bounds[1].isEmpty() ? 1 : 0].trim());
                    } catch (NumberFormatException e) {
                        count = -1;
                    }
                }
                if (count < 0) {
                    previous = 1;
                    i++;
                    continue;
                }
                long copies = Math.min(Long.MAX_VALUE / 2, previous * Math.max(1, count));
                level[0] = Math.max(level[0], copies);
                max = Math.max(max, copies);
                previous = copies;
                i = close + 1;
            } else {
                previous = 1;
                i++;
            }
            max = Math.max(max, level[0]);
        }
        return max;
    }
}
