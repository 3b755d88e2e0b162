package dev.tandem.conf;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole configuration of one node, as parsed and validated from the YAML file. Immutable: a reload
 * builds a new one and swaps it.
 *
 * @param workers       data-plane event loops; 0 means one per available processor
 * @param listeners     client-facing listeners, in file order
 * @param sites         virtual hosts, in file order (the first match by specificity wins, see the router)
 * @param upstreams     upstream groups by name, in file order
 * @param accessLog     where the access log goes, when configured
 * @param shutdown      how a graceful stop drains
 * @param nodeHealth    when this node counts as able to serve (for the cluster's health tracking)
 */
public record Config(
        int workers,
        List<ListenerConfig> listeners,
        List<SiteConfig> sites,
        Map<String, UpstreamConfig> upstreams,
        ForwardingConfig forwarding,
        LimitsConfig limits,
        Optional<AccessLogConfig> accessLog,
        Optional<ClusterConfig> cluster,
        AdminConfig admin,
        ShutdownConfig shutdown,
        NodeHealthConfig nodeHealth) {

    public Config {
        listeners = List.copyOf(listeners);
        sites = List.copyOf(sites);
        upstreams = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(upstreams));
    }

    /** A config with the default node health rule ({@link Defaults#NODE_HEALTH}). */
    public Config(int workers, List<ListenerConfig> listeners, List<SiteConfig> sites, Map<String, UpstreamConfig> upstreams,
                  ForwardingConfig forwarding, LimitsConfig limits, Optional<AccessLogConfig> accessLog,
                  Optional<ClusterConfig> cluster, AdminConfig admin, ShutdownConfig shutdown) {
        this(workers, listeners, sites, upstreams, forwarding, limits, accessLog, cluster, admin, shutdown,
                Defaults.NODE_HEALTH);
    }
}
