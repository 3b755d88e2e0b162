package dev.tandem.proxy.runtime;

import dev.tandem.conf.SiteConfig;
import dev.tandem.proxy.guard.SiteGuard;
import dev.tandem.proxy.statics.StaticSite;
import dev.tandem.proxy.upstream.UpstreamGroup;
import java.util.List;

/**
 * A site as one config snapshot defines it.
 *
 * @param upstream where requests go; null for a static-only site without fallback
 * @param metrics  request meters, one for each listener of the config, in the listeners' order
 * @param files    the static-file path, or null when the site serves no files
 * @param guard    maintenance, access rules and the site's own pages
 */
public record Site(SiteConfig config, UpstreamGroup upstream, List<RequestMetrics> metrics, StaticSite files,
                   SiteGuard guard) {

    public String name() {
        return config.name();
    }

    /** The meters of this site's requests on {@code listener}. */
    public RequestMetrics metrics(RuntimeListener listener) {
        return metrics.get(listener.index());
    }
}
