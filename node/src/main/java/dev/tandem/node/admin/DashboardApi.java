package dev.tandem.node.admin;

import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.AdminConfig;
import dev.tandem.conf.Config;
import dev.tandem.conf.HostPort;
import dev.tandem.node.admin.AdminRoute.Access;
import dev.tandem.node.wiring.Node;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the dashboard reads beyond {@code /status}: this node's timeline and the whole cluster on one page.
 *
 * <pre>
 * GET /api/events?after=SEQ   this node's timeline (transitions, failovers, reloads, health changes, API calls), oldest first
 * GET /api/node               this node's /status and its latest events, in one document (what peers ask for)
 * GET /api/cluster            /api/node of this node and of every peer, each peer asked at once with a short timeout
 * </pre>
 *
 * The timeline is kept by looking at {@code /status} once a second and recording what changed
 * ({@link StatusChanges}), in a ring of {@link #EVENTS} entries; peers are asked on their admin listener, at
 * their {@code cluster.nodes} address and this node's admin port, with this node's admin token (the same file
 * is used on every node). A peer that does not answer in {@link #PEER_TIMEOUT} is shown as such.
 */
public final class DashboardApi implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DashboardApi.class);

    static final int EVENTS = 256;
    /** Events per node in {@code /api/node}: the page merges the nodes' and shows the latest. */
    static final int EVENTS_PER_NODE = 100;
    static final Duration LOOK_EVERY = Duration.ofSeconds(1);
    static final Duration PEER_TIMEOUT = Duration.ofMillis(1500);

    private final Node node;
    private final Clock clock;
    private final EventRing ring;
    private final PeerFanOut fanOut = new PeerFanOut(PEER_TIMEOUT);
    private final ScheduledExecutorService looker;
    /** The last document looked at; touched by the looker thread only. */
    private Map<String, Object> last;

    private DashboardApi(Node node, Clock clock) {
        this.node = node;
        this.clock = clock;
        this.ring = new EventRing(node.name(), EVENTS);
        this.looker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tandem-timeline");
            t.setDaemon(true);
            return t;
        });
    }

    public static DashboardApi start(Node node) {
        DashboardApi d = new DashboardApi(node, Clock.systemUTC());
        d.ring.add(node.started(), "node", "info", "node", "started (tandem " + NodeStatus.version() + ")");
        // What operators do is on the timeline as they do it, not only as far as a look a second later sees it.
        node.adminRoutes().audit((method, path, status, remote) -> d.ring.add(d.clock.instant(), "action",
                status < 400 ? "info" : "warn", path, method + " " + path + " → " + status + " (from " + remote + ")"));
        node.adminRoutes().add(AdminRoute.sync("GET", "/api/events", Access.READ, r -> {
            long after = 0;
            try {
                after = r.queryParam("after") == null ? 0 : Long.parseLong(r.queryParam("after"));
            } catch (NumberFormatException e) {
                return AdminResponse.error(400, "after: '" + r.queryParam("after") + "' (expected: a sequence number)");
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("node", node.name());
            m.put("dropped", d.ring.dropped());
            m.put("events", trees(d.ring.after(after)));
            return AdminResponse.json(200, m);
        }));
        node.adminRoutes().add(AdminRoute.sync("GET", "/api/node", Access.READ, r -> AdminResponse.json(200, d.self())));
        node.adminRoutes().add(new AdminRoute("GET", "/api/cluster", Access.READ, r -> d.cluster()));
        d.looker.scheduleWithFixedDelay(d::look, LOOK_EVERY.toMillis(), LOOK_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        return d;
    }

    EventRing events() {
        return ring;
    }

    /** Records what changed since the last look. */
    void look() {
        try {
            Map<String, Object> now = node.statusSections().render();
            List<StatusChanges.Change> changes = last == null ? StatusChanges.initial(now, clock.instant())
                    : StatusChanges.between(last, now, clock.instant());
            for (StatusChanges.Change c : changes) {
                ring.add(c.at(), c.kind(), c.level(), c.subject(), c.text());
            }
            last = now;
        } catch (RuntimeException e) {
            // One bad look must not end the looking: the next one compares with the last good document.
            log.warn("timeline: cannot read the status", e);
        }
    }

    private Map<String, Object> self() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", node.name());
        m.put("status", node.statusSections().render());
        List<AdminEvent> events = ring.after(0);
        m.put("events", trees(events.subList(Math.max(0, events.size() - EVENTS_PER_NODE), events.size())));
        return m;
    }

    private CompletableFuture<AdminResponse> cluster() {
        Config config = node.reloader().current().config();
        List<PeerFanOut.Peer> peers = config.cluster()
                .map(c -> peers(c, node.name(), config.admin(), node.adminAddress().getPort()))
                .orElse(List.of());
        Map<String, Object> self = self();
        self.put("self", true);
        self.put("reachable", true);
        return fanOut.ask(peers, "/api/node", config.admin().token()).thenApply(answers -> {
            List<Object> nodes = new ArrayList<>();
            nodes.add(self);
            for (PeerFanOut.Answer a : answers) {
                Map<String, Object> n = a.toTree();
                n.put("self", false);
                if (a.ok() && a.body() instanceof Map<?, ?> body) {
                    body.forEach((k, v) -> {
                        if (!"name".equals(k)) {
                            n.put(String.valueOf(k), v);
                        }
                    });
                }
                nodes.add(n);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("self", node.name());
            m.put("peer_timeout_ms", PEER_TIMEOUT.toMillis());
            m.put("nodes", nodes);
            return AdminResponse.json(200, m);
        });
    }

    /**
     * The peers' admin listeners as seen from here: at each peer's {@code cluster.nodes} address and this node's
     * admin port, when the listener is bound to every address or to this node's own cluster address (the same
     * file on every node then puts each peer's listener at its address). A listener on another address, e.g.
     * the default loopback, cannot be reached from a peer; the page says so and how to change it.
     */
    static List<PeerFanOut.Peer> peers(ClusterConfig cluster, String self, HostPort bind, int port) {
        return peers(cluster, self, new AdminConfig(bind, Optional.empty()), port);
    }

    /**
     * As above, with {@code admin.per_node}: a peer with an entry of its own listens where that says, at its port,
     * and is asked at its {@code cluster.nodes} address when it binds every address, that one, or its own bind
     * address (behind NAT, its router forwards the port as it does the cluster's).
     *
     * @param port this node's admin port as bound: a peer binding port 0 (a free port) is asked at it
     */
    static List<PeerFanOut.Peer> peers(ClusterConfig cluster, String self, AdminConfig admin, int port) {
        HostPort bind = admin.bind();
        String host = bind.host();
        boolean everyAddress = everyAddress(host);
        boolean ownAddress = host.equals(cluster.nodes().get(self));
        List<PeerFanOut.Peer> out = new ArrayList<>();
        cluster.nodes().forEach((name, address) -> {
            if (name.equals(self)) {
                return;
            }
            HostPort own = admin.perNodeBind().get(name);
            if (own != null) {
                if (everyAddress(own.host()) || own.host().equals(address) || own.host().equals(cluster.bind(name))) {
                    out.add(new PeerFanOut.Peer(name, new HostPort(address, own.port() != 0 ? own.port() : port)
                            .toString(), null));
                } else {
                    out.add(new PeerFanOut.Peer(name, null, "not asked: admin.per_node." + name + ".bind " + own
                            + " is not reachable from the other nodes; bind it to the node's address or 0.0.0.0"
                            + " (with admin.token) to see it here"));
                }
            } else if (everyAddress || ownAddress) {
                out.add(new PeerFanOut.Peer(name, new HostPort(address, port).toString(), null));
            } else {
                out.add(new PeerFanOut.Peer(name, null, "not asked: admin.bind " + bind + " is not reachable from the"
                        + " other nodes; bind it to 0.0.0.0 (with admin.token) to see every node here"));
            }
        });
        return out;
    }

    private static boolean everyAddress(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
    }

    private static List<Object> trees(List<AdminEvent> events) {
        List<Object> out = new ArrayList<>(events.size());
        events.forEach(e -> out.add(e.toTree()));
        return out;
    }

    @Override
    public void close() {
        looker.shutdownNow();
    }
}
