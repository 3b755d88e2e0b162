package dev.tandem.conf;

import java.util.Optional;

/**
 * One route of a site ({@code sites[].routes[]}): which paths it takes, and what answers them. A route with
 * neither upstream, static nor a fixed response sends its paths to the site's upstream under its own header
 * rules (or, with {@code stop}, only keeps regexes away from them).
 *
 * <p>A route also carries the rules of a site guard that nginx lets a {@code location} have: access control
 * and error pages (maintenance stays the site's). What a route leaves out it inherits from its site.
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
 * @param access        the route's access rules: its allow/deny lists, when it has any, replace the site's (as
 *                      nginx's {@code allow}/{@code deny} in a {@code location}), and so does its basic auth;
 *                      {@link AccessRules#OPEN}: the site's rules
 * @param errorPages    the route's pages, each over the site's page for the same status;
 *                      {@link ErrorPages#NONE}: the site's pages
 */
public record RouteConfig(RouteMatch match, boolean stop, Optional<String> upstream, Optional<String> replacePrefix,
                          Optional<StaticConfig> staticFiles, Optional<FixedResponse> fixed, HeaderRules headers,
                          AccessRules access, ErrorPages errorPages) {

    /** A route without access rules or error pages of its own (the site's apply). */
    public RouteConfig(RouteMatch match, boolean stop, Optional<String> upstream, Optional<String> replacePrefix,
                       Optional<StaticConfig> staticFiles, Optional<FixedResponse> fixed, HeaderRules headers) {
        this(match, stop, upstream, replacePrefix, staticFiles, fixed, headers, AccessRules.OPEN, ErrorPages.NONE);
    }

    /** A route sending {@code match} to {@code upstream}, nothing else set. */
    public static RouteConfig toUpstream(RouteMatch match, String upstream) {
        return new RouteConfig(match, false, Optional.of(upstream), Optional.empty(), Optional.empty(), Optional.empty(),
                HeaderRules.NONE);
    }
}
