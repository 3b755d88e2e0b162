package dev.tandem.conf.internal;

import dev.tandem.conf.AccessRules;
import dev.tandem.conf.Defaults;
import dev.tandem.conf.ErrorPages;
import dev.tandem.conf.Maintenance;
import dev.tandem.conf.HeaderRules;
import dev.tandem.conf.OpenFileCacheConfig;
import dev.tandem.conf.RouteConfig;
import dev.tandem.conf.SiteConfig;
import dev.tandem.conf.StaticConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** {@code sites}: virtual hosts, each host served by one site only, each naming an upstream that exists. */
final class SiteBinder {

    private static final String HOST = "a host name, *.example.com or *";
    private static final String UPGRADE = "an upgrade protocol name such as websocket (a token, without a version)";
    /** A protocol-name of RFC 9110 section 7.8: a token. */
    private static final Pattern UPGRADE_TOKEN = Pattern.compile("[a-z0-9!#$%&'*+.^_`|~-]+");
    /** An extension as it follows the last dot of a file name. */
    private static final Pattern EXTENSION = Pattern.compile("[a-z0-9][a-z0-9_+-]*");
    private static final Pattern MEDIA_TYPE = Pattern.compile(
            "[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\\s*;\\s*[A-Za-z0-9!#$&^_.+-]+=(\"[^\"\\p{Cntrl}]*\"|[A-Za-z0-9!#$&^_.+-]+))*");

    private final Set<String> upstreamNames;
    private final Map<String, String> hostOwners = new HashMap<>();

    /** @param upstreamNames every name under {@code upstreams}, broken ones included, so one mistake is one error */
    SiteBinder(Set<String> upstreamNames) {
        this.upstreamNames = upstreamNames;
    }

    List<SiteConfig> bind(YamlValue value) {
        List<SiteConfig> out = new ArrayList<>();
        for (YamlValue item : value.list("a list of sites").orElse(List.of())) {
            List<String> keys = new ArrayList<>(List.of("hosts", "static", "upstream", "allow_upgrades", "routes", "headers"));
            keys.addAll(SiteRulesBinder.KEYS);
            item.object(keys.toArray(String[]::new)).flatMap(this::site).ifPresent(out::add);
        }
        return out;
    }

    private Optional<SiteConfig> site(YamlObject o) {
        List<String> hosts = hosts(o.get("hosts"));
        Optional<YamlObject> staticObject = o.get("static").object("root", "match", "fallback", "index", "hidden",
                "cache_control", "mime_types", "precompressed", "open_file_cache");
        boolean fallback = staticObject.flatMap(s -> s.get("fallback").bool()).orElse(true);
        Optional<StaticConfig> staticFiles = staticObject.flatMap(s -> staticFiles(s, fallback));
        YamlValue upstreamValue = o.get("upstream");
        Optional<String> upstream = upstreamValue.nonBlank("the name of an upstream");
        if (upstream.isPresent() && !upstreamNames.contains(upstream.get())) {
            upstreamValue.fail(upstreamNames.isEmpty()
                    ? "the name of an upstream, but none is defined"
                    : "one of the upstreams: " + String.join(", ", upstreamNames));
            return Optional.empty();
        }
        boolean staticOnly = staticObject.isPresent() && !fallback;
        // A site of routes alone (a redirect to another host, say) needs no upstream: what no route takes is a 404.
        boolean routed = o.get("routes").isPresent();
        if (!upstreamValue.isPresent() && !staticOnly && !routed) {
            upstreamValue.required("the name of an upstream; only a static site with fallback: false, or a site"
                    + " with routes, may omit it");
            return Optional.empty();
        }
        Optional<List<RouteConfig>> routes = new RouteBinder(upstreamNames, upstream.isPresent()).bind(o.get("routes"));
        Optional<HeaderRules> headers = HeaderRulesBinder.bind(o.get("headers"));
        Optional<List<String>> upgrades = upgrades(o.get("allow_upgrades"));
        Optional<ErrorPages> errorPages = SiteRulesBinder.errorPages(o);
        Optional<Maintenance> maintenance = SiteRulesBinder.maintenance(o);
        Optional<AccessRules> access = SiteRulesBinder.access(o);
        if (hosts.isEmpty() || (staticObject.isPresent() && staticFiles.isEmpty()) || upgrades.isEmpty()
                || routes.isEmpty() || headers.isEmpty()
                || errorPages.isEmpty() || maintenance.isEmpty() || access.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new SiteConfig(hosts, staticFiles, upstream, upgrades.get(), routes.get(), headers.get(),
                errorPages.get(), maintenance.get(), access.get()));
    }

    /** Upgrade protocol names, lowercased, without websocket (always allowed); empty when one is wrong. */
    private static Optional<List<String>> upgrades(YamlValue value) {
        if (!value.isPresent()) {
            return Optional.of(List.of());
        }
        Optional<List<YamlValue>> items = value.list("a list of upgrade protocols, e.g. [websocket]");
        if (items.isEmpty()) {
            return Optional.empty();
        }
        List<String> names = new ArrayList<>();
        boolean ok = true;
        for (YamlValue item : items.get()) {
            Optional<String> name = item.as(UPGRADE, SiteBinder::upgradeProtocol);
            name.filter(n -> !n.equals(SiteConfig.WEBSOCKET) && !names.contains(n)).ifPresent(names::add);
            ok &= name.isPresent();
        }
        return ok ? Optional.of(names) : Optional.empty();
    }

    private static String upgradeProtocol(String text) {
        String name = text.trim().toLowerCase(Locale.ROOT);
        if (name.equals("h2c")) {
            throw new IllegalArgumentException(text + " (expected: a protocol other than h2c, whose connection"
                    + " would carry requests past the proxy's rules and forwarding headers; serve HTTP/2 over TLS)");
        }
        if (!UPGRADE_TOKEN.matcher(name).matches()) {
            throw new IllegalArgumentException(text + " (expected: " + UPGRADE + ")");
        }
        return name;
    }

    /** Lowercased host patterns; empty when any is wrong. */
    private List<String> hosts(YamlValue value) {
        List<YamlValue> items = value.required("a list of host names").nonEmptyList("a list of host names", "at least one host name");
        List<String> hosts = new ArrayList<>();
        boolean ok = true;
        for (YamlValue item : items) {
            Optional<String> host = item.as(HOST, SiteBinder::hostPattern);
            if (host.isPresent()) {
                String first = hostOwners.putIfAbsent(host.get(), item.path());
                if (first != null) {
                    item.fail("a host not already served by " + first);
                    ok = false;
                }
                hosts.add(host.get());
            }
            ok &= host.isPresent();
        }
        return ok ? hosts : List.of();
    }

    private static String hostPattern(String text) {
        String host = text.trim().toLowerCase(Locale.ROOT);
        String name = host.startsWith("*.") ? host.substring(2) : host;
        if (host.equals("*") || Addresses.isHost(name)
                || name.startsWith("[") && name.endsWith("]") && Addresses.ipLiteral(name.substring(1, name.length() - 1)).isPresent()) {
            return host;
        }
        throw new IllegalArgumentException(text + " (expected: " + HOST + ")");
    }

    static Optional<StaticConfig> staticFiles(YamlObject o, boolean fallback) {
        Optional<Path> root = o.get("root").required("the directory files are served from").file();
        YamlValue matchValue = o.get("match");
        Optional<com.google.re2j.Pattern> match = matchValue.as("a regular expression (RE2 syntax)",
                text -> RouteBinder.regex(text, false));
        Optional<List<String>> index = index(o.get("index"));
        boolean hidden = o.get("hidden").bool().orElse(Defaults.HIDDEN);
        YamlValue cacheControlValue = o.get("cache_control");
        Optional<String> cacheControl = cacheControlValue.as("a header value such as 'public, max-age=3600'",
                SiteBinder::headerValue);
        Optional<Map<String, String>> mimeTypes = mimeTypes(o.get("mime_types"));
        boolean precompressed = o.get("precompressed").bool().orElse(Defaults.PRECOMPRESSED);
        Optional<OpenFileCacheConfig> cache = openFileCache(o.get("open_file_cache"));
        if (root.isEmpty() || matchValue.isPresent() && match.isEmpty() || index.isEmpty()
                || cacheControlValue.isPresent() && cacheControl.isEmpty() || mimeTypes.isEmpty() || cache.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new StaticConfig(root.get(), match, fallback, index.get(), hidden, cacheControl,
                mimeTypes.get(), precompressed, cache.get()));
    }

    /** File names tried in a directory; empty when one is wrong. */
    private static Optional<List<String>> index(YamlValue value) {
        if (!value.isPresent()) {
            return Optional.of(Defaults.INDEX);
        }
        Optional<List<YamlValue>> items = value.list("a list of file names, e.g. [index.html]");
        if (items.isEmpty()) {
            return Optional.empty();
        }
        List<String> names = new ArrayList<>();
        boolean ok = true;
        for (YamlValue item : items.get()) {
            Optional<String> name = item.as("a file name without '/', e.g. index.html", SiteBinder::fileName);
            name.ifPresent(names::add);
            ok &= name.isPresent();
        }
        return ok ? Optional.of(names) : Optional.empty();
    }

    private static String fileName(String text) {
        if (text.isEmpty() || text.equals(".") || text.equals("..") || text.indexOf('/') >= 0 || text.indexOf('\\') >= 0
                || text.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException(text + " (expected: a file name without '/', e.g. index.html)");
        }
        return text;
    }

    /** Printable text only: a CR or LF here would let the config forge headers. */
    private static String headerValue(String text) {
        String v = text.trim();
        if (v.isEmpty() || v.chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f || c > 0xff)) {
            throw new IllegalArgumentException(text + " (expected: a header value such as 'public, max-age=3600')");
        }
        return v;
    }

    /** Extension -> media type; empty when an entry is wrong. */
    private static Optional<Map<String, String>> mimeTypes(YamlValue value) {
        if (!value.isPresent()) {
            return Optional.of(Map.of());
        }
        Optional<Map<String, YamlValue>> entries = value.entries("a mapping of extension to media type, e.g. {webmanifest: application/manifest+json}");
        if (entries.isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> out = new LinkedHashMap<>();
        boolean ok = true;
        for (Map.Entry<String, YamlValue> e : entries.get().entrySet()) {
            String ext = e.getKey().toLowerCase(Locale.ROOT);
            YamlValue typeValue = e.getValue();
            if (!EXTENSION.matcher(ext).matches()) {
                typeValue.report("extension '" + e.getKey() + "' (expected: an extension without the dot, e.g. webmanifest)");
                ok = false;
                continue;
            }
            Optional<String> type = typeValue.as("a media type such as text/markdown; charset=utf-8", SiteBinder::mediaType);
            type.ifPresent(t -> out.put(ext, t));
            ok &= type.isPresent();
        }
        return ok ? Optional.of(out) : Optional.empty();
    }

    static String mediaType(String text) {
        String t = text.trim();
        if (!MEDIA_TYPE.matcher(t).matches()) {
            throw new IllegalArgumentException(text + " (expected: a media type such as text/markdown; charset=utf-8)");
        }
        return t;
    }

    private static Optional<OpenFileCacheConfig> openFileCache(YamlValue value) {
        if (!value.isPresent()) {
            return Optional.of(OpenFileCacheConfig.DEFAULT);
        }
        return value.object("max_entries", "valid", "inline_max").flatMap(o -> {
            YamlValue maxValue = o.get("max_entries");
            Optional<Integer> max = maxValue.integer(1, Defaults.OPEN_FILE_CACHE_MAX_ENTRIES_LIMIT);
            YamlValue validValue = o.get("valid");
            Optional<Duration> valid = validValue.duration(Duration.ofMillis(1));
            YamlValue inlineValue = o.get("inline_max");
            Optional<Long> inline = inlineValue.size(0, Defaults.OPEN_FILE_CACHE_INLINE_MAX_LIMIT, "a size from 0 to 1m");
            if (maxValue.isPresent() && max.isEmpty() || validValue.isPresent() && valid.isEmpty()
                    || inlineValue.isPresent() && inline.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new OpenFileCacheConfig(max.orElse(Defaults.OPEN_FILE_CACHE_MAX_ENTRIES),
                    valid.orElse(Defaults.OPEN_FILE_CACHE_VALID), inline.orElse(Defaults.OPEN_FILE_CACHE_INLINE_MAX)));
        });
    }
}
