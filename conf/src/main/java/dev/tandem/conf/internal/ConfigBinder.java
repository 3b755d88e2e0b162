package dev.tandem.conf.internal;

import dev.tandem.conf.AccessLogConfig;
import dev.tandem.conf.AdminConfig;
import dev.tandem.conf.Cidr;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.Config;
import dev.tandem.conf.Defaults;
import dev.tandem.conf.ForwardingConfig;
import dev.tandem.conf.HostPort;
import dev.tandem.conf.LimitsConfig;
import dev.tandem.conf.ListenerConfig;
import dev.tandem.conf.NodeHealthConfig;
import dev.tandem.conf.ShutdownConfig;
import dev.tandem.conf.SiteConfig;
import dev.tandem.conf.UpstreamConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Binds a composed YAML document to a {@link Config}. Every section is read even after a mistake, with
 * defaults standing in, so that all problems are reported together; a Config is returned only when there
 * were none.
 */
public final class ConfigBinder {

    private static final Duration POSITIVE = Duration.ofMillis(1);

    private final ParseContext ctx;

    public ConfigBinder(ParseContext ctx) {
        this.ctx = ctx;
    }

    public Optional<Config> bind(Node root) {
        Optional<YamlObject> top = YamlValue.root(ctx, root).object("workers", "listeners", "sites", "upstreams",
                "forwarding", "limits", "access_log", "cluster", "admin",
                "shutdown", "node_health");
        if (top.isEmpty()) {
            return Optional.empty();
        }
        YamlObject o = top.get();
        int workers = workers(o.get("workers"));
        ListenerBinder listenerBinder = new ListenerBinder();
        List<ListenerConfig> listeners = listenerBinder.bind(o.get("listeners"));
        Map<String, YamlValue> upstreamEntries =
                o.get("upstreams").entries("a mapping of name to upstream, e.g. web: {servers: [...]}").orElse(Map.of());
        Map<String, UpstreamConfig> upstreams = new UpstreamBinder().bind(upstreamEntries);
        List<SiteConfig> sites = new SiteBinder(upstreamEntries.keySet()).bind(o.get("sites"));
        ForwardingConfig forwarding = forwarding(o.get("forwarding"));
        LimitsConfig limits = limits(o.get("limits"));
        Optional<AccessLogConfig> accessLog = accessLog(o.get("access_log"));
        Optional<ClusterConfig> cluster = ClusterBinder.bind(o.get("cluster"));
        AdminConfig admin = admin(o.get("admin"), listenerBinder);
        listenerBinder.checkNodes(o.get("cluster").isPresent(), cluster.map(c -> c.nodes().keySet()));
        if (!o.get("cluster").isPresent() || cluster.isPresent()) {
            listenerBinder.checkClashes(cluster.map(c -> c.nodes().keySet()));
        }
        ShutdownConfig shutdown = shutdown(o.get("shutdown"));
        NodeHealthConfig nodeHealth = new NodeHealthBinder(upstreamEntries.keySet()).bind(o.get("node_health"));
        if (ctx.hasErrors()) {
            return Optional.empty();
        }
        return Optional.of(new Config(workers, listeners, sites, upstreams, forwarding, limits, accessLog, cluster, admin,
                shutdown, nodeHealth));
    }

    private static int workers(YamlValue value) {
        if (value.is("auto")) {
            return 0;
        }
        if (value.isPresent() && !value.isInteger()) {
            value.fail("auto or an integer >= 0");
            return 0;
        }
        return value.integer(0, Integer.MAX_VALUE).orElse(0);
    }

    private static ForwardingConfig forwarding(YamlValue value) {
        List<Cidr> trusted = new ArrayList<>();
        boolean[] underscores = {Defaults.UNDERSCORES_IN_HEADERS};
        value.object("trusted_proxies", "underscores_in_headers").ifPresent(o -> {
            for (YamlValue item : o.get("trusted_proxies").list("a list of networks, e.g. [10.0.0.0/8]").orElse(List.of())) {
                item.as("an IP network such as 10.0.0.0/8", Cidr::parse).ifPresent(trusted::add);
            }
            o.get("underscores_in_headers").bool().ifPresent(b -> underscores[0] = b);
        });
        return new ForwardingConfig(trusted, underscores[0]);
    }

    private static LimitsConfig limits(YamlValue value) {
        return value.object("max_header_bytes", "max_body_bytes", "client_timeout", "keepalive_timeout",
                        "tunnel_idle_timeout", "max_concurrent_streams")
                .map(o -> new LimitsConfig(
                        o.get("max_header_bytes")
                                .size(Defaults.MIN_HEADER_BYTES, Defaults.MAX_HEADER_BYTES_LIMIT, "a size from 1k to 1m")
                                .map(Long::intValue).orElse(Defaults.MAX_HEADER_BYTES),
                        o.get("max_body_bytes").size(1, Long.MAX_VALUE, "a size >= 1").orElse(Defaults.MAX_BODY_BYTES),
                        o.get("client_timeout").duration(POSITIVE).orElse(Defaults.CLIENT_TIMEOUT),
                        o.get("keepalive_timeout").duration(POSITIVE).orElse(Defaults.KEEPALIVE_TIMEOUT),
                        o.get("tunnel_idle_timeout").duration(POSITIVE).orElse(Defaults.TUNNEL_IDLE_TIMEOUT),
                        o.get("max_concurrent_streams").integer(1, Defaults.MAX_CONCURRENT_STREAMS_LIMIT)
                                .orElse(Defaults.MAX_CONCURRENT_STREAMS)))
                .orElse(new LimitsConfig(Defaults.MAX_HEADER_BYTES, Defaults.MAX_BODY_BYTES, Defaults.CLIENT_TIMEOUT,
                        Defaults.KEEPALIVE_TIMEOUT));
    }

    /** {@code off} or absent: no log; {@code -} or {@code stdout}: standard output; anything else: a file. */
    private static Optional<AccessLogConfig> accessLog(YamlValue value) {
        if (value.is("off")) {
            return Optional.empty();
        }
        if (value.is("-") || value.is("stdout")) {
            return Optional.of(new AccessLogConfig(Optional.empty()));
        }
        return value.file().map(path -> new AccessLogConfig(Optional.of(path)));
    }

    private AdminConfig admin(YamlValue value, ListenerBinder listeners) {
        Optional<YamlObject> section = value.object("bind", "token", "per_node");
        YamlValue bindValue = section.map(o -> o.get("bind")).orElse(YamlValue.absent(ctx, "admin.bind", null, false));
        return section.map(o -> {
            HostPort bind = bindValue.as("host:port, e.g. 127.0.0.1:9090", Addresses::bind).orElse(Defaults.ADMIN_BIND);
            YamlValue tokenValue = o.get("token");
            Optional<String> token = tokenValue.nonBlank("a non-empty token");
            // An open admin port lets anyone hand VIPs over: off this machine it must ask for a token.
            if (!Addresses.isLoopback(bind) && !tokenValue.isPresent()) {
                bindValue.fail("a loopback address such as 127.0.0.1:9090, or an admin.token");
            }
            YamlValue perNodeValue = o.get("per_node");
            Map<String, HostPort> perNode = listeners.admin(value, bind, bindValue, perNodeValue, tokenValue.isPresent())
                    .orElse(Map.of());
            return new AdminConfig(bind, token, perNode);
        }).orElseGet(() -> {
            listeners.admin(value, Defaults.ADMIN_BIND, bindValue, YamlValue.absent(ctx, "admin.per_node", null, false),
                    false);
            return new AdminConfig(Defaults.ADMIN_BIND, Optional.empty());
        });
    }

    private static ShutdownConfig shutdown(YamlValue value) {
        return value.object("drain_timeout")
                .map(o -> new ShutdownConfig(o.get("drain_timeout").duration(Duration.ZERO).orElse(Defaults.DRAIN_TIMEOUT)))
                .orElse(new ShutdownConfig(Defaults.DRAIN_TIMEOUT));
    }
}
