package dev.tandem.proxy;

import dev.tandem.conf.AccessLogConfig;
import dev.tandem.conf.Config;
import dev.tandem.conf.ListenerConfig;
import dev.tandem.conf.ServerConfig;
import dev.tandem.conf.Snapshot;
import dev.tandem.conf.StaticConfig;
import dev.tandem.conf.UpstreamConfig;
import dev.tandem.health.HealthChecks;
import dev.tandem.health.HealthTarget;
import dev.tandem.health.NodeHealth;
import dev.tandem.health.NodeHealthMonitor;
import dev.tandem.proxy.guard.SiteGuards;
import dev.tandem.proxy.http.ClientChannelInitializer;
import dev.tandem.proxy.http.ConnectionsByAddress;
import dev.tandem.proxy.http.ListenerContext;
import dev.tandem.proxy.log.AccessLog;
import dev.tandem.proxy.runtime.RuntimeConfig;
import dev.tandem.proxy.tls.CertificateProblem;
import dev.tandem.proxy.tls.CertificateWatcher;
import dev.tandem.proxy.tls.ListenerTls;
import dev.tandem.proxy.tls.ServerTlsContexts;
import dev.tandem.proxy.tls.SessionTickets;
import dev.tandem.proxy.statics.StaticFiles;
import dev.tandem.proxy.transport.Transport;
import dev.tandem.proxy.upstream.LoopResources;
import dev.tandem.proxy.upstream.ServerKey;
import dev.tandem.proxy.upstream.ServerRegistry;
import dev.tandem.proxy.upstream.UpstreamGroup;
import dev.tandem.proxy.upstream.UpstreamServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data plane: the event loops, the listeners on them and the config they serve. Starting, reloading
 * and stopping are called from one control thread at a time (never from an event loop); requests read
 * the config in force through one {@link AtomicReference}.
 */
public final class ProxyServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);
    /** How long certificate files must stay untouched after a change before they are read. */
    private static final Duration CERTIFICATE_QUIET = Duration.ofMillis(200);
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
    private final Map<String, BoundListener> listeners = new LinkedHashMap<>();
    private final NodeHealthMonitor nodeHealth = new NodeHealthMonitor();
    /** Listeners closed by a reload whose connections are still finishing their requests. */
    private final Set<ListenerContext> retiring = ConcurrentHashMap.newKeySet();
    /** Every listener's connections by the local address they were accepted on (a VIP, for the cluster). */
    private final ConnectionsByAddress byAddress = new ConnectionsByAddress();
    /** The listeners' contexts by name, republished after every change for readers outside the lock. */
    private volatile Map<String, ListenerContext> liveContexts = Map.of();
    /** tandem_active_connections by listener name: one gauge per name, whichever socket serves it. */
    private final Map<String, Gauge> connectionGauges = new ConcurrentHashMap<>();
    private MultiThreadIoEventLoopGroup group;
    private HealthChecks healthChecks;
    private Map<EventLoop, LoopResources> loops;
    /**
     * How client connections size their reads: Netty's default (adaptive, up to 16 reads a turn), but one
     * allocator for all of them instead of one each, 32 bytes less per idle connection. It holds only its
     * settings (each connection's read sizes live in a handle of its own), and nothing here changes them.
     */
    private final RecvByteBufAllocator clientReads = new AdaptiveRecvByteBufAllocator().maxMessagesPerRead(16);
    private Optional<AccessLogConfig> accessLogConfig = Optional.empty();
    /** The certificates of each TLS listener by name; read by the certificate watcher's thread too. */
    private final Map<String, ListenerTls> tls = new ConcurrentHashMap<>();
    private final SessionTickets tickets = new SessionTickets();
    private ServerTlsContexts tlsContexts;
    private CertificateWatcher certificateWatcher;

    private record BoundListener(ListenerConfig config, ListenerContext context, Channel channel) {
    }

    /** What {@code $node} says until {@link #nodeName} is told: the host's name as the environment has it. */
    private String nodeName = System.getenv().getOrDefault("HOSTNAME", "tandem");

    public ProxyServer(Transport transport, MeterRegistry meters) {
        this.transport = transport;
        this.meters = meters;
        this.servers = new ServerRegistry(meters);
        this.files = new StaticFiles(meters);
    }

    /** Starts the event loops and binds every listener of {@code snapshot}. */
    public synchronized void start(Snapshot snapshot) throws IOException, InterruptedException {
        if (group != null) {
            throw new IllegalStateException("already started");
        }
        Config c = snapshot.config();
        int workers = c.workers() > 0 ? c.workers() : Runtime.getRuntime().availableProcessors();
        group = transport.newGroup(workers, "tandem-io");
        Map<EventLoop, LoopResources> byLoop = new IdentityHashMap<>();
        int index = 0;
        for (EventExecutor e : group) {
            EventLoop loop = (EventLoop) e;
            byLoop.put(loop, new LoopResources(index++, loop, transport));
        }
        loops = byLoop;
        healthChecks = new HealthChecks(group, transport.socketChannel(), meters, nodeHealth);
        // Passive penalties start on the request path and end with time: the node's health looks at them often.
        group.next().scheduleAtFixedRate(nodeHealth::refresh, NODE_HEALTH_REFRESH.toMillis(),
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
        if (group == null) {
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
        Map<String, ListenerTls> newTls = new LinkedHashMap<>();
        for (ListenerConfig l : next.listeners()) {
            if (l.tls().isEmpty()) {
                continue;
            }
            try {
                ListenerTls current = tls.get(l.name());
                if (current != null) {
                    current.update(l.tls().get().forNode(nodeName));
                } else {
                    newTls.put(l.name(), ListenerTls.load(l.name(), l.tls().get().forNode(nodeName), tlsContexts(), meters));
                }
            } catch (CertificateProblem e) {
                newTls.values().forEach(ListenerTls::close);
                throw new IOException("listener " + l.name() + ": " + e.getMessage(), e);
            }
        }
        tls.putAll(newTls);

        // Everything that can fail happens first; on failure what was opened is closed again.
        Map<String, BoundListener> opened = new LinkedHashMap<>();
        Map<String, BoundListener> replaced = new LinkedHashMap<>();
        Map<String, BoundListener> kept = new LinkedHashMap<>();
        AccessLog newLog = null;
        boolean swapLog = !Objects.equals(accessLogConfig, next.accessLog());
        try {
            for (ListenerConfig shared : next.listeners()) {
                // listeners[].per_node: this node's own bind address, from the one file every node has.
                ListenerConfig l = shared.forNode(nodeName);
                BoundListener current = listeners.get(l.name());
                if (current == null) {
                    opened.put(l.name(), bind(l));
                } else if (!current.config().bind().equals(l.bind()) || current.config().secure() != l.secure()) {
                    // Recorded first: a rebind that fails after closing the old socket must get it back.
                    replaced.put(l.name(), current);
                    opened.put(l.name(), rebind(current, l));
                } else {
                    kept.put(l.name(), new BoundListener(l, current.context(), current.channel()));
                }
            }
            if (swapLog && next.accessLog().isPresent()) {
                newLog = new AccessLog(next.accessLog().get().path().orElse(null), meters);
            }
        } catch (IOException | InterruptedException | RuntimeException ex) {
            for (BoundListener b : opened.values()) {
                b.channel().close().awaitUninterruptibly();
            }
            newTls.forEach((name, t) -> {
                tls.remove(name);
                t.close();
            });
            // A moved listener whose old socket had to close first gets its old address back.
            for (BoundListener old : replaced.values()) {
                if (!old.channel().isOpen()) {
                    reopen(old);
                }
            }
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
        Set<String> keep = new HashSet<>();
        next.listeners().forEach(l -> keep.add(l.name()));
        for (String name : Set.copyOf(listeners.keySet())) {
            if (!keep.contains(name) || replaced.containsKey(name)) {
                closeListener(name);
            }
        }
        listeners.clear();
        for (ListenerConfig l : next.listeners()) {
            listeners.put(l.name(), kept.containsKey(l.name()) ? kept.get(l.name()) : opened.get(l.name()));
        }

        Set<ServerKey> live = new HashSet<>();
        for (UpstreamConfig u : next.upstreams().values()) {
            for (ServerConfig s : u.servers()) {
                live.add(new ServerKey(u.name(), s.address()));
            }
        }
        publishListeners();
        tls.entrySet().removeIf(t -> {
            boolean gone = next.listeners().stream().noneMatch(l -> l.name().equals(t.getKey()) && l.secure());
            if (gone) {
                t.getValue().close();
            }
            return gone;
        });
        watchCertificates();
        servers.retainOnly(live);
        Set<StaticConfig> liveFiles = new HashSet<>();
        next.sites().forEach(s -> {
            s.staticFiles().ifPresent(liveFiles::add);
            s.routes().forEach(r -> r.staticFiles().ifPresent(liveFiles::add));
        });
        files.retainOnly(liveFiles);
        guards.maintenance().reconcile(previous == null ? null : previous.config(), next);
        Set<Path> htpasswdFiles = new HashSet<>();
        next.sites().forEach(s -> {
            s.access().basicAuth().ifPresent(b -> htpasswdFiles.add(b.htpasswd()));
            s.routes().forEach(r -> r.access().basicAuth().ifPresent(b -> htpasswdFiles.add(b.htpasswd())));
        });
        guards.retainOnly(htpasswdFiles);
        List<HealthTarget> targets = compiled.healthTargets();
        healthChecks.apply(targets);
        nodeHealth.configure(next.nodeHealth(), targets);
        nodeHealth.listeners(true, null);
        log.info("config version {} in force ({})", snapshot.version(),
                snapshot.hash().substring(0, Math.min(12, snapshot.hash().length())));
    }

    /**
     * Opens listener {@code l} at its new address while {@code current} still serves the old one. When the
     * two share a port and the system refuses both at once (0.0.0.0:80 to 10.0.0.1:80), the old socket closes
     * first; the caller reopens it if the reload fails later.
     */
    private BoundListener rebind(BoundListener current, ListenerConfig l) throws IOException, InterruptedException {
        try {
            return bind(l);
        } catch (IOException first) {
            if (current.config().bind().port() != l.bind().port()) {
                throw first;
            }
            current.channel().close().sync();
            return bind(l);
        }
    }

    /** Binds the address of {@code old} again for its existing connections' context. */
    private void reopen(BoundListener old) {
        try {
            BoundListener again = bind(old.config(), old.context());
            listeners.put(old.config().name(), again);
            publishListeners();
        } catch (IOException | InterruptedException e) {
            log.error("listener {} could not get {} back: it no longer accepts", old.config().name(), old.config().bind(), e);
        }
    }

    /**
     * Publishes the listener set for the connection gauges: registers a gauge for each new name and drops
     * those of names that are gone (their draining connections, if any, no longer show).
     */
    private void publishListeners() {
        Map<String, ListenerContext> now = new LinkedHashMap<>();
        listeners.forEach((name, l) -> now.put(name, l.context()));
        liveContexts = Map.copyOf(now);
        for (String name : now.keySet()) {
            connectionGauges.computeIfAbsent(name, n -> Gauge.builder("tandem.active.connections", () -> connectionsOf(n))
                    .description("Open client connections").tag("listener", n).strongReference(true).register(meters));
        }
        connectionGauges.entrySet().removeIf(e -> {
            if (now.containsKey(e.getKey())) {
                return false;
            }
            meters.remove(e.getValue());
            return true;
        });
    }

    private int connectionsOf(String name) {
        ListenerContext c = liveContexts.get(name);
        int n = c == null ? 0 : c.connections();
        for (ListenerContext r : retiring) {
            if (r.name().equals(name)) {
                n += r.connections();
            }
        }
        return n;
    }

    /** Stops accepting on listener {@code name}; its connections drain in the background. */
    private void closeListener(String name) throws InterruptedException {
        BoundListener old = listeners.remove(name);
        old.channel().close().sync();
        ListenerContext context = old.context();
        retiring.add(context);
        context.drain().whenComplete((ok, err) -> retiring.remove(context));
        log.info("listener {} closed ({}); its open connections finish their requests", name,
                old.channel().localAddress());
    }

    private BoundListener bind(ListenerConfig l) throws IOException, InterruptedException {
        ListenerContext context = new ListenerContext(l.name(), config, accessLog::get,
                l.secure() ? tls.get(l.name()) : null, byAddress);
        context.node(nodeName);
        return bind(l, context);
    }

    /**
     * The name {@code $node} stands for in header rules, returns and redirects, and whose {@code tls.per_node}
     * certificates the listeners serve; call before {@link #start}.
     */
    public synchronized void nodeName(String name) {
        nodeName = name;
        listeners.values().forEach(b -> b.context().node(name));
    }

    /** Made when the first TLS listener needs it, so that a plaintext-only node says nothing about TLS. */
    private ServerTlsContexts tlsContexts() {
        if (tlsContexts == null) {
            tlsContexts = ServerTlsContexts.create(tickets);
            group.next().scheduleAtFixedRate(tickets::rotate, SessionTickets.ROTATION_HOURS,
                    SessionTickets.ROTATION_HOURS, TimeUnit.HOURS);
        }
        return tlsContexts;
    }

    /** Watches the directories of every certificate and key in force (started with the first TLS listener). */
    private void watchCertificates() throws IOException {
        Set<Path> dirs = new HashSet<>();
        tls.values().forEach(t -> dirs.addAll(t.directories()));
        if (certificateWatcher == null && !dirs.isEmpty()) {
            certificateWatcher = new CertificateWatcher(CERTIFICATE_QUIET, this::reloadCertificates);
        }
        if (certificateWatcher != null) {
            certificateWatcher.watch(dirs);
        }
    }

    /** Reads every listener's certificates again where their files changed (the watcher's thread). */
    private void reloadCertificates() {
        tls.values().forEach(ListenerTls::reloadFromDisk);
    }

    /** The certificates listener {@code name} serves now, or null when it has no TLS. */
    public ListenerTls tls(String name) {
        return tls.get(name);
    }


    private BoundListener bind(ListenerConfig l, ListenerContext context) throws IOException, InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, LoopResources.WATER_MARK)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, clientReads)
                .childHandler(new ClientChannelInitializer(context, loops));
        if (transport.freeBindOption() != null) {
            // A listener on a floating address is up before the address arrives on this node.
            b.option(transport.freeBindOption(), true);
        }
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(l.bind().host()), l.bind().port());
        var future = b.bind(address).await();
        if (!future.isSuccess()) {
            throw new IOException("listener " + l.name() + ": cannot bind " + l.bind() + ": " + future.cause().getMessage(),
                    future.cause());
        }
        log.info("listener {} on {}{}", l.name(), future.channel().localAddress(), l.secure() ? " (TLS)" : "");
        return new BoundListener(l, context, future.channel());
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
     * loops; each loop is asked on its own thread.
     */
    public int dormantConnections() throws InterruptedException {
        Map<EventLoop, LoopResources> byLoop;
        synchronized (this) {
            byLoop = loops;
        }
        int n = 0;
        if (byLoop != null) {
            for (LoopResources r : byLoop.values()) {
                try {
                    n += r.eventLoop().submit(() -> r.idleSweep().dormantCount()).get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
            }
        }
        return n;
    }

    /** The address listener {@code name} is bound to (its actual port when configured as 0), or null. */
    public synchronized InetSocketAddress boundAddress(String name) {
        BoundListener l = listeners.get(name);
        return l == null ? null : (InetSocketAddress) l.channel().localAddress();
    }

    /** Open client connections on every listener, including listeners a reload removed that still drain. */
    public synchronized int connections() {
        int n = listeners.values().stream().mapToInt(l -> l.context().connections()).sum();
        for (ListenerContext c : retiring) {
            n += c.connections();
        }
        return n;
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
        if (group == null) {
            return true;
        }
        // First, so that the cluster hands VIPs over while requests in flight finish.
        nodeHealth.listeners(false, NodeHealth.STOPPING);
        for (BoundListener l : listeners.values()) {
            l.channel().close().sync();
        }
        List<ListenerContext> contexts = new ArrayList<>(retiring);
        listeners.values().forEach(l -> contexts.add(l.context()));
        CompletableFuture<?>[] drained = contexts.stream().map(ListenerContext::drain).toArray(CompletableFuture[]::new);
        boolean clean = true;
        try {
            CompletableFuture.allOf(drained).get(drain.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            clean = false;
            int cut = contexts.stream().mapToInt(ListenerContext::closeAll).sum();
            log.warn("drain timeout ({}) reached: cutting {} connection(s) still busy", drain, cut);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a drain cannot fail", e);
        }
        listeners.clear();
        retiring.clear();
        publishListeners();
        if (certificateWatcher != null) {
            certificateWatcher.close();
            certificateWatcher = null;
        }
        tls.values().forEach(ListenerTls::close);
        tls.clear();
        healthChecks.close();
        // Waited for, so that the pools' connections are closed by their owner before the loops stop: a loop
        // told to stop with no quiet period while it runs tasks (this one, say) skips closing its channels, and
        // io_uring then drops the ring with their sockets open and a receive's buffer never released.
        List<Future<?>> closed = new ArrayList<>();
        for (LoopResources r : loops.values()) {
            closed.add(r.eventLoop().submit(r::close));
        }
        for (Future<?> f : closed) {
            f.awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        group = null;
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
        List<ListenerView> views = new ArrayList<>();
        for (BoundListener l : listeners.values()) {
            views.add(new ListenerView(l.config(), (InetSocketAddress) l.channel().localAddress(),
                    l.context().connections()));
        }
        return views;
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
