package dev.tandem.proxy.runtime;

import dev.tandem.conf.FixedResponse;
import dev.tandem.conf.HeaderRules;
import dev.tandem.proxy.guard.SiteGuard;
import dev.tandem.proxy.statics.StaticSite;
import dev.tandem.proxy.upstream.UpstreamGroup;
import io.micrometer.core.instrument.Counter;
import java.util.List;

/**
 * Where one route of a site (or, for paths no route takes, the site itself) sends a request, as one config
 * snapshot compiled it, with the guard its requests pass (the site's, or one of the route's own access rules
 * and error pages over the site's).
 *
 * @param label         for logs and metrics: {@code prefix /api/}, or {@code -} for the site's own
 * @param upstream      the route's upstream, else the site's; null when there is none
 * @param replacePrefix what the matched prefix becomes upstream; null: the target goes as sent
 * @param prefix        the prefix matched, for the rewrite; null for other routes
 * @param files         the static path of this route; null when it serves no files
 * @param fixed         the return or redirect it answers with; null when it has none
 * @param requestRules  the request header rules in the order they apply (the site's, then the route's)
 * @param responseRules the response header rules in the order they apply
 * @param requests      counts the requests the route took; null for the site's own
 * @param guard         the site's maintenance, then the access rules and pages in force for this route: the
 *                      site's guard itself for a route without rules of its own
 */
public record Route(String label, UpstreamGroup upstream, String replacePrefix, String prefix, StaticSite files,
                    FixedResponse fixed, List<HeaderRules.Ops> requestRules, List<HeaderRules.Ops> responseRules,
                    Counter requests, SiteGuard guard) {

    public Route {
        requestRules = List.copyOf(requestRules);
        responseRules = List.copyOf(responseRules);
    }

    /** The rules of {@code site} and then {@code route}, without the empty ones. */
    static List<HeaderRules.Ops> rules(HeaderRules.Ops site, HeaderRules.Ops route) {
        return site.isEmpty() ? route.isEmpty() ? List.of() : List.of(route)
                : route.isEmpty() ? List.of(site) : List.of(site, route);
    }

    /** The path sent upstream for a request whose normalized path is {@code path}: the prefix replaced. */
    public String rewrite(String path) {
        String rest = path.substring(prefix.length());
        String joined = replacePrefix.endsWith("/") && rest.startsWith("/") ? replacePrefix + rest.substring(1)
                : replacePrefix + rest;
        return joined.isEmpty() ? "/" : joined;
    }
}
