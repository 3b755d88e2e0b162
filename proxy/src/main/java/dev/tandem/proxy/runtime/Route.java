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
 * @param responseRules the response header rules in the order they apply, on every response of the route:
 *                      the upstream's, the disk's and Tandem's own (see {@code ResponseWriter})
 * @param requests      counts the requests the route took; null for the site's own
 * @param guard         the site's maintenance, then the access rules and pages in force for this route: the
 *                      site's guard itself for a route without rules of its own
 */
public record Route(String label, UpstreamGroup upstream, String replacePrefix, String prefix, StaticSite files,
                    FixedResponse fixed, HeaderRuleSet requestRules, HeaderRuleSet responseRules,
                    Counter requests, SiteGuard guard) {

    /** The rules of {@code site} and then {@code route}, compiled. */
    static HeaderRuleSet rules(HeaderRules.Ops site, HeaderRules.Ops route) {
        return HeaderRuleSet.of(List.of(site, route));
    }

    /** The path sent upstream for a request whose normalized path is {@code path}: the prefix replaced. */
    public String rewrite(String path) {
        String rest = path.substring(prefix.length());
        String joined = replacePrefix.endsWith("/") && rest.startsWith("/") ? replacePrefix + rest.substring(1)
                : replacePrefix + rest;
        return joined.isEmpty() ? "/" : joined;
    }
}
