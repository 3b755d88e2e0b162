package dev.tandem.node.admin;

import dev.tandem.conf.SiteConfig;
import dev.tandem.conf.Snapshot;
import dev.tandem.health.ActiveState;
import dev.tandem.node.cli.Main;
import dev.tandem.node.reload.ConfigReloader;
import dev.tandem.node.wiring.Node;
import dev.tandem.proxy.ProxyServer;
import dev.tandem.proxy.runtime.RuntimeConfig;
import dev.tandem.proxy.upstream.ServerState;
import dev.tandem.proxy.upstream.UpstreamGroup;
import dev.tandem.proxy.upstream.UpstreamServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The built-in sections of {@code /status}: node, config, listeners, sites and upstreams. Each renders from
 * state that is safe to read from any thread (the config in force, atomics of the servers).
 */
public final class NodeStatus {

    private NodeStatus() {
    }

    public static void addSections(Node node) {
        node.statusSections().add(StatusSection.of("node", () -> node(node)));
        node.statusSections().add(StatusSection.of("config", () -> config(node)));
        node.statusSections().add(StatusSection.of("listeners", () -> listeners(node.proxy())));
        node.statusSections().add(StatusSection.of("sites", () -> sites(node)));
        node.statusSections().add(StatusSection.of("upstreams", () -> upstreams(node.proxy().config())));
    }

    /** The version of this build, from the jar's manifest ({@code dev} when run from classes). */
    public static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    private static Map<String, Object> node(Node node) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", node.name());
        m.put("version", version());
        m.put("started", node.started().toString());
        m.put("uptime_seconds", Duration.between(node.started(), Instant.now()).toSeconds());
        m.put("pid", ProcessHandle.current().pid());
        m.put("transport", node.proxy().transport().name());
        m.put("java", Runtime.version().toString());
        // The signal the cluster tracks: false hands this node's VIPs to a peer (see README, "Node health").
        m.put("can_serve", node.nodeHealth().canServe());
        m.put("health_reason", node.nodeHealth().reason());
        return m;
    }

    private static Map<String, Object> config(Node node) {
        ConfigReloader r = node.reloader();
        Snapshot s = r.current();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", s.version());
        m.put("hash", s.hash());
        m.put("file", node.configFile().toString());
        m.put("watched", node.watching());
        m.put("last_reload", r.last().toJson());
        return m;
    }

    private static List<Object> listeners(ProxyServer proxy) {
        List<Object> out = new ArrayList<>();
        for (ProxyServer.ListenerView l : proxy.listenerViews()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", l.config().name());
            m.put("bind", l.config().bind().toString());
            m.put("address", l.address().getAddress().getHostAddress() + ":" + l.address().getPort());
            m.put("tls", l.config().secure());
            m.put("connections", l.connections());
            out.add(m);
        }
        return out;
    }

    private static List<Object> sites(Node node) {
        List<Object> out = new ArrayList<>();
        for (SiteConfig s : node.proxy().config().config().sites()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name());
            m.put("hosts", s.hosts());
            m.put("upstream", s.upstream().orElse(null));
            m.put("static_root", s.staticFiles().map(st -> st.root().toString()).orElse(null));
            SiteAdmin.addGuard(m, s, node.proxy().guards().maintenance());
            out.add(m);
        }
        return out;
    }

    private static List<Object> upstreams(RuntimeConfig config) {
        long now = System.nanoTime();
        List<Object> out = new ArrayList<>();
        for (UpstreamGroup g : config.upstreams().values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", g.name());
            m.put("balance", g.config().balance().keyword());
            m.put("health_checks", g.config().health().isPresent());
            m.put("available", g.anyAvailable(now));
            List<Object> servers = new ArrayList<>();
            for (UpstreamServer s : g.primaries()) {
                servers.add(server(g, s, now));
            }
            for (UpstreamServer s : g.backups()) {
                servers.add(server(g, s, now));
            }
            m.put("servers", servers);
            out.add(m);
        }
        return out;
    }

    /**
     * One server. {@code state} sums it up in one word: {@code drained} (by an operator), {@code down} (active
     * checks say so, or passive accounting took it out), {@code up} (active checks say so), {@code unchecked}
     * (no active checks configured and no passive penalty) or {@code unknown} (checks configured, no verdict yet).
     */
    private static Map<String, Object> server(UpstreamGroup g, UpstreamServer s, long now) {
        ServerState st = s.state();
        ActiveState active = st.health().active();
        boolean passiveDown = st.health().passive().isDown(now);
        String state;
        if (st.drained()) {
            state = "drained";
        } else if (active == ActiveState.DOWN || passiveDown) {
            state = "down";
        } else if (active == ActiveState.UP) {
            state = "up";
        } else {
            state = g.config().health().isPresent() ? "unknown" : "unchecked";
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("address", s.label());
        m.put("resolved", s.address().getAddress().getHostAddress() + ":" + s.address().getPort());
        m.put("backup", s.config().backup());
        m.put("weight", s.weight());
        m.put("configured_weight", s.config().weight());
        m.put("weight_override", st.weightOverride() >= 0 ? st.weightOverride() : null);
        m.put("drained", st.drained());
        m.put("state", state);
        m.put("active", active.name().toLowerCase(java.util.Locale.ROOT));
        m.put("active_reason", st.health().status().reason());
        m.put("active_since", st.health().status().since().toString());
        m.put("passive_down", passiveDown);
        Instant passiveUntil = passiveDown ? Instant.now().plusNanos(st.health().passive().downUntil() - now) : null;
        m.put("passive_down_until", passiveUntil == null ? null : passiveUntil.toString());
        // Why and since when the server takes no traffic, in one place for pages and the CLI (null while it does).
        String downReason = null;
        String downSince = null;
        if (st.drained()) {
            downReason = "drained by an operator";
        } else if (active == ActiveState.DOWN) {
            downReason = "health check: " + st.health().status().reason();
            downSince = st.health().status().since().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString();
        } else if (passiveDown) {
            var passive = g.config().passive();
            downReason = passive.maxFails() + " failed attempt" + (passive.maxFails() == 1 ? "" : "s") + " within "
                    + seconds(passive.failTimeout()) + " (passive: max_fails), out of rotation until "
                    + passiveUntil.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            downSince = passiveUntil.minus(passive.failTimeout()).truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString();
        }
        m.put("down_reason", downReason);
        m.put("down_since", downSince);
        m.put("passive_failures", st.health().passive().failures());
        m.put("in_flight", st.inFlight());
        m.put("queued", st.queued());
        m.put("responses", st.metrics().responses());
        m.put("failures", st.metrics().failures());
        return m;
    }

    /** {@code 10s}, {@code 1500ms}. */
    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
