package dev.tandem.proxy;

import dev.tandem.conf.AccessLogConfig;
import dev.tandem.conf.Config;
import dev.tandem.conf.ListenerConfig;
import dev.tandem.conf.Snapshot;
import dev.tandem.health.HealthChecks;
import dev.tandem.health.HealthTarget;
import dev.tandem.health.NodeHealth;
import dev.tandem.health.NodeHealthMonitor;
import dev.tandem.proxy.guard.SiteGuards;
import dev.tandem.proxy.http.ConnectionsByAddress;
import dev.tandem.proxy.http.ListenerContext;
import dev.tandem.proxy.log.AccessLog;
import dev.tandem.proxy.runtime.RuntimeConfig;
import dev.tandem.proxy.statics.StaticFiles;
import dev.tandem.proxy.tls.ListenerTls;
import dev.tandem.proxy.transport.Transport;
import dev.tandem.proxy.upstream.ServerRegistry;
import dev.tandem.proxy.upstream.UpstreamGroup;
import dev.tandem.proxy.upstream.UpstreamServer;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data plane: the event loops ({@link EventLoops}), the listeners on them ({@link ListenerTable}, bound by
 * {@link ListenerBinder}, changed by a reload through {@link ListenerChange}), their certificates
 * ({@link ListenerCertificates}) and the config they serve. Starting, reloading and stopping are called from one
 * control thread at a time (never from an event loop); requests read the config in force through one
 * {@link AtomicReference}.
 */
public final class ProxyServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);
    /** How often the node's health looks at the servers' passive penalties. */
    private static final Duration NODE_HEALTH_REFRESH = Duration.ofMillis(200);

    private final Transport transport;
    private final MeterRegistry meters;
    private final ServerRegistry servers;
    private final StaticFiles files;
    /** Maintenance switched at run time and the htpasswd files: they outlive a config. */
    private final SiteGuards guards = new SiteGuards();
    private final AtomicReference<RuntimeConfig> config = new AtomicReference<>();
    private final AtomicReference<AccessLog> accessLog = new AtomicReference<>();
    private final ListenerTable listeners;
    private final NodeHealthMonitor nodeHealth = new NodeHealthMonitor();
    /** Every listener's connections by the local address they were accepted on (a VIP, for the cluster). */
    private final ConnectionsByAddress byAddress = new ConnectionsByAddress();
    private final ListenerCertificates certificates;
    /** Set while started. */
    private boolean running;
    /** The event loops of the last start (kept after a stop). */
    private EventLoops loops;
    private ListenerBinder binder;
    private HealthChecks healthChecks;
    private Optional<AccessLogConfig> accessLogConfig = Optional.empty();

    /** What {@code $node} says until {@link #nodeName} is told: the host's name as the environment has it. */
    private String nodeName = System.getenv().getOrDefault("HOSTNAME", "tandem");

    public ProxyServer(Transport transport, MeterRegistry meters) {
        this.transport = transport;
        this.meters = meters;
        this.servers = new ServerRegistry(meters);
        this.files = new StaticFiles(meters);
        this.listeners = new ListenerTable(meters);
        this.certificates = new ListenerCertificates(meters);
    }

    /** Starts the event loops and binds every listener of {@code snapshot}. */
    public synchronized void start(Snapshot snapshot) throws IOException, InterruptedException {
        if (running) {
            throw new IllegalStateException("already started");
        }
        Config c = snapshot.config();
        int workers = c.workers() > 0 ? c.workers() : Runtime.getRuntime().availableProcessors();
        loops = EventLoops.start(transport, workers);
        running = true;
        binder = new ListenerBinder(transport, loops);
        healthChecks = new HealthChecks(loops.group(), transport.socketChannel(), meters, nodeHealth);
        // Passive penalties start on the request path and end with time: the node's health looks at them often.
        loops.group().next().scheduleAtFixedRate(nodeHealth::refresh, NODE_HEALTH_REFRESH.toMillis(),
                NODE_HEALTH_REFRESH.toMillis(), TimeUnit.MILLISECONDS);
        log.info("data plane: {} event loop(s) on {}", workers, transport.name());
        try {
            apply(snapshot);
        } catch (IOException | InterruptedException | RuntimeException ex) {
            close(Duration.ZERO);
            throw ex;
        }
    }

    /**
     * Makes {@code snapshot} the config in force: compiles it (resolving names, off the event loops), opens
     * the listeners it adds or moves, then swaps it in for new requests (including the next request on a
     * kept-alive connection) and closes the listeners it removes or moved away from, whose connections
     * finish their requests. Requests in flight finish on the config they started with; servers it keeps
     * keep their health, counters and runtime changes (drain, weight); servers it removes take no new
     * requests and their pooled connections close. Active health checks follow: they start for new servers,
     * stop for removed ones, and restart without losing what they found for servers whose check settings
     * changed.
     *
     * @throws IOException when a name does not resolve, a listener cannot bind or the access log cannot be
     *                     opened; nothing changes then
     */
    public synchronized void apply(Snapshot snapshot) throws IOException, InterruptedException {
        if (!running) {
            throw new IllegalStateException("not started");
        }
        RuntimeConfig compiled = RuntimeConfig.compile(snapshot, servers, files, guards, meters, loops.size());
        Config next = snapshot.config();
        RuntimeConfig previous = config.get();
        if (previous != null && previous.config().workers() != next.workers()) {
            log.warn("workers changed from {} to {}: takes effect at the next start", previous.config().workers(),
                    next.workers());
        }

        // Certificates first: a config whose certificates cannot be served is refused whole. Those of listeners
        // the config keeps are read again (a config reload is also a certificate reload).
        Map<String, ListenerTls> newTls = certificates.load(next.listeners(), nodeName, loops.group());

        // Everything that can fail happens first; on failure what was opened is closed again.
        ListenerChange change = new ListenerChange(listeners, binder, this::newContext);
        AccessLog newLog = null;
        boolean swapLog = !Objects.equals(accessLogConfig, next.accessLog());
        try {
            change.open(next.listeners(), nodeName);
            if (swapLog && next.accessLog().isPresent()) {
                newLog = new AccessLog(next.accessLog().get().path().orElse(null), meters);
            }
        } catch (IOException | InterruptedException | RuntimeException ex) {
            change.closeOpened();
            certificates.forget(newTls);
            change.restoreReplaced();
            throw ex;
        }

        config.set(compiled);
        for (UpstreamGroup g : compiled.upstreams().values()) {
            for (UpstreamServer s : g.primaries()) {
                s.state().configuredWeight(s.config().weight());
            }
            for (UpstreamServer s : g.backups()) {
                s.state().configuredWeight(s.config().weight());
            }
        }
        if (swapLog) {
            AccessLog old = accessLog.getAndSet(newLog);
            accessLogConfig = next.accessLog();
            if (old != null) {
                old.close();
            }
        }
        change.commit(next.listeners());
        listeners.publish();
        certificates.retain(next.listeners());
        servers.retainOnly(ConfigContents.servers(next));
        files.retainOnly(ConfigContents.staticFiles(next));
        guards.maintenance().reconcile(previous == null ? null : previous.config(), next);
        guards.retainOnly(ConfigContents.htpasswdFiles(next));
        List<HealthTarget> targets = compiled.healthTargets();
        healthChecks.apply(targets);
        nodeHealth.configure(next.nodeHealth(), targets);
        nodeHealth.listeners(true, null);
        log.info("config version {} in force ({})", snapshot.version(),
                snapshot.hash().substring(0, Math.min(12, snapshot.hash().length())));
    }

    /** The context a new listener's connections share. */
    private ListenerContext newContext(ListenerConfig l) {
        ListenerContext context = new ListenerContext(l.name(), config, accessLog::get,
                l.secure() ? certificates.get(l.name()) : null, byAddress);
        context.node(nodeName);
        return context;
    }

    /**
     * The name {@code $node} stands for in header rules, returns and redirects, and whose {@code tls.per_node}
     * certificates the listeners serve; call before {@link #start}.
     */
    public synchronized void nodeName(String name) {
        nodeName = name;
        listeners.node(name);
    }

    /** The certificates listener {@code name} serves now, or null when it has no TLS. */
    public ListenerTls tls(String name) {
        return certificates.get(name);
    }

    /** The config in force. */
    public RuntimeConfig config() {
        return config.get();
    }

    public ServerRegistry servers() {
        return servers;
    }

    /** Maintenance switched at run time, and the htpasswd files in force. */
    public SiteGuards guards() {
        return guards;
    }

    /** The static files' lookup executor and open-file caches. */
    public StaticFiles files() {
        return files;
    }

    /**
     * Whether this node can serve: its listeners are bound and {@code node_health.require} is met. Available
     * before {@link #start} (it says no until the listeners are bound) and after {@link #close} (it says no).
     */
    public NodeHealth nodeHealth() {
        return nodeHealth;
    }

    /**
     * How many client connections sleep between requests now (see {@code DormantConnection}), over all event
     * loops; each loop is asked on its own thread. None once stopped (the loops are gone).
     */
    public int dormantConnections() throws InterruptedException {
        EventLoops started;
        synchronized (this) {
            started = running ? loops : null;
        }
        return started == null ? 0 : started.dormantConnections();
    }

    /** The address listener {@code name} is bound to (its actual port when configured as 0), or null. */
    public synchronized InetSocketAddress boundAddress(String name) {
        return listeners.boundAddress(name);
    }

    /** Open client connections on every listener, including listeners a reload removed that still drain. */
    public synchronized int connections() {
        return listeners.connections();
    }

    /**
     * Open client connections accepted on local address {@code address}, on every listener (one bound to
     * {@code 0.0.0.0} counts each connection under the address its client reached). Never waits.
     */
    public int connections(InetAddress address) {
        return byAddress.open(address);
    }

    /**
     * This node gives up {@code address} (a VIP it hands over or steps aside from): each connection accepted on
     * it gets {@code Connection: close} on its next response, those idle between requests close now, HTTP/2
     * connections get GOAWAY and finish their streams; upgraded (WebSocket) connections are left to run until
     * the caller's drain limit. The listeners keep accepting (other addresses, and clients that still reach this
     * one); connections accepted after this call are reached by calling it again. Never waits.
     *
     * @return how many connections were told
     */
    public int closeWhenIdle(InetAddress address) {
        return byAddress.closeWhenIdle(address);
    }

    /**
     * Graceful stop: stops accepting on every listener, closes connections that have no request in flight at
     * once, lets the others finish their current request for up to {@code drain} (each answers with
     * {@code Connection: close} and is then closed), cuts whatever is left, then stops the event loops.
     *
     * @return true when every connection finished within {@code drain}
     */
    public synchronized boolean close(Duration drain) throws InterruptedException {
        if (!running) {
            return true;
        }
        // First, so that the cluster hands VIPs over while requests in flight finish.
        nodeHealth.listeners(false, NodeHealth.STOPPING);
        boolean clean = listeners.closeAll(drain);
        certificates.close();
        healthChecks.close();
        loops.close();
        running = false;
        files.close();
        guards.close();
        AccessLog al = accessLog.getAndSet(null);
        if (al != null) {
            al.close();
        }
        return clean;
    }

    @Override
    public void close() throws InterruptedException {
        close(Duration.ofSeconds(10));
    }

    /** What each listener is bound to and how many connections it has, in config order. */
    public synchronized List<ListenerView> listenerViews() {
        return listeners.views();
    }

    /** Whether the TLS session tickets rotate now: from the first TLS listener of a start until its stop. */
    public synchronized boolean ticketsRotating() {
        return certificates.rotating();
    }

    /** The transport the event loops run on. */
    public Transport transport() {
        return transport;
    }

    /**
     * One listener as it runs now.
     *
     * @param address     the bound address (the actual port when the config says 0)
     * @param connections open client connections
     */
    public record ListenerView(ListenerConfig config, InetSocketAddress address, int connections) {
    }
}
