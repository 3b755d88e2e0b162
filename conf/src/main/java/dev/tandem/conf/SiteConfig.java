package dev.tandem.conf;

import java.util.List;
import java.util.Optional;

/**
 * A virtual host.
 *
 * @param hosts          exact names, {@code *.example.com} wildcards or {@code *} for any host
 * @param staticFiles    the static-file fast path, when configured
 * @param upstream       the upstream group requests go to; empty only for a static-only site without fallback
 * @param allowUpgrades  upgrade protocols (lowercase names, RFC 9110 section 7.8) the site's upstream may switch
 *                       a connection to besides {@code websocket}, which is always allowed; never {@code h2c}
 * @param routes         routes within the site, in the order written (selection follows nginx's order, not this)
 * @param headers        header rules for every request of the site (a route's own come after them)
 * @param errorPages     the site's own pages for error statuses
 * @param maintenance    the site's maintenance mode as the config sets it
 * @param access         who may reach the site: addresses, then basic auth
 */
public record SiteConfig(List<String> hosts, Optional<StaticConfig> staticFiles, Optional<String> upstream,
                         List<String> allowUpgrades, List<RouteConfig> routes, HeaderRules headers,
                         ErrorPages errorPages, Maintenance maintenance, AccessRules access) {

    /** The protocol every site may upgrade to. */
    public static final String WEBSOCKET = "websocket";

    public SiteConfig {
        hosts = List.copyOf(hosts);
        allowUpgrades = List.copyOf(allowUpgrades);
        routes = List.copyOf(routes);
    }

    /** A site without pages, maintenance or access rules of its own. */
    public SiteConfig(List<String> hosts, Optional<StaticConfig> staticFiles, Optional<String> upstream,
                      List<String> allowUpgrades, List<RouteConfig> routes, HeaderRules headers) {
        this(hosts, staticFiles, upstream, allowUpgrades, routes, headers, ErrorPages.NONE, Maintenance.OFF,
                AccessRules.OPEN);
    }

    /** A site without routes or header rules. */
    public SiteConfig(List<String> hosts, Optional<StaticConfig> staticFiles, Optional<String> upstream,
                      List<String> allowUpgrades, ErrorPages errorPages, Maintenance maintenance,
                      AccessRules access) {
        this(hosts, staticFiles, upstream, allowUpgrades, List.of(), HeaderRules.NONE, errorPages, maintenance,
                access);
    }

    /** A site without routes, header rules, pages, maintenance or access rules. */
    public SiteConfig(List<String> hosts, Optional<StaticConfig> staticFiles, Optional<String> upstream,
                      List<String> allowUpgrades) {
        this(hosts, staticFiles, upstream, allowUpgrades, List.of(), HeaderRules.NONE);
    }

    /** A site that allows no upgrade but WebSocket. */
    public SiteConfig(List<String> hosts, Optional<StaticConfig> staticFiles, Optional<String> upstream) {
        this(hosts, staticFiles, upstream, List.of());
    }

    /** A name for logs and metrics: the first host. */
    public String name() {
        return hosts.get(0);
    }
}
