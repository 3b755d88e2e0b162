package dev.tandem.proxy;

import dev.tandem.conf.AccessLogConfig;
import dev.tandem.conf.Config;
import dev.tandem.conf.ListenerConfig;
import dev.tandem.conf.ServerConfig;
import dev.tandem.conf.Snapshot;
import dev.tandem.conf.UpstreamConfig;
import dev.tandem.health.HealthChecks;
import dev.tandem.health.HealthTarget;
import dev.tandem.health.NodeHealth;
import dev.tandem.health.NodeHealthMonitor;
import dev.tandem.proxy.http.ClientChannelInitializer;
import dev.tandem.proxy.http.ListenerContext;
import dev.tandem.proxy.log.AccessLog;
import dev.tandem.proxy.runtime.RuntimeConfig;
import dev.tandem.proxy.transport.Transport;
import dev.tandem.proxy.upstream.LoopResources;
import dev.tandem.proxy.upstream.ServerKey;
import dev.tandem.proxy.upstream.ServerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
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

    private final Transport transport;
    private final MeterRegistry meters;
    private final ServerRegistry servers;
    private final AtomicReference<RuntimeConfig> config = new AtomicReference<>();
    private final AtomicReference<AccessLog> accessLog = new AtomicReference<>();
    private final Map<String, BoundListener> listeners = new LinkedHashMap<>();
    private final NodeHealthMonitor nodeHealth = new NodeHealthMonitor();
    private MultiThreadIoEventLoopGroup group;
    private HealthChecks healthChecks;
    private Map<EventLoop, LoopResources> loops;
    private Optional<AccessLogConfig> accessLogConfig = Optional.empty();

    private record BoundListener(ListenerConfig config, ListenerContext context, Channel channel) {
    }

    public ProxyServer(Transport transport, MeterRegistry meters) {
        this.transport = transport;
        this.meters = meters;
        this.servers = new ServerRegistry(meters);
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
        log.info("data plane: {} event loop(s) on {}", workers, transport.name());
        try {
            apply(snapshot);
        } catch (IOException | InterruptedException | RuntimeException ex) {
            close(Duration.ZERO);
            throw ex;
        }
    }

    /**
     * Makes {@code snapshot} the config in force: compiles it (resolving names, off the event loops), swaps it
     * in for new requests, then opens listeners it adds and closes those it removes. Requests in flight finish
     * on the config they started with; servers it keeps keep their health and counters. Active health checks
     * follow: they start for new servers, stop for removed ones, and restart without losing what they found
     * for servers whose check settings changed.
     *
     * @throws IOException when a name does not resolve or a new listener cannot bind; nothing changes then
     *                     except listeners already opened by this call, which are closed again
     */
    public synchronized void apply(Snapshot snapshot) throws IOException, InterruptedException {
        RuntimeConfig compiled = RuntimeConfig.compile(snapshot, servers, meters, loops.size());
        Config next = snapshot.config();

        Map<String, BoundListener> added = new LinkedHashMap<>();
        Map<String, ListenerConfig> moved = new LinkedHashMap<>();
        try {
            for (ListenerConfig l : next.listeners()) {
                BoundListener current = listeners.get(l.name());
                if (current == null) {
                    added.put(l.name(), bind(l));
                } else if (!current.config().bind().equals(l.bind()) || current.config().secure() != l.secure()) {
                    moved.put(l.name(), l);
                } else {
                    listeners.put(l.name(), new BoundListener(l, current.context(), current.channel()));
                }
            }
        } catch (IOException | InterruptedException ex) {
            added.values().forEach(b -> b.channel().close());
            throw ex;
        }
        if (!Objects.equals(accessLogConfig, next.accessLog())) {
            swapAccessLog(next.accessLog());
        }
        config.set(compiled);
        listeners.putAll(added);

        Set<String> keep = new HashSet<>();
        next.listeners().forEach(l -> keep.add(l.name()));
        for (String name : Set.copyOf(listeners.keySet())) {
            if (!keep.contains(name)) {
                closeListener(name);
            }
        }
        IOException rebindFailure = null;
        for (ListenerConfig l : moved.values()) {
            // Closed first: the new address may share the old one's port.
            BoundListener old = listeners.get(l.name());
            closeListener(l.name());
            try {
                listeners.put(l.name(), bind(l));
            } catch (IOException ex) {
                rebindFailure = ex;
                listeners.put(l.name(), bind(old.config()));
            }
        }

        Set<ServerKey> live = new HashSet<>();
        for (UpstreamConfig u : next.upstreams().values()) {
            for (ServerConfig s : u.servers()) {
                live.add(new ServerKey(u.name(), s.address()));
            }
        }
        servers.retainOnly(live);
        List<HealthTarget> targets = compiled.healthTargets();
        healthChecks.apply(targets);
        nodeHealth.configure(next.nodeHealth(), targets);
        nodeHealth.listeners(true, null);
        log.info("config version {} in force ({})", snapshot.version(),
                snapshot.hash().substring(0, Math.min(12, snapshot.hash().length())));
        if (rebindFailure != null) {
            throw rebindFailure;
        }
    }

    private void closeListener(String name) throws InterruptedException {
        BoundListener old = listeners.remove(name);
        old.channel().close().sync();
        old.context().drain();
        old.context().removeMeters(meters);
        log.info("listener {} closed ({})", name, old.channel().localAddress());
    }

    private BoundListener bind(ListenerConfig l) throws IOException, InterruptedException {
        ListenerContext context = new ListenerContext(l.name(), l.secure(), config, accessLog::get, meters);
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, LoopResources.WATER_MARK)
                .childHandler(new ClientChannelInitializer(context, loops));
        if (transport.freeBindOption() != null) {
            // A listener on a floating address is up before the address arrives on this node.
            b.option(transport.freeBindOption(), true);
        }
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(l.bind().host()), l.bind().port());
        var future = b.bind(address).await();
        if (!future.isSuccess()) {
            context.removeMeters(meters);
            throw new IOException("listener " + l.name() + ": cannot bind " + l.bind() + ": " + future.cause().getMessage(),
                    future.cause());
        }
        log.info("listener {} on {}{}", l.name(), future.channel().localAddress(), l.secure() ? " (TLS)" : "");
        return new BoundListener(l, context, future.channel());
    }

    private void swapAccessLog(Optional<AccessLogConfig> next) throws IOException {
        AccessLog created = next.isPresent() ? new AccessLog(next.get().path().orElse(null), meters) : null;
        AccessLog previous = accessLog.getAndSet(created);
        accessLogConfig = next;
        if (previous != null) {
            previous.close();
        }
    }

    /** The config in force. */
    public RuntimeConfig config() {
        return config.get();
    }

    public ServerRegistry servers() {
        return servers;
    }

    /**
     * Whether this node can serve: its listeners are bound and {@code node_health.require} is met. Available
     * before {@link #start} (it says no until the listeners are bound) and after {@link #close} (it says no).
     */
    public NodeHealth nodeHealth() {
        return nodeHealth;
    }

    /** The address listener {@code name} is bound to (its actual port when configured as 0), or null. */
    public synchronized InetSocketAddress boundAddress(String name) {
        BoundListener l = listeners.get(name);
        return l == null ? null : (InetSocketAddress) l.channel().localAddress();
    }

    /** Open client connections on every listener. */
    public synchronized int connections() {
        return listeners.values().stream().mapToInt(l -> l.context().connections()).sum();
    }

    /**
     * Stops accepting, lets open connections finish their current request for up to {@code drain} (each
     * answers its next response with {@code Connection: close}), then stops the event loops.
     */
    public synchronized void close(Duration drain) throws InterruptedException {
        if (group == null) {
            return;
        }
        // First, so that the cluster hands VIPs over while requests in flight finish.
        nodeHealth.listeners(false, "stopping");
        for (BoundListener l : listeners.values()) {
            l.context().drain();
            l.channel().close().sync();
        }
        long deadline = System.nanoTime() + drain.toNanos();
        while (connections() > 0 && System.nanoTime() - deadline < 0) {
            wait(20);
        }
        listeners.values().forEach(l -> l.context().removeMeters(meters));
        listeners.clear();
        healthChecks.close();
        for (LoopResources r : loops.values()) {
            r.eventLoop().execute(r::close);
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        group = null;
        AccessLog al = accessLog.getAndSet(null);
        if (al != null) {
            al.close();
        }
    }

    @Override
    public void close() throws InterruptedException {
        close(Duration.ofSeconds(10));
    }
}
