package dev.tandem.node.wiring;

import dev.tandem.cluster.LocalNode;
import dev.tandem.cluster.mirror.MirrorListener;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.ConfigException;
import dev.tandem.conf.HostPort;
import dev.tandem.conf.Snapshot;
import dev.tandem.health.NodeHealth;
import dev.tandem.node.admin.AdminApi;
import dev.tandem.node.admin.AdminRoutes;
import dev.tandem.node.admin.AdminServer;
import dev.tandem.node.admin.ClusterAdmin;
import dev.tandem.node.admin.DashboardApi;
import dev.tandem.node.admin.MirrorAdmin;
import dev.tandem.node.admin.NodeStatus;
import dev.tandem.node.admin.SiteAdmin;
import dev.tandem.node.admin.StatusSections;
import dev.tandem.node.reload.ConfigReloader;
import dev.tandem.node.reload.ConfigWatcher;
import dev.tandem.node.reload.ReloadResult;
import dev.tandem.proxy.ProxyServer;
import dev.tandem.proxy.transport.Transport;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Tandem node: the composition root that wires the config, the data plane, the admin
 * endpoint and the reload paths, and stops them in the right order. Other modules' status and routes are
 * adapted here into {@link #statusSections()} and {@link #adminRoutes()}.
 */
public final class Node implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Node.class);

    /** How long the config file must stay untouched after a change before it is read. */
    static final Duration WATCH_QUIET = Duration.ofMillis(300);

    private final Path configFile;
    private final String name;
    private final Instant started;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ProcessMeters processMeters = ProcessMeters.bind(meters, NodeStatus.version());
    private final ProxyServer proxy;
    private final StatusSections sections = new StatusSections();
    private final AdminRoutes routes = new AdminRoutes();
    private ConfigReloader reloader;
    private AdminServer admin;
    private volatile ConfigWatcher watcher;
    private volatile ClusterService cluster;
    private volatile MirrorService mirror;
    private volatile DashboardApi dashboard;
    private volatile Warmup warmup;
    private final MirroredCertificates certificates;
    private boolean stopped;

    private Node(Path configFile, Transport transport, String name) {
        this.configFile = configFile;
        this.name = name;
        this.started = Instant.now();
        this.proxy = new ProxyServer(transport, meters);
        this.certificates = new MirroredCertificates(proxy);
    }

    /** Loads {@code configFile} and starts serving it on {@code transport}. */
    public static Node start(Path configFile, Transport transport) throws IOException, ConfigException, InterruptedException {
        return start(configFile, transport, null);
    }

    /**
     * Loads {@code configFile} and starts serving it on {@code transport}; when the config has a
     * {@code cluster}, joins it once the listeners are up (they bind VIPs with IP_FREEBIND, so they are up
     * before a VIP arrives) and the request path is warm.
     *
     * @param name the node's name: with a cluster, the node of {@code cluster.nodes} this is (null: the one
     *             whose address is on this host); without, the name for status (null: the host name)
     * @throws IllegalArgumentException when the cluster node cannot be told (a wrong name, none or several local)
     */
    public static Node start(Path configFile, Transport transport, String name)
            throws IOException, ConfigException, InterruptedException {
        ConfigValidation validation = ConfigValidation.standard();
        Snapshot snapshot = validation.load(configFile, 1);
        validation.warnings(snapshot).forEach(w -> log.warn("{}", w));
        Optional<ClusterConfig> clusterConfig = snapshot.config().cluster();
        String nodeName = clusterConfig.isPresent() ? LocalNode.pick(clusterConfig.get(), Optional.ofNullable(name))
                : name != null ? name : hostName();
        Node node = new Node(configFile, transport, nodeName);
        node.proxy.nodeName(nodeName);
        node.proxy.start(snapshot);
        try {
            node.reloader = new ConfigReloader(configFile, snapshot, validation::checkedAndWarned, node::apply, node.meters,
                    Clock.systemUTC());
            NodeStatus.addSections(node);
            AdminApi.addRoutes(node);
            SiteAdmin.add(node);
            node.admin = AdminServer.start(snapshot.config().admin().bindFor(nodeName), transport, node.routes,
                    () -> node.reloader.current().config().admin().token());
            boolean mirrored = clusterConfig.isPresent() && clusterConfig.get().mirror().isPresent();
            // With a mirror, no VIP before the first sync: a node back from a crash serves the files of now.
            CompletableFuture<Void> firstSync = mirrored ? new CompletableFuture<>() : null;
            if (clusterConfig.isPresent()) {
                // The cluster's endpoint before the mirror: a peer whose first sync with this node is over, and whose
                // elections begin, hears this node's adverts (its waiting ones while its own first sync goes on)
                // rather than nothing, and takes no VIP only to give it back to this node a moment later.
                node.cluster = ClusterService.start(clusterConfig.get(), nodeName, transport, node.meters,
                        node.proxy, node.proxy.nodeHealth(), firstSync);
            }
            if (mirrored) {
                node.mirror = MirrorService.start(clusterConfig.get(), nodeName, configFile, validation,
                        () -> node.reloader.current(), transport, node.meters, node.mirrorListener());
                MirrorAdmin.add(node, node.mirror.mirror());
                node.firstSyncInForce().whenComplete((ok, e) -> firstSync.complete(null));
            }
            node.watchUnlessMirrored();
            if (clusterConfig.isPresent()) {
                if (node.mirror != null) {
                    // The catch-up gate at any time: no preempting while the mirror is behind a reachable peer.
                    dev.tandem.cluster.ClusterNode elections = node.cluster.node();
                    node.mirror.mirror().onBehind(elections::mirrorBehind);
                    elections.mirrorBehind(node.mirror.mirror().behind());
                    // A peer whose process died closes the mirror's connection and refuses the next: its VIPs move
                    // without waiting for three adverts missed.
                    node.mirror.mirror().onPeerGone(elections::peerGone);
                }
                ClusterAdmin.add(node, node.cluster);
                // A backup takes a VIP over cold otherwise: warm the request path, beside the node, once the cluster
                // has started (run alongside the cluster's start on a busy host, the start once ran past its 5 s
                // limit and the node gave up).
                node.warmup = Warmup.start(snapshot, transport);
            }
            node.dashboard = DashboardApi.start(node);
        } catch (IOException | RuntimeException e) {
            node.stop(Duration.ZERO);
            throw e;
        }
        return node;
    }

    /**
     * What the mirror changed here: a config (edited here or received, validated either way) is reloaded as
     * a file change is (nothing happens when its text is the one in force); static files are looked up again
     * at once; certificates and keys of the TLS listeners in force are read again once the round that brought
     * them is complete (a new certificate and its new key arrive one after the other, and neither loads
     * without the other).
     */
    private MirrorListener mirrorListener() {
        return new MirrorListener() {
            @Override
            public void configChanged(Path file, String cause) {
                ConfigReloader r = reloader;
                if (r != null) {
                    r.reload("mirror (" + cause + ")", true);
                }
            }

            @Override
            public void filesChanged(List<Path> files) {
                proxy.files().invalidate(files);
                ConfigReloader r = reloader;
                if (r != null) {
                    certificates.changed(r.current(), files);
                }
            }

            @Override
            public void batchInPlace() {
                ConfigReloader r = reloader;
                if (r != null && certificates.pending()) {
                    try {
                        r.onControlThread(() -> certificates.reload(r.current()));
                    } catch (RejectedExecutionException e) {
                        // stopping
                    }
                }
            }
        };
    }

    /**
     * Completes once the mirror's first sync is over and what it brought is in force: the config reload and
     * the certificate reloads it queued on the control thread have run. The elections wait for this.
     */
    private CompletableFuture<Void> firstSyncInForce() {
        return mirror.mirror().firstSync().thenCompose(outcome -> {
            try {
                return reloader.onControlThread(() -> log.info("mirror: first sync over ({}), what it brought in force:"
                        + " elections may begin", outcome));
            } catch (RejectedExecutionException e) {
                return CompletableFuture.completedFuture(null);
            }
        });
    }

    /** The mirror of this node, if its config has one. */
    Optional<MirrorService> mirror() {
        return Optional.ofNullable(mirror);
    }

    /** The cluster this node is part of, if its config has one. */
    Optional<ClusterService> cluster() {
        return Optional.ofNullable(cluster);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    /** Puts {@code snapshot} in force everywhere, or nowhere (called on the control thread). */
    private void apply(Snapshot snapshot) throws IOException, InterruptedException {
        if (!snapshot.config().cluster().equals(reloader.current().config().cluster())) {
            // The elections keep the cluster they started with: changing nodes, keys or VIPs under running
            // elections could hand a VIP to two nodes. The rest of the config applies now.
            log.warn("cluster: changes to the cluster section take effect at the next restart");
        }
        HostPort oldAdmin = reloader.current().config().admin().bindFor(name);
        HostPort newAdmin = snapshot.config().admin().bindFor(name);
        admin.rebind(newAdmin);
        try {
            proxy.apply(snapshot);
        } catch (IOException | InterruptedException | RuntimeException e) {
            admin.rebind(oldAdmin);
            throw e;
        }
        watchUnlessMirrored();
    }

    /**
     * Watches the config file unless the mirror (as started: its paths change at the next restart) covers it:
     * the mirror then writes the file and asks for the reload itself, and a second path would reload the same
     * change twice. A mirror of other paths leaves the config file to this watcher.
     */
    private synchronized void watchUnlessMirrored() {
        MirrorService m = mirror;
        boolean mirrored = m != null && m.mirror().mirrorsConfigFile();
        if (mirrored && watcher != null) {
            watcher.close();
            watcher = null;
            log.info("config mirror configured: the file is no longer watched here");
        } else if (!mirrored && watcher == null && !stopped) {
            try {
                watcher = ConfigWatcher.start(configFile, WATCH_QUIET, () -> reload("file"));
            } catch (IOException e) {
                log.warn("cannot watch {} ({}): reload with SIGHUP or POST /api/reload", configFile, e.getMessage());
            }
        }
    }

    /**
     * Reloads the config file (off the event loops, one reload at a time). Text that is the config in force
     * (by SHA-256) is not applied again, whoever asks: an edit the watcher applied and the
     * {@code systemctl reload} that follows it make one reload. A SIGHUP or an API call that finds the text
     * unchanged still has the TLS listeners read their certificate files again (a renewal hook's
     * {@code systemctl reload}).
     *
     * @param trigger {@code SIGHUP}, {@code file}, {@code api}, ...
     */
    public CompletableFuture<ReloadResult> reload(String trigger) {
        return reload(trigger, false);
    }

    /**
     * @param force apply the text even when it is the config in force (which also resolves upstream names
     *              again): {@code POST /api/reload?force=true}
     */
    public CompletableFuture<ReloadResult> reload(String trigger, boolean force) {
        CompletableFuture<ReloadResult> r = reloader.reload(trigger, !force);
        if (trigger.equals("file")) {
            return r;
        }
        return r.thenCompose(result -> result.outcome() != ReloadResult.Outcome.UNCHANGED ? CompletableFuture.completedFuture(result)
                : reloader.onControlThread(this::readCertificatesAgain).thenApply(x -> result));
    }

    /** Has every TLS listener of the config in force read its certificate files again (the control thread). */
    private void readCertificatesAgain() {
        for (var l : reloader.current().config().listeners()) {
            var tls = proxy.tls(l.name());
            if (tls != null) {
                tls.reloadFromDisk();
            }
        }
    }

    public ProxyServer proxy() {
        return proxy;
    }

    /** Whether this node can serve (listeners bound, {@code node_health.require} met): what the cluster tracks. */
    public NodeHealth nodeHealth() {
        return proxy.nodeHealth();
    }

    public PrometheusMeterRegistry meters() {
        return meters;
    }

    public Path configFile() {
        return configFile;
    }

    public String name() {
        return name;
    }

    public Instant started() {
        return started;
    }

    public ConfigReloader reloader() {
        return reloader;
    }

    public boolean watching() {
        return watcher != null;
    }

    /** Sections of {@code /status}; other modules' sections are added here by the composition root. */
    public StatusSections statusSections() {
        return sections;
    }

    /** Routes of the admin listener; other modules' routes are added here by the composition root. */
    public AdminRoutes adminRoutes() {
        return routes;
    }

    /** The admin listener's bound address. */
    public InetSocketAddress adminAddress() {
        return admin.address();
    }

    /** The drain timeout of the config in force. */
    public Duration drainTimeout() {
        return reloader.current().config().shutdown().drainTimeout();
    }

    /**
     * Graceful stop: no more reloads, stop accepting, let requests in flight finish for up to {@code drain}
     * (idle keep-alive connections close at once), then stop the admin listener and the event loops.
     *
     * @return true when every request finished within {@code drain}
     */
    public boolean stop(Duration drain) {
        synchronized (this) {
            if (stopped) {
                return true;
            }
            stopped = true;
            if (watcher != null) {
                watcher.close();
                watcher = null;
            }
        }
        if (reloader != null) {
            reloader.close();
        }
        Warmup w = warmup;
        if (w != null) {
            w.close();
        }
        ClusterService c = cluster;
        if (c != null) {
            // First the VIPs go to a peer (this node serving until the peer has announced them), then the drain.
            c.stop();
            cluster = null;
        }
        MirrorService m = mirror;
        if (m != null) {
            m.stop();
            mirror = null;
        }
        boolean clean = true;
        try {
            log.info("stopping: draining connections for up to {}", drain);
            clean = proxy.close(drain);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        DashboardApi d = dashboard;
        if (d != null) {
            d.close();
        }
        if (admin != null) {
            admin.close();
        }
        processMeters.close();
        meters.close();
        log.info("stopped");
        return clean;
    }

    @Override
    public void close() {
        stop(reloader != null ? drainTimeout() : Duration.ZERO);
    }
}
