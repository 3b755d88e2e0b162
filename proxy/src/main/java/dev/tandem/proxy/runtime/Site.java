package dev.tandem.proxy.runtime;

import dev.tandem.conf.SiteConfig;
import dev.tandem.proxy.statics.StaticSite;
import dev.tandem.proxy.upstream.UpstreamGroup;
import java.util.Map;

/**
 * A site as one config snapshot defines it.
 *
 * @param upstream where requests go; null for a static-only site without fallback
 * @param metrics  request meters by listener name
 * @param files    the static-file path, or null when the site serves no files
 */
public record Site(SiteConfig config, UpstreamGroup upstream, Map<String, RequestMetrics> metrics, StaticSite files) {

    public String name() {
        return config.name();
    }
}
