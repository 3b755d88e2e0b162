package dev.tandem.cluster.mirror;

import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.cluster.mirror.internal.DeletionGuard;
import dev.tandem.cluster.mirror.internal.MirrorEngine;
import dev.tandem.cluster.mirror.internal.MountPoints;
import dev.tandem.cluster.mirror.internal.MirrorMetrics;
import dev.tandem.cluster.mirror.internal.MirrorServer;
import dev.tandem.cluster.mirror.internal.PeerLink;
import dev.tandem.cluster.mirror.internal.TreeWatcher;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.MirrorConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code cluster.mirror.paths} identical on every node: the facade the composition root starts and
 * stops. Edits here (seen by the file watcher and the periodic scan) are sent to every peer; what peers send
 * is validated (the config file), written atomically and durably, and reported to the {@link MirrorListener}
 * so the node serves it at once. Concurrent edits of one path resolve the same way on every node, the loser
 * kept beside the file. A node that was away catches up when it is back: every connection starts with a full
 * exchange of versions, in both directions.
 *
 * <p>Threads: one event loop of its own for the TCP connections (never the data plane's), one thread for the
 * decisions and the disk ({@link MirrorEngine}), a small pool for flushes, one reader thread for the files
 * being sent, one thread for the file watcher.
 */
public final class Mirror implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Mirror.class);

    /** The threads that flush received files: concurrent flushes share the file system's journal commits. */
    static final int FLUSH_THREADS = 8;

    private final Builder b;
    private final MirrorEngine engine;
    private final Set<String> peers;
    private MultiThreadIoEventLoopGroup group;
    private MirrorServer server;
    private TreeWatcher watcher;
    private ExecutorService reader;
    private final List<PeerLink> links = new ArrayList<>();
    private volatile boolean running;
    private volatile java.util.function.Consumer<String> peerGone = peer -> {
    };

    private Mirror(Builder b) throws IOException {
        this.b = b;
        if (!b.nodes.containsKey(b.node)) {
            throw new IllegalArgumentException("node: " + b.node + " (expected: one of cluster.nodes: "
                    + String.join(", ", b.nodes.keySet()) + ")");
        }
        List<MirrorRoot> roots = b.roots != null ? b.roots
                : MirrorRoot.of(b.mirror.paths(), Objects.requireNonNull(b.configFile, "the config file, or the roots"));
        this.peers = new HashSet<>(b.nodes.keySet());
        peers.remove(b.node);
        List<String> peerList = new ArrayList<>();
        b.nodes.keySet().stream().filter(n -> !n.equals(b.node)).forEach(peerList::add);
        MirrorEngine.Settings settings = new MirrorEngine.Settings(b.node, peerList, MirrorRoot.byId(roots),
                b.mirror.stateDir(), b.configFile, b.validator, b.mirror.debounce(), b.mirror.scanInterval(), FLUSH_THREADS,
                new DeletionGuard.Limits(b.mirror.maxDeletions(), b.mirror.maxDeletionPercent(),
                        b.mirror.deletionWindow().toMillis()),
                new MountPoints(b.mirror.requireMount()), b.mirror.limits());
        MirrorListener listener = b.listener;
        this.engine = new MirrorEngine(settings, new MirrorEngine.Events() {
            @Override
            public void configChanged(Path file, String cause) {
                listener.configChanged(file, cause);
            }

            @Override
            public void filesChanged(List<Path> files) {
                listener.filesChanged(files);
            }

            @Override
            public void batchInPlace() {
                listener.batchInPlace();
            }
        }, new MirrorMetrics(b.meters), b.clock, b.ticker);
        if (b.certificates != null) {
            engine.certificateCheck(b.certificates);
        }
    }

    /** Sets up the mirror of node {@code node} of {@code cluster} (whose {@code mirror} must be present). */
    public static Builder builder(ClusterConfig cluster, String node, ClusterKeys keys) {
        Builder b = new Builder(cluster.nodes(), cluster.port(), cluster.mirror().orElseThrow(
                () -> new IllegalArgumentException("cluster.mirror is not configured")), node, keys.mirrorKey());
        b.seenFrom = new LinkedHashMap<>();
        for (String n : cluster.nodes().keySet()) {
            b.seenFrom.put(n, cluster.addressesOf(n));
        }
        b.localBind = cluster.bind(node);
        return b;
    }

    public String node() {
        return b.node;
    }

    /**
     * Loads the state and scans every path (in the background: a large first scan hashes everything), listens
     * on {@code cluster.port} (TCP), starts watching, then, once the scan is done, dials every peer. Blocking (name resolution, bind): call from the
     * control thread.
     */
    public synchronized void start() throws IOException {
        if (group != null) {
            throw new IllegalStateException("already started");
        }
        Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();
        for (Map.Entry<String, String> n : b.nodes.entrySet()) {
            addresses.put(n.getKey(), new InetSocketAddress(InetAddress.getByName(n.getValue()), b.port));
        }
        InetSocketAddress local = b.bind != null ? b.bind
                : b.localBind != null ? new InetSocketAddress(InetAddress.getByName(b.localBind), b.port) : addresses.get(b.node);
        // First on the mirror's thread: the state and the initial scan, before anything a peer says is heard.
        CompletableFuture<Void> started = engine.start();
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("tandem-mirror-io", true), b.ioHandlerFactory.get());
        try {
            // Only the other nodes' addresses may connect at all: anything else is closed as it is accepted.
            Set<InetAddress> peerAddresses = new HashSet<>();
            addresses.forEach((name, a) -> {
                if (!name.equals(b.node)) {
                    peerAddresses.add(a.getAddress());
                }
            });
            // Behind NAT a peer connects from its public or its private address, depending on the path.
            for (Map.Entry<String, List<String>> n : b.seenFrom.entrySet()) {
                if (!n.getKey().equals(b.node)) {
                    for (String address : n.getValue()) {
                        peerAddresses.add(InetAddress.getByName(address));
                    }
                }
            }
            server = MirrorServer.bind(group, b.serverChannel, local, b.node, Set.copyOf(peers), peerAddresses, b.key,
                    engine);
        } catch (IOException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            group = null;
            engine.close();
            throw e;
        }
        reader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tandem-mirror-read");
            t.setDaemon(true);
            return t;
        });
        watcher = new TreeWatcher(engine.roots(), engine::touched);
        watcher.start();
        running = true;
        Bootstrap template = new Bootstrap().channel(b.socketChannel);
        InetSocketAddress from = local;
        for (Map.Entry<String, InetSocketAddress> a : addresses.entrySet()) {
            if (!a.getKey().equals(b.node)) {
                links.add(new PeerLink(b.node, a.getKey(), a.getValue(), from, engine, reader, b.key, template, group.next(),
                        peer -> peerGone.accept(peer)));
            }
        }
        started.whenComplete((ok, e) -> {
            if (e != null) {
                log.error("mirror: start failed", e);
                return;
            }
            synchronized (this) {
                if (running) {
                    links.forEach(l -> {
                        engine.attachLink(l.peer(), l);
                        l.start();
                    });
                }
            }
        });
        // A root missing at start (created later, by an operator or by what peers send) is watched once it exists.
        long every = b.mirror.scanInterval().toMillis();
        group.scheduleAtFixedRate(() -> {
            try {
                reader.execute(watcher::watchRoots);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopping
            }
        }, every, every, TimeUnit.MILLISECONDS);
        Duration wait = b.mirror.syncWait();
        group.schedule(() -> engine.giveUpFirstSync("no complete sync with a peer within "
                + wait.toMillis() + " ms: going on without"), wait.toMillis(), TimeUnit.MILLISECONDS);
        log.info("mirror: node {} on TCP {}, {} peer(s), paths {}", b.node, server.localAddress(), peers.size(),
                engine.roots().all().stream().map(r -> r.path().toString()).toList());
    }

    /**
     * Whether the config file this node runs is among the mirrored paths: the mirror then validates its edits,
     * sends them and asks for the reloads ({@link MirrorListener#configChanged}).
     */
    public boolean mirrorsConfigFile() {
        return engine.configKey() != null;
    }

    /** The address the mirror listens on. */
    public InetSocketAddress localAddress() {
        return server.localAddress();
    }

    /**
     * Completes when the first sync at start is over: a full exchange in both directions with one peer, no peer
     * reachable, or {@code sync_wait} ran out. The elections wait for it, so that a node does not take a VIP
     * with stale files.
     */
    public CompletableFuture<String> firstSync() {
        return engine.firstSync();
    }

    /**
     * Lets the held mass deletion of {@code root} (a mirrored path, as configured) go ahead. Completes with what
     * was done, or fails when no deletion is held there.
     */
    public CompletableFuture<String> confirmDeletion(String root) {
        return engine.confirmDeletion(root);
    }

    /** Drops the held mass deletion of {@code root} and fetches its files back from a connected peer. */
    public CompletableFuture<String> restoreDeletion(String root) {
        return engine.restoreDeletion(root);
    }

    /** Whether this node is behind a reachable peer now: it then does not preempt. */
    public boolean behind() {
        return engine.behind();
    }

    /**
     * Told (on a mirror event loop: hop elsewhere for anything slow) the name of a peer whose process is gone: it
     * closed its connection to this node and refused the next at once, as a kernel does for a process that died.
     */
    public void onPeerGone(java.util.function.Consumer<String> listener) {
        peerGone = java.util.Objects.requireNonNull(listener);
    }

    /** Told (on the mirror's thread) each time this node falls behind a reachable peer or catches up. */
    public void onBehind(java.util.function.Consumer<Boolean> listener) {
        engine.onBehind(listener);
    }

    /** The status as of the last change (at most 200 ms old). Never waits: fit for an event loop. */
    public MirrorStatus status() {
        return engine.status();
    }

    /** The status brought up to date now (waits for the mirror's thread). */
    public MirrorStatus statusNow() {
        return engine.statusNow();
    }

    /** Scans every path now and offers everything to every peer, as the periodic scan does. */
    public CompletableFuture<Void> scanNow() {
        return engine.scanNow();
    }

    MirrorEngine engine() {
        return engine;
    }

    /** Stops: connections closed, the watch ended, the state written. */
    @Override
    public void close() {
        synchronized (this) {
            if (group == null) {
                return;
            }
            running = false;
        }
        watcher.close();
        links.forEach(PeerLink::close);
        server.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        reader.shutdownNow();
        engine.close();
        synchronized (this) {
            group = null;
        }
        log.info("mirror: node {} stopped", b.node);
    }

    /** Stops at once, as a crash would: for tests of what peers and the next start do then. */
    public void halt() {
        synchronized (this) {
            if (group == null) {
                return;
            }
            running = false;
        }
        watcher.close();
        engine.halt();
        // the connections end as the kernel ends a dead process's: closed, nothing more said
        links.forEach(PeerLink::close);
        server.close();
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        reader.shutdownNow();
        synchronized (this) {
            group = null;
        }
    }

    /** Sets up a {@link Mirror}. */
    public static final class Builder {
        private final Map<String, String> nodes;
        private final int port;
        private final MirrorConfig mirror;
        private final String node;
        private final byte[] key;
        private List<MirrorRoot> roots;
        private Path configFile;
        private ConfigValidator validator;
        private CertificateCheck certificates;
        private MirrorListener listener = new MirrorListener() {
        };
        private MeterRegistry meters = new SimpleMeterRegistry();
        private Supplier<IoHandlerFactory> ioHandlerFactory = NioIoHandler::newFactory;
        private Class<? extends ServerChannel> serverChannel = NioServerSocketChannel.class;
        private Class<? extends SocketChannel> socketChannel = NioSocketChannel.class;
        private InetSocketAddress bind;
        /** Each node's addresses a connection may come from (dialled, bound); the dialled one alone when empty. */
        private Map<String, List<String>> seenFrom = Map.of();
        /** The address this node binds and dials from, when it differs from its dialled one. */
        private String localBind;
        private Clock clock = Clock.systemUTC();
        private java.util.function.LongSupplier ticker = System::nanoTime;

        private Builder(Map<String, String> nodes, int port, MirrorConfig mirror, String node, byte[] key) {
            this.nodes = nodes;
            this.port = port;
            this.mirror = mirror;
            this.node = node;
            this.key = key;
        }

        /** The mirrored paths with their names; default: {@code mirror.paths}, named after the config file. */
        public Builder roots(List<MirrorRoot> roots) {
            this.roots = List.copyOf(roots);
            return this;
        }

        /**
         * The config file this node runs, and the check it must pass (the same as {@code tandem check}) before
         * an edit of it is sent or a received one is applied.
         */
        public Builder configFile(Path file, ConfigValidator validator) {
            this.configFile = file;
            this.validator = validator;
            return this;
        }

        public Builder listener(MirrorListener listener) {
            this.listener = Objects.requireNonNull(listener);
            return this;
        }

        public Builder meters(MeterRegistry meters) {
            this.meters = meters;
            return this;
        }

        /** The transport of the data plane (io_uring, epoll or NIO); the mirror gets a loop of its own on it. */
        public Builder transport(Supplier<IoHandlerFactory> ioHandlerFactory, Class<? extends ServerChannel> server,
                                 Class<? extends SocketChannel> socket) {
            this.ioHandlerFactory = ioHandlerFactory;
            this.serverChannel = server;
            this.socketChannel = socket;
            return this;
        }

        /**
         * Keeps each certificate and its key one unit: a pair is sent, and a received pair written, only when it
         * passes {@code check} (the check of {@code tandem check}), both halves together.
         */
        public Builder certificates(CertificateCheck check) {
            this.certificates = check;
            return this;
        }

        /** Listens here instead of this node's address on {@code cluster.port}. */
        public Builder bind(InetSocketAddress bind) {
            this.bind = bind;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** Monotonic nanoseconds for the engine's durations (the debounce, a sync's progress); System::nanoTime. */
        public Builder ticker(java.util.function.LongSupplier ticker) {
            this.ticker = ticker;
            return this;
        }

        public Mirror build() throws IOException {
            return new Mirror(this);
        }
    }
}
