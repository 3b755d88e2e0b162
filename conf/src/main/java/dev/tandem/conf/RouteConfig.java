package dev.tandem.conf;

import java.util.Optional;

/**
 * One route of a site ({@code sites[].routes[]}): which paths it takes, and what answers them. A route with
 * neither upstream, static nor a fixed response sends its paths to the site's upstream under its own header
 * rules (or, with {@code stop}, only keeps regexes away from them).
 *
 * <p>Rules that belong to other concerns (access control, error pages) attach here as further components
 * beside {@link #headers}, bound by the same route binder, so that a route carries everything nginx's
 * {@code location} block would.
 *
 * @param match         what the route matches
 * @param stop          a prefix route that, when it is the longest prefix matched, ends the search before
 *                      the regexes (nginx {@code ^~})
 * @param upstream      where the route's requests go; empty: the site's upstream
 * @param replacePrefix for a prefix route: what the matched prefix becomes on the way upstream and in the path
 *                      looked up under a static root ({@code strip_prefix: true} is {@code "/"}); empty: the
 *                      path goes upstream as the client sent it, and is looked up whole under the root
 * @param staticFiles   files served from disk for this route (without {@code match}: the route is the match);
 *                      the file of {@code /a/b.css} is {@code root/a/b.css}, as with nginx's {@code root}
 * @param fixed         a return or a redirect, answered without any upstream
 * @param headers       the route's header rules, applied after the site's
 */
public record RouteConfig(RouteMatch match, boolean stop, Optional<String> upstream, Optional<String> replacePrefix,
                          Optional<StaticConfig> staticFiles, Optional<FixedResponse> fixed, HeaderRules headers) {

    /** A route sending {@code match} to {@code upstream}, nothing else set. */
    public static RouteConfig toUpstream(RouteMatch match, String upstream) {
        return new RouteConfig(match, false, Optional.of(upstream), Optional.empty(), Optional.empty(), Optional.empty(),
                HeaderRules.NONE);
    }
}
