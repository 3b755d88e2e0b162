package dev.tandem.cluster;

import dev.tandem.cluster.dns.DnsLedger;
import dev.tandem.cluster.dns.DnsSupervisor;
import dev.tandem.cluster.dns.DnsUpdater;
import dev.tandem.cluster.dns.TsigSecret;
import dev.tandem.cluster.election.ElectionSettings;
import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.cluster.notify.NotifyHook;
import dev.tandem.cluster.state.BootCounter;
import dev.tandem.cluster.transport.AdvertReceiver;
import dev.tandem.cluster.transport.PresenceLink;
import dev.tandem.cluster.vip.CommandRunner;
import dev.tandem.cluster.vip.VipConnections;
import dev.tandem.cluster.vip.VipDrain;
import dev.tandem.cluster.vip.IpCommandDriver;
import dev.tandem.cluster.vip.VipDriver;
import dev.tandem.cluster.wire.Advert;
import dev.tandem.cluster.wire.AdvertCodec;
import dev.tandem.cluster.witness.WitnessMonitor;
import dev.tandem.cluster.witness.WitnessProbe;
import dev.tandem.cluster.witness.WitnessVerdict;
import dev.tandem.conf.VipConfig;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.DnsConfig;
import dev.tandem.health.NodeHealth;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's part in the cluster, as the composition root starts and stops it and the admin endpoint asks it
 * for {@link #status()}, {@link #handover()} and {@link #resume()}. The work is done by the parts it wires:
 * <ul>
 * <li>{@link AdvertEndpoint}: the UDP socket, the codec with the cluster key, the replay guard, the counts;</li>
 * <li>{@link VipSupervisor}: one election per VIP, its timer, and what a transition does to the address;</li>
 * <li>{@link HandoverCoordinator}: maintenance, the old holder's drain, the new holder's forwarding;</li>
 * <li>{@link ClusterMetrics}: the meters;</li>
 * </ul>
 * and the node's fitness: its health signal and its witnesses ({@link WitnessMonitor}).
 *
 * <p>Threading: every election and all protocol state live on one event loop of the cluster's own
 * ({@link ClusterLoop}), so a busy data plane never delays an advert and nothing here needs a lock. Blocking
 * work runs elsewhere: address changes on one thread per VIP ({@link dev.tandem.cluster.vip.VipController}),
 * witness probes on the witness monitor's threads, notify calls on the hook's.
 */
public final class ClusterNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);

    static final Duration WITNESS_INTERVAL = Duration.ofMillis(500);
    static final Duration WITNESS_TIMEOUT = Duration.ofSeconds(1);
    static final Duration NOTIFY_TIMEOUT = Duration.ofSeconds(10);
    /** One DNS query or update, over TCP, before it counts as failed (and is retried). */
    static final Duration DNS_TIMEOUT = Duration.ofSeconds(3);
    /** The status is published on every event, and at least this often (for the peers' ages). */
    static final Duration STATUS_EVERY = Duration.ofMillis(250);

    private final ClusterConfig config;
    private final String name;
    private final ClusterKeys keys;
    private final NodeHealth health;
    private final VipDriver driver;
    private final WitnessProbe witnessProbe;
    private final Supplier<IoHandlerFactory> ioHandlerFactory;
    private final Class<? extends DatagramChannel> datagramChannel;
    private final ClusterMetrics metrics;
    private final LongSupplier nanoClock;
    private final Clock wallClock;
    private final VipDrain drain;
    private final CommandRunner commands;
    private final InetSocketAddress bindOverride;
    private final Duration handoverQuiet;
    private final CompletionStage<?> electionGate;
    private final Class<? extends ServerChannel> presenceServer;
    private final Class<? extends SocketChannel> presenceSocket;

    /** Set in start and stop; volatile for {@link #mirrorBehind}, which any thread may call. */
    private volatile ClusterLoop loop;
    /** The mirror is behind a reachable peer (see {@link #mirrorBehind}); kept from before the start too. */
    private volatile boolean mirrorBehind;
    private AdvertEndpoint adverts;
    private VipSupervisor vips;
    private HandoverCoordinator handovers;
    private WitnessMonitor witnesses;
    private NotifyHook notify;
    // Written on the loop; read by the meter registry's scrapes too.
    private volatile boolean healthy = true;
    private volatile String healthReason = "";
    private volatile boolean witnessesReached;
    private volatile WitnessVerdict witnessVerdict;
    /** The status as of the last event (and at most {@link #STATUS_EVERY} old), for readers that must not wait. */
    private volatile ClusterStatus published;
    private ScheduledFuture<?> statusTimer;
    /** DNS failover, when {@code cluster.dns} is configured: its heartbeats and decisions run on the loop. */
    private DnsSupervisor dns;
    private ScheduledFuture<?> dnsTimer;
    /** Tells a backup its master's process is gone, when no mirror does (see {@link Builder#presence}). */
    private PresenceLink presence;

    private ClusterNode(Builder b) {
        this.config = b.config;
        this.name = b.node;
        this.keys = b.keys;
        this.health = b.health;
        this.commands = b.commands;
        this.driver = b.driver != null ? b.driver : new IpCommandDriver(b.commands);
        this.witnessProbe = b.witnessProbe != null ? b.witnessProbe : WitnessProbe.system(b.commands);
        this.ioHandlerFactory = b.ioHandlerFactory;
        this.datagramChannel = b.datagramChannel;
        this.nanoClock = b.nanoClock;
        this.wallClock = b.wallClock;
        this.drain = new VipDrain(b.connections, b.drained, b.drainLimit);
        this.bindOverride = b.bind;
        this.handoverQuiet = b.handoverQuiet;
        this.electionGate = b.electionGate;
        this.presenceServer = b.presenceServer;
        this.presenceSocket = b.presenceSocket;
        this.witnessVerdict = config.witnesses().isEmpty() ? WitnessVerdict.REACHED : WitnessVerdict.PENDING;
        this.witnessesReached = witnessVerdict == WitnessVerdict.REACHED;
        if (!config.nodes().containsKey(name)) {
            throw new IllegalArgumentException("node: " + name + " (expected: one of cluster.nodes: "
                    + String.join(", ", config.nodes().keySet()) + ")");
        }
        this.metrics = new ClusterMetrics(b.meters);
        metrics.node(() -> handovers != null && handovers.maintenance(), () -> witnessesReached, () -> healthy);
    }

    public static Builder builder(ClusterConfig config, String node, ClusterKeys keys) {
        return new Builder(config, node, keys);
    }

    public String name() {
        return name;
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Resolves the nodes' addresses, counts this start in {@code cluster.state_dir} (the epoch of its adverts),
     * binds {@code cluster.port}, removes VIPs left over from a previous run and starts every election as backup.
     * Blocking (name resolution, the boot counter's fsync): call from the control thread.
     *
     * @throws IOException when the socket cannot be bound, or the state directory cannot be written (the message
     *                     names {@code cluster.state_dir} and the path)
     */
    public synchronized void start() throws IOException {
        if (loop != null) {
            throw new IllegalStateException("already started");
        }
        InetSocketAddress local = null;
        List<InetSocketAddress> others = new ArrayList<>();
        Map<String, byte[]> order = new HashMap<>();
        Map<String, List<InetAddress>> resolved = new HashMap<>();
        Map<String, InetSocketAddress> dialled = new HashMap<>();
        for (Map.Entry<String, String> n : config.nodes().entrySet()) {
            InetAddress a = InetAddress.getByName(n.getValue());
            order.put(n.getKey(), a.getAddress());
            List<InetAddress> seenFrom = new ArrayList<>();
            for (String address : config.addressesOf(n.getKey())) {
                seenFrom.add(InetAddress.getByName(address));
            }
            resolved.put(n.getKey(), List.copyOf(seenFrom));
            if (n.getKey().equals(name)) {
                // Behind NAT this node binds its private address; its peers dial the public one.
                local = new InetSocketAddress(InetAddress.getByName(config.bind(name)), config.port());
            } else {
                others.add(new InetSocketAddress(a, config.port()));
                dialled.put(n.getKey(), new InetSocketAddress(a, config.port()));
            }
        }
        Map<String, byte[]> addresses = Map.copyOf(order);
        // On disk before the first advert: a peer must never see this run's adverts under an older epoch.
        long epoch = BootCounter.next(config.stateDir(), name, wallClock);
        AdvertReceiver receiver = new AdvertReceiver(new AdvertCodec(keys.hmac(ClusterKeys.ADVERTS)), name, resolved,
                config.vips().stream().map(VipConfig::address).collect(java.util.stream.Collectors.toSet()),
                metrics.registry(), nanoClock, true);
        adverts = new AdvertEndpoint(name, config.advertInterval(), new AdvertCodec(keys.hmac(ClusterKeys.ADVERTS)),
                receiver, others, epoch, metrics, nanoClock);
        if (health != null) {
            healthy = health.canServe();
            healthReason = health.reason();
        }
        loop = new ClusterLoop(ioHandlerFactory.get());
        vips = new VipSupervisor(config, name, addresses, loop, adverts, metrics, nanoClock, wallClock, this::publish);
        handovers = new HandoverCoordinator(vips, loop, adverts, nanoClock, config.advertInterval(), handoverQuiet,
                drain, addresses);
        vips.create(driver, handovers);
        try {
            if (config.dns().isPresent()) {
                dns = dnsSupervisor(resolved);
            }
            adverts.bind(loop.group(), datagramChannel, bindOverride != null ? bindOverride : local,
                    (a, sender) -> {
                        if (a.vip().startsWith(DnsSupervisor.HEARTBEAT)) {
                            if (dns != null) {
                                dns.heartbeat(a, nanoClock.getAsLong());
                            }
                        } else {
                            vips.heard(a);
                        }
                    });
        } catch (IOException e) {
            if (dns != null) {
                dns.close();
                dns = null;
            }
            loop.shutdown();
            loop = null;
            vips.closeControllers(System.nanoTime());
            throw e;
        }
        if (presenceServer != null) {
            startPresence(bindOverride != null ? bindOverride : local, dialled, resolved);
        }
        vips.removeLeftovers();
        config.notifyScript().ifPresent(s -> vips.notifyHook(notify = new NotifyHook(s, name, commands, NOTIFY_TIMEOUT,
                metrics.registry())));
        witnesses = new WitnessMonitor(config.witnesses(), witnessProbe, WITNESS_INTERVAL, WITNESS_TIMEOUT,
                reached -> loop.execute(() -> witnessesChanged(reached)));
        vips.running(true);
        loop.call(() -> {
            adverts.warmUp();
            adverts.startPresence(loop);
            vips.caughtUpChanged(!mirrorBehind);
            if (electionGate == null) {
                vips.startElections(healthy);
            } else {
                vips.awaitGate(healthy);
            }
            statusTimer = loop.every(this::publish, STATUS_EVERY.toMillis(), TimeUnit.MILLISECONDS);
            if (dns != null) {
                dnsTimer = loop.every(this::dnsTick, config.advertInterval().toMillis(), TimeUnit.MILLISECONDS);
            }
            return null;
        });
        if (electionGate != null) {
            log.info("cluster: elections wait for the mirror's first sync");
            electionGate.whenComplete((ok, e) -> loop.execute(() -> vips.startElections(healthy)));
        }
        if (health != null) {
            health.addListener(() -> loop.execute(this::healthChanged));
        }
        witnesses.start();
        if (dns != null) {
            dns.start();
        }
        log.info("cluster: node {} on UDP {}, {} peer(s), {} VIP(s), adverts every {}ms{}", name,
                adverts.localAddress(), adverts.peerCount(), vips.all().size(), config.advertInterval().toMillis(),
                config.witnesses().isEmpty() ? "" : ", witnesses " + config.witnesses());
    }

    /**
     * The presence link on {@code local}'s address and port (TCP): a connection to every peer, accepted only from
     * the nodes' addresses. On failure to listen the node runs on without it: its backups then wait the whole
     * master-down interval for a dead process, as they would for a dead box.
     */
    private void startPresence(InetSocketAddress local, Map<String, InetSocketAddress> peers,
                               Map<String, List<InetAddress>> resolved) {
        Set<InetAddress> allowed = new HashSet<>();
        peers.forEach((peer, address) -> {
            allowed.add(address.getAddress());
            allowed.addAll(resolved.get(peer));
        });
        PresenceLink link = new PresenceLink(loop.group().next(), local, peers, allowed, presenceServer,
                presenceSocket, peer -> vips.peerGone(peer));
        try {
            link.start();
            presence = link;
            log.info("cluster: presence link on TCP {} to {} peer(s)", link.localAddress(), peers.size());
        } catch (IOException e) {
            link.close();
            log.warn("{}: a dead peer process is then taken over after the master-down interval only", e.getMessage());
        }
    }

    private void closePresence() {
        if (presence != null) {
            presence.close();
            presence = null;
        }
    }

    /**
     * Clean stop: every VIP this node holds is given up with a priority-0 advert (a backup takes over after
     * its skew time, not the master-down interval) and its address removed; waits up to {@code wait} for that.
     */
    public synchronized void stop(Duration wait) {
        if (loop == null) {
            return;
        }
        vips.running(false);
        try {
            loop.call(() -> {
                vips.stopElections();
                handovers.stop();
                if (statusTimer != null) {
                    statusTimer.cancel(false);
                }
                if (dnsTimer != null) {
                    dnsTimer.cancel(false);
                }
                publish();
                return null;
            });
        } catch (RuntimeException e) {
            log.warn("cluster: stopping the elections failed: {}", e.toString());
        }
        witnesses.close();
        if (dns != null) {
            dns.close();
        }
        closePresence();
        adverts.close();
        long deadline = System.nanoTime() + wait.toNanos();
        vips.closeControllers(deadline);
        if (notify != null) {
            notify.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        loop.shutdown();
        loop = null;
        log.info("cluster: node {} stopped", name);
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(5));
    }

    /**
     * Stops at once without a word to the peers and leaves the addresses as they are, as a crash would:
     * for tests of what the peers do then.
     */
    synchronized void halt() {
        if (loop == null) {
            return;
        }
        vips.running(false);
        witnesses.close();
        if (dns != null) {
            dns.close();
        }
        closePresence();
        adverts.close();
        vips.closeControllers(System.nanoTime());
        loop.shutdown();
        loop = null;
    }

    // ------------------------------------------------------------------ maintenance

    /**
     * Planned maintenance: tells the peers to take every VIP this node holds, and completes when each of them
     * has been taken by a peer that announced it, drained, and removed here. The node then stays out of every
     * election until {@link #resume()} or a restart. Returns at once; the future never times out by itself
     * (with no peer to take a VIP, this node keeps serving it): callers bound their wait.
     */
    public CompletableFuture<Void> handover() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (!onLoop(() -> handovers.handover(f))) {
            f.completeExceptionally(new IllegalStateException("the cluster is not running"));
        }
        return f;
    }

    /** Ends maintenance: the node takes part in elections again (and may preempt, after preempt_delay). */
    public CompletableFuture<Void> resume() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (!onLoop(() -> {
            handovers.resume();
            f.complete(null);
        })) {
            f.completeExceptionally(new IllegalStateException("the cluster is not running"));
        }
        return f;
    }

    private boolean onLoop(Runnable task) {
        ClusterLoop l = loop;
        return l != null && l.execute(task);
    }

    // ------------------------------------------------------------------ status

    /**
     * A consistent picture of every VIP as this node sees it, as of the last event (peer ages at most
     * {@link #STATUS_EVERY} old). Never waits: fit for an event loop (the admin endpoint's).
     */
    public ClusterStatus status() {
        ClusterStatus s = published;
        return s != null ? s : new ClusterStatus(name, false, List.of(), true, "", witnessesReached,
                witnessVerdict.label(), config.witnesses().stream().map(Object::toString).toList(), List.of());
    }

    private void publish() {
        published = new ClusterStatus(name, handovers.maintenance(), handovers.pending(), healthy, healthReason,
                witnessesReached, witnessVerdict.label(), config.witnesses().stream().map(Object::toString).toList(), vips.status());
    }

    // ------------------------------------------------------------------ fitness (on the loop)

    private void healthChanged() {
        boolean can = health.canServe();
        healthReason = health.reason();
        if (can == healthy) {
            return;
        }
        healthy = can;
        if (can) {
            log.info("cluster: this node can serve again: back to its configured priorities");
        } else if (NodeHealth.STOPPING.equals(healthReason)) {
            log.info("cluster: this node is stopping: advertising priority {} so a peer takes its VIPs",
                    ElectionSettings.FAULT_PRIORITY);
        } else {
            log.warn("cluster: this node cannot serve ({}): advertising priority {} so a peer takes its VIPs",
                    healthReason, ElectionSettings.FAULT_PRIORITY);
        }
        vips.healthChanged(can);
    }

    /**
     * The mirror's catch-up gate, at any time (the start-up one is {@link Builder#electionGate}): while this
     * node's mirror is behind a reachable peer it does not preempt, whether it has just started or has run
     * for days. Any thread.
     */
    public void mirrorBehind(boolean behind) {
        if (mirrorBehind == behind) {
            return;
        }
        mirrorBehind = behind;
        log.info(behind ? "cluster: the mirror is behind a peer: no preempting until it has caught up"
                : "cluster: the mirror has caught up: preempting as configured");
        ClusterLoop l = loop;
        if (l != null) {
            l.execute(() -> vips.caughtUpChanged(!mirrorBehind));
        }
    }

    /**
     * {@code peer}'s process is gone: a connection it had with this node was closed from its side and the next
     * refused (the mirror tells it). A backup whose master it is takes over once that master's next advert is
     * overdue, rather than after the whole master-down interval. Any thread.
     */
    public void peerGone(String peer) {
        ClusterLoop l = loop;
        if (l != null) {
            l.execute(() -> vips.peerGone(peer));
        }
    }

    private DnsSupervisor dnsSupervisor(Map<String, List<InetAddress>> resolved) throws IOException {
        DnsConfig d = config.dns().orElseThrow();
        DnsUpdater updater = new DnsUpdater(d, TsigSecret.read(d.tsig().secretFile()), DNS_TIMEOUT);
        Map<String, InetAddress> dialled = new HashMap<>();
        resolved.forEach((n, all) -> dialled.put(n, all.get(0)));
        return new DnsSupervisor(config, name, dialled, updater,
                DnsLedger.open(DnsLedger.file(config.stateDir(), name)), task -> loop.execute(task),
                new DnsSupervisor.Probes() {
                    @Override
                    public int answered() {
                        return witnesses == null ? 0 : witnesses.answered();
                    }

                    @Override
                    public long roundStartedAt() {
                        // The monitor times its rounds with System.nanoTime(), as this clock is by default.
                        return witnesses == null ? 0 : witnesses.answeredRoundStart();
                    }
                }, (record, state, reason) -> {
                    if (notify != null) {
                        notify.notifyDns(record, state, reason);
                    }
                }, metrics.registry(), nanoClock);
    }

    /** Every advert interval: this node's heartbeat (whom it hears, its health), then the DNS decisions. */
    private void dnsTick() {
        // A periodic task that throws is never run again: log and carry on instead.
        try {
            long now = nanoClock.getAsLong();
            adverts.send(dns.heartbeatName(now), healthy ? ElectionSettings.FAULT_PRIORITY + 1
                    : ElectionSettings.FAULT_PRIORITY, healthy ? 0 : Advert.FAULT);
            dns.tick(now, healthy);
        } catch (RuntimeException | Error e) {
            log.error("dns: tick failed", e);
        }
    }

    /** The DNS records as this node sees them; empty without {@code cluster.dns}. Any thread. */
    public List<DnsSupervisor.RecordStatus> dnsStatus() {
        DnsSupervisor d = dns;
        return d == null ? List.of() : d.status();
    }

    private void witnessesChanged(boolean reached) {
        witnessesReached = reached;
        witnessVerdict = reached ? WitnessVerdict.REACHED : WitnessVerdict.CUT_OFF;
        vips.witnessesChanged(reached);
    }

    /** Sets up a {@link ClusterNode}; everything but the config, node name and keys has a default. */
    public static final class Builder {
        private final ClusterConfig config;
        private final String node;
        private final ClusterKeys keys;
        private NodeHealth health;
        private VipDriver driver;
        private WitnessProbe witnessProbe;
        private CommandRunner commands = CommandRunner.system();
        private Supplier<IoHandlerFactory> ioHandlerFactory = NioIoHandler::newFactory;
        private Class<? extends DatagramChannel> datagramChannel = NioDatagramChannel.class;
        private MeterRegistry meters = new SimpleMeterRegistry();
        private LongSupplier nanoClock = System::nanoTime;
        private Clock wallClock = Clock.systemUTC();
        private BooleanSupplier drained = () -> true;
        private VipConnections connections = VipConnections.NONE;
        private Supplier<Duration> drainLimit = () -> HandoverCoordinator.HANDOVER_DRAIN_MAX;
        private InetSocketAddress bind;
        private Duration handoverQuiet = HandoverCoordinator.HANDOVER_QUIET;
        private CompletionStage<?> electionGate;
        private Class<? extends ServerChannel> presenceServer;
        private Class<? extends SocketChannel> presenceSocket;

        private Builder(ClusterConfig config, String node, ClusterKeys keys) {
            this.config = Objects.requireNonNull(config);
            this.node = Objects.requireNonNull(node);
            this.keys = Objects.requireNonNull(keys);
        }

        /** The health signal to track; none = always healthy. */
        public Builder health(NodeHealth health) {
            this.health = health;
            return this;
        }

        /** Default: {@link IpCommandDriver} ({@code ip}, {@code arping}). */
        public Builder vipDriver(VipDriver driver) {
            this.driver = driver;
            return this;
        }

        /** Default: {@code ping} for ICMP witnesses, a TCP connect for TCP ones. */
        public Builder witnessProbe(WitnessProbe probe) {
            this.witnessProbe = probe;
            return this;
        }

        /** Runs the notify script and, by default, the VIP driver's and witness probe's commands. */
        public Builder commands(CommandRunner commands) {
            this.commands = commands;
            return this;
        }

        /** The transport of the data plane (io_uring, epoll or NIO); the cluster gets a loop of its own on it. */
        public Builder transport(Supplier<IoHandlerFactory> ioHandlerFactory, Class<? extends DatagramChannel> datagram) {
            this.ioHandlerFactory = ioHandlerFactory;
            this.datagramChannel = datagram;
            return this;
        }

        public Builder meters(MeterRegistry meters) {
            this.meters = meters;
            return this;
        }

        /** Monotonic nanoseconds for the elections' timers. */
        public Builder nanoClock(LongSupplier nanoClock) {
            this.nanoClock = nanoClock;
            return this;
        }

        /** Wall clock for transition times, and the first boot count (see {@link BootCounter}). */
        public Builder wallClock(Clock wallClock) {
            this.wallClock = wallClock;
            return this;
        }

        /**
         * True when nothing is in flight any more, beside what {@link #connections} counts; a handover removes an
         * address only then (or after {@link #drainLimit}). Called off the event loops. Default: always true.
         */
        public Builder drained(BooleanSupplier drained) {
            this.drained = drained;
            return this;
        }

        /**
         * The client connections on the VIPs: a VIP this node gives up has its connections told to close once
         * idle, and its address is removed once none of them is left (or after {@link #drainLimit}).
         */
        public Builder connections(VipConnections connections) {
            this.connections = connections;
            return this;
        }

        /** The longest a drain waits (default 10 s); read as each drain begins. */
        public Builder drainLimit(Supplier<Duration> limit) {
            this.drainLimit = limit;
            return this;
        }

        /** Binds the cluster socket here instead of this node's address on {@code cluster.port}. */
        public Builder bind(InetSocketAddress bind) {
            this.bind = bind;
            return this;
        }

        /**
         * After a peer took a VIP over in a handover and announced it, how long this node still keeps the
         * address before it looks at {@link #drained}. Default 3 s: past the new holder's announcements.
         */
        public Builder handoverQuiet(Duration quiet) {
            this.handoverQuiet = quiet;
            return this;
        }

        /**
         * The elections start once {@code gate} completes (however it completes), not at {@link #start()}: a node
         * whose mirror has not caught up with its peers must not take a VIP with stale files. The node still binds
         * its socket and removes leftover addresses at start; the gate's owner bounds the wait.
         */
        public Builder electionGate(CompletionStage<?> gate) {
            this.electionGate = gate;
            return this;
        }

        /**
         * Runs the presence link ({@link PresenceLink}) on these channel classes: for a cluster without a mirror,
         * whose connections would otherwise tell a backup that its master's process is gone.
         */
        public Builder presence(Class<? extends ServerChannel> server, Class<? extends SocketChannel> socket) {
            this.presenceServer = server;
            this.presenceSocket = socket;
            return this;
        }

        public ClusterNode build() {
            return new ClusterNode(this);
        }
    }
}
