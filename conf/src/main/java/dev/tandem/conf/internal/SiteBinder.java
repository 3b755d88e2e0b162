package dev.tandem.conf.internal;

import dev.tandem.conf.SiteConfig;
import dev.tandem.conf.StaticConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** {@code sites}: virtual hosts, each host served by one site only, each naming an upstream that exists. */
final class SiteBinder {

    private static final String HOST = "a host name, *.example.com or *";

    private final Set<String> upstreamNames;
    private final Map<String, String> hostOwners = new HashMap<>();

    /** @param upstreamNames every name under {@code upstreams}, broken ones included, so one mistake is one error */
    SiteBinder(Set<String> upstreamNames) {
        this.upstreamNames = upstreamNames;
    }

    List<SiteConfig> bind(YamlValue value) {
        List<SiteConfig> out = new ArrayList<>();
        for (YamlValue item : value.list("a list of sites").orElse(List.of())) {
            item.object("hosts", "static", "upstream").flatMap(this::site).ifPresent(out::add);
        }
        return out;
    }

    private Optional<SiteConfig> site(YamlObject o) {
        List<String> hosts = hosts(o.get("hosts"));
        Optional<YamlObject> staticObject = o.get("static").object("root", "match", "fallback");
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
        if (!upstreamValue.isPresent() && !staticOnly) {
            upstreamValue.required("the name of an upstream; only a static site with fallback: false may omit it");
            return Optional.empty();
        }
        if (hosts.isEmpty() || (staticObject.isPresent() && staticFiles.isEmpty())) {
            return Optional.empty();
        }
        return Optional.of(new SiteConfig(hosts, staticFiles, upstream));
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

    private static Optional<StaticConfig> staticFiles(YamlObject o, boolean fallback) {
        Optional<Path> root = o.get("root").required("the directory files are served from").file();
        YamlValue matchValue = o.get("match");
        Optional<Pattern> match = matchValue.as("a regular expression", SiteBinder::regex);
        if (root.isEmpty() || matchValue.isPresent() && match.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new StaticConfig(root.get(), match, fallback));
    }

    private static Pattern regex(String text) {
        try {
            return Pattern.compile(text);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(text + " (expected: a regular expression; " + e.getDescription()
                    + " near index " + e.getIndex() + ")");
        }
    }
}
