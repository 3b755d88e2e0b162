package dev.tandem.proxy.runtime;

import dev.tandem.conf.SiteConfig;
import dev.tandem.proxy.guard.SiteGuard;
import dev.tandem.proxy.routing.RouteTable;
import dev.tandem.proxy.statics.StaticSite;
import dev.tandem.proxy.upstream.UpstreamGroup;
import io.micrometer.core.instrument.Counter;
import java.util.List;

/**
 * A site as one config snapshot defines it.
 *
 * @param upstream where requests go; null for a static-only site without fallback
 * @param metrics  request meters, one for each listener of the config, in the listeners' order
 * @param files    the static-file path, or null when the site serves no files
 * @param routes   the site's routes (see {@link RouteTable})
 * @param own      what answers a path no route takes: the site's upstream, static path and header rules
 * @param headerRuleDrops counts header rule values dropped because a variable filled them with CR, LF or
 *                 another control character
 * @param guard    maintenance, access rules and the site's own pages (also {@code own}'s guard; a route with
 *                 rules of its own has its guard on its {@link Route})
 */
public record Site(SiteConfig config, UpstreamGroup upstream, List<RequestMetrics> metrics, StaticSite files,
                   RouteTable<Route> routes, Route own, Counter headerRuleDrops, SiteGuard guard) {

    /**
     * The route of a request whose normalized path is {@code path} (see
     * {@link dev.tandem.proxy.routing.RoutePath}): one of the site's routes, else the site's own.
     */
    public Route route(String path) {
        Route r = routes.isEmpty() ? null : routes.select(path);
        return r != null ? r : own;
    }

    public String name() {
        return config.name();
    }

    /** The meters of this site's requests on {@code listener}. */
    public RequestMetrics metrics(RuntimeListener listener) {
        return metrics.get(listener.index());
    }
}
