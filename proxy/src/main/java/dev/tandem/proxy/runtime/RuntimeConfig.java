package dev.tandem.proxy.runtime;

import dev.tandem.conf.Cidr;
import dev.tandem.conf.Config;
import dev.tandem.conf.HeaderRules;
import dev.tandem.conf.HostPort;
import dev.tandem.conf.ListenerConfig;
import dev.tandem.conf.RouteConfig;
import dev.tandem.conf.RouteMatch;
import dev.tandem.conf.ServerConfig;
import dev.tandem.conf.SiteConfig;
import dev.tandem.conf.Snapshot;
import dev.tandem.conf.UpstreamConfig;
import dev.tandem.health.HealthTarget;
import dev.tandem.proxy.guard.SiteGuard;
import dev.tandem.proxy.guard.SiteGuards;
import dev.tandem.proxy.routing.RouteTable;
import dev.tandem.proxy.routing.Router;
import dev.tandem.proxy.statics.StaticFiles;
import dev.tandem.proxy.statics.StaticSite;
import dev.tandem.proxy.upstream.ServerKey;
import dev.tandem.proxy.upstream.ServerRegistry;
import dev.tandem.proxy.upstream.UpstreamGroup;
import dev.tandem.proxy.upstream.UpstreamServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A config snapshot compiled for the request path: the router, the upstream groups with resolved addresses
 * and their per-loop balancers, and the meters each request touches. One volatile read per request gets it;
 * a request keeps the instance it started with to its end.
 */
public final class RuntimeConfig {

    private final Snapshot snapshot;
    private final Router<Site> router;
    private final Map<String, UpstreamGroup> upstreams;
    private final Map<String, RuntimeListener> listeners;

    private RuntimeConfig(Snapshot snapshot, Router<Site> router, Map<String, UpstreamGroup> upstreams,
                          Map<String, RuntimeListener> listeners) {
        this.snapshot = snapshot;
        this.router = router;
        this.upstreams = upstreams;
        this.listeners = listeners;
    }

    /** Listener {@code name} as this config has it, or null (a listener the config removed, still draining). */
    public ListenerConfig listener(String name) {
        RuntimeListener l = listeners.get(name);
        return l != null ? l.options() : null;
    }

    /**
     * Listener {@code name} as this config compiled it (its options and meters), or null (a listener the config
     * removed, still draining).
     */
    public RuntimeListener runtimeListener(String name) {
        return listeners.get(name);
    }

    /**
     * Compiles a {@code snapshot} that serves no static files (for tools and tests that need no open-file
     * caches); see {@link #compile(Snapshot, ServerRegistry, StaticFiles, MeterRegistry, int)}.
     *
     * @throws IllegalArgumentException when a site of {@code snapshot} has {@code static}
     */
    public static RuntimeConfig compile(Snapshot snapshot, ServerRegistry servers, MeterRegistry meters, int loops)
            throws UnknownHostException {
        return compile(snapshot, servers, null, meters, loops);
    }

    /**
     * Compiles {@code snapshot}. Resolves upstream host names, so it blocks: never call it on an event loop.
     *
     * @param files where the sites' static paths get their open-file caches (null only without static sites)
     * @throws UnknownHostException when a server's name does not resolve
     */
    public static RuntimeConfig compile(Snapshot snapshot, ServerRegistry servers, StaticFiles files, MeterRegistry meters,
                                        int loops) throws UnknownHostException {
        return compile(snapshot, servers, files, new SiteGuards(), meters, loops);
    }

    /**
     * Compiles {@code snapshot}, its sites' guards from {@code guards} (which reads their pages and htpasswd
     * files). Blocks: never call it on an event loop.
     */
    public static RuntimeConfig compile(Snapshot snapshot, ServerRegistry servers, StaticFiles files, SiteGuards guards,
                                        MeterRegistry meters, int loops) throws UnknownHostException {
        Config config = snapshot.config();
        if (files == null && config.sites().stream().anyMatch(sc -> sc.staticFiles().isPresent()
                || sc.routes().stream().anyMatch(r -> r.staticFiles().isPresent()))) {
            throw new IllegalArgumentException("a config with static sites needs StaticFiles to compile");
        }
        Map<String, UpstreamGroup> groups = new LinkedHashMap<>();
        for (UpstreamConfig u : config.upstreams().values()) {
            List<UpstreamServer> primaries = new ArrayList<>();
            List<UpstreamServer> backups = new ArrayList<>();
            for (ServerConfig s : u.servers()) {
                List<UpstreamServer> role = s.backup() ? backups : primaries;
                role.add(new UpstreamServer(s, resolve(s.address()), servers.obtain(new ServerKey(u.name(), s.address())),
                        role.size()));
            }
            groups.put(u.name(), new UpstreamGroup(u, primaries, backups, loops));
        }
        Router.Builder<Site> router = Router.builder();
        for (SiteConfig sc : config.sites()) {
            List<RequestMetrics> metrics = new ArrayList<>();
            for (ListenerConfig l : config.listeners()) {
                metrics.add(new RequestMetrics(meters, l.name(), sc.name()));
            }
            UpstreamGroup siteUpstream = sc.upstream().map(groups::get).orElse(null);
            StaticSite siteFiles = sc.staticFiles().map(st -> files.site(sc.name(), st)).orElse(null);
            SiteGuard siteGuard = guards.compile(sc, meters);
            Route own = new Route("-", siteUpstream, null, null, siteFiles, null,
                    Route.rules(sc.headers().request(), HeaderRules.Ops.NONE),
                    Route.rules(sc.headers().response(), HeaderRules.Ops.NONE), null, siteGuard);
            RouteTable.Builder<Route> routes = RouteTable.builder();
            for (RouteConfig rc : sc.routes()) {
                String label = rc.match().toString();
                Route route = new Route(label, rc.upstream().map(groups::get).orElse(siteUpstream),
                        rc.replacePrefix().orElse(null),
                        rc.match().kind() == RouteMatch.Kind.PREFIX ? rc.match().text() : null,
                        rc.staticFiles().map(st -> files.site(sc.name(), st)).orElse(null),
                        rc.fixed().orElse(null),
                        Route.rules(sc.headers().request(), rc.headers().request()),
                        Route.rules(sc.headers().response(), rc.headers().response()),
                        Counter.builder("tandem.route.requests").description("Requests a route of a site took")
                                .tag("site", sc.name()).tag("route", label).register(meters),
                        routeGuard(sc, rc, siteGuard, guards, meters));
                routes.add(rc.match(), rc.stop(), route);
            }
            Counter drops = Counter.builder("tandem.header.rule.drops")
                    .description("Header rule values dropped (or redirects refused) because a variable put CR, LF"
                            + " or another control character in them")
                    .tag("site", sc.name()).register(meters);
            Site site = new Site(sc, siteUpstream, List.copyOf(metrics), siteFiles, routes.build(), own, drops,
                    siteGuard);
            for (String host : sc.hosts()) {
                router.add(host, site);
            }
        }
        Map<String, RuntimeListener> listeners = new HashMap<>();
        for (int i = 0; i < config.listeners().size(); i++) {
            ListenerConfig l = config.listeners().get(i);
            listeners.put(l.name(), new RuntimeListener(l, i, new RequestMetrics(meters, l.name(), "-")));
        }
        return new RuntimeConfig(snapshot, router.build(), Map.copyOf(groups), Map.copyOf(listeners));
    }

    /**
     * The guard of route {@code rc}: the site's when the route has no rules of its own, else the site's
     * maintenance with the route's access rules and pages over the site's (maintenance is switched, and the guard
     * metrics counted, by the site's name either way).
     */
    private static SiteGuard routeGuard(SiteConfig sc, RouteConfig rc, SiteGuard siteGuard, SiteGuards guards,
                                        MeterRegistry meters) {
        if (rc.access().isOpen() && rc.errorPages().isEmpty()) {
            return siteGuard;
        }
        return guards.compile(sc.name(), rc.errorPages().over(sc.errorPages()), sc.maintenance(),
                rc.access().over(sc.access()), meters);
    }

    /** An IP literal converts without a lookup; a name is resolved now, once per reload. */
    static InetSocketAddress resolve(HostPort hp) throws UnknownHostException {
        InetAddress address = InetAddress.getByName(hp.host());
        if (!Cidr.isIpLiteral(hp.host())) {
            address = InetAddress.getByAddress(hp.host(), address.getAddress());
        }
        return new InetSocketAddress(address, hp.port());
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    public Config config() {
        return snapshot.config();
    }

    public Site route(String host) {
        return router.route(host);
    }

    public UpstreamGroup upstream(String name) {
        return upstreams.get(name);
    }

    public Map<String, UpstreamGroup> upstreams() {
        return upstreams;
    }

    /** Every server of every upstream, as the health checks see it: resolved address, checks, long-lived health. */
    public List<HealthTarget> healthTargets() {
        List<HealthTarget> targets = new ArrayList<>();
        for (UpstreamConfig u : snapshot.config().upstreams().values()) {
            UpstreamGroup g = upstreams.get(u.name());
            for (List<UpstreamServer> role : List.of(g.primaries(), g.backups())) {
                for (UpstreamServer s : role) {
                    targets.add(new HealthTarget(g.name(), s.config().address(), s.address(), u.health(), s.state().health()));
                }
            }
        }
        return targets;
    }

    /** Meters for requests on {@code listener} that reached no site (bad requests, unknown hosts). */
    public RequestMetrics unrouted(String listener) {
        RuntimeListener l = listeners.get(listener);
        return (l != null ? l : listeners.values().iterator().next()).unrouted();
    }
}
