package dev.tandem.conf;

import java.util.List;
import java.util.Optional;

/**
 * A virtual host.
 *
 * @param hosts       exact names, {@code *.example.com} wildcards or {@code *} for any host
 * @param staticFiles the static-file fast path, when configured
 * @param upstream    the upstream group requests go to; empty only for a static-only site without fallback
 */
public record SiteConfig(List<String> hosts, Optional<StaticConfig> staticFiles, Optional<String> upstream) {

    public SiteConfig {
        hosts = List.copyOf(hosts);
    }

    /** A name for logs and metrics: the first host. */
    public String name() {
        return hosts.get(0);
    }
}
