package dev.tandem.cluster;

import dev.tandem.cluster.election.ElectionSettings;
import dev.tandem.cluster.election.Reason;
import dev.tandem.cluster.election.VipElection;
import dev.tandem.cluster.election.VipState;
import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.cluster.notify.NotifyHook;
import dev.tandem.cluster.transport.AdvertChannel;
import dev.tandem.cluster.vip.CommandRunner;
import dev.tandem.cluster.vip.IpCommandDriver;
import dev.tandem.cluster.vip.LinkState;
import dev.tandem.cluster.vip.VipController;
import dev.tandem.cluster.vip.VipDriver;
import dev.tandem.cluster.wire.Advert;
import dev.tandem.cluster.wire.AdvertCodec;
import dev.tandem.cluster.wire.Rejection;
import dev.tandem.cluster.wire.ReplayGuard;
import dev.tandem.cluster.witness.WitnessMonitor;
import dev.tandem.cluster.witness.WitnessProbe;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.VipConfig;
import dev.tandem.health.NodeHealth;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's part in the cluster: one election per VIP, the adverts between the nodes, the addresses, the
 * witnesses, the notify hook, and maintenance. The facade the composition root starts and stops, and the
 * admin endpoint asks for {@link #status()}, {@link #handover()} and {@link #resume()}.
 *
 * <p>Threading: every election and all protocol state live on one event loop of the cluster's own (a
 * single thread, of the data plane's transport), so a busy data plane never delays an advert and nothing
 * here needs a lock. Blocking work runs elsewhere: address changes on one thread per VIP
 * ({@link VipController}), witness probes on the witness monitor's threads, notify calls on the hook's.
 */
public final class ClusterNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);

    /** After a peer took a VIP over and announced it, how long the old holder still keeps the address. */
    static final Duration HANDOVER_QUIET = Duration.ofSeconds(3);
    /** The longest the old holder waits for requests in flight after {@link #HANDOVER_QUIET}. */
    static final Duration HANDOVER_DRAIN_MAX = Duration.ofSeconds(10);
    /**
     * How long past the old holder's longest drain ({@link #handoverQuiet} + {@link #HANDOVER_DRAIN_MAX}) the new
     * holder keeps passing its connections on to it when the old holder's report that it released never comes.
     */
    static final Duration FORWARD_SLACK = Duration.ofSeconds(5);
    static final Duration DRIVER_RETRY = Duration.ofSeconds(1);
    /** keepalived's {@code garp_master_delay}: the second announcement round after becoming master. */
    static final Duration SECOND_ANNOUNCEMENT = Duration.ofSeconds(5);
    static final Duration WITNESS_INTERVAL = Duration.ofMillis(500);
    static final Duration WITNESS_TIMEOUT = Duration.ofSeconds(1);
    static final Duration NOTIFY_TIMEOUT = Duration.ofSeconds(10);

    private final ClusterConfig config;
    private final String name;
    private final ClusterKeys keys;
    private final NodeHealth health;
    private final VipDriver driver;
    private final WitnessProbe witnessProbe;
    private final Supplier<IoHandlerFactory> ioHandlerFactory;
    private final Class<? extends DatagramChannel> datagramChannel;
    private final MeterRegistry meters;
    private final LongSupplier nanoClock;
    private final Clock wallClock;
    private final BooleanSupplier drained;
    private final CommandRunner commands;
    private final InetSocketAddress bindOverride;
    private final Duration handoverQuiet;
    private final java.util.concurrent.CompletionStage<?> electionGate;

    private final Map<String, VipRun> vips = new LinkedHashMap<>();
    private final Map<String, Counter> rejected = new HashMap<>();
    private MultiThreadIoEventLoopGroup group;
    private EventLoop loop;
    private AdvertChannel channel;
    private AdvertCodec codec;
    private final ReplayGuard replay = new ReplayGuard();
    private List<InetSocketAddress> peers = List.of();
    private Map<String, byte[]> addressOrder = Map.of();
    private WitnessMonitor witnesses;
    private NotifyHook notify;
    private ScheduledFuture<?> timer;
    private long timerAt = Long.MAX_VALUE;
    private long epoch;
    private long sequence;
    // Written on the loop; read by the meter registry's scrapes too.
    private volatile boolean maintenance;
    private volatile boolean healthy = true;
    private volatile String healthReason = "";
    private volatile boolean witnessesReached = true;
    private CompletableFuture<Void> handover;
    private ScheduledFuture<?> handoverWatch;
    /** While a VIP drains here or is forwarded to its old holder: drain reports out, forwarding timed out. */
    private ScheduledFuture<?> drainTick;
    private volatile boolean running;
    /** The status as of the last event (and at most {@link #STATUS_EVERY} old), for readers that must not wait. */
    private volatile ClusterStatus published;
    private ScheduledFuture<?> statusTimer;
    static final Duration STATUS_EVERY = Duration.ofMillis(250);
    private final Counter sent;
    private final Counter accepted;

    /** One VIP: its election (null when this node is not in its {@code prefer}), address and meters. */
    private final class VipRun {
        final VipConfig vip;
        final VipElection election;
        final VipController controller;
        final AtomicInteger stateGauge = new AtomicInteger();
        final AtomicInteger priorityGauge = new AtomicInteger();
        Instant lastTransition;
        Reason lastReason;
        /** Handed over, the address still here: {@link Advert#DRAINING} reports go to the new holder. */
        boolean draining;
        /**
         * A more preferred master took the VIP over (since {@link #steppingAsideSince}) and has not announced it
         * yet: the address stays here, answering ARP, until it has (then the drain of a handover follows).
         */
        boolean steppingAside;
        long steppingAsideSince;
        /** Taken over from this peer, which drains: segments of its connections are passed on to it. */
        String forwardingTo;
        long forwardingSince;

        VipRun(VipConfig vip, int priority) {
            this.vip = vip;
            this.controller = new VipController(vip, driver, new VipController.Listener() {
                @Override
                public void announced(boolean announced) {
                    execute(() -> {
                        VipElection e = VipRun.this.election;
                        if (e != null) {
                            e.setAnnounced(nanoClock.getAsLong(), announced);
                            reschedule();
                        }
                    });
                }

                @Override
                public void removed() {
                    execute(() -> drained(VipRun.this));
                }
            }, meters, DRIVER_RETRY, SECOND_ANNOUNCEMENT, LinkState.system(), VipController.LINK_POLL,
                    config.advertInterval().multipliedBy(3));
            this.election = priority == 0 ? null : new VipElection(
                    new ElectionSettings(vip.address(), name, priority, config.advertInterval(), config.preempt(),
                            config.preemptDelay(), config.announceRefresh()),
                    this::peerWinsTie,
                    new VipElection.Output() {
                        @Override
                        public void send(int p, int flags) {
                            sendAdvert(vip.address(), p, flags);
                        }

                        @Override
                        public void transition(VipState from, VipState to, Reason reason) {
                            transitioned(VipRun.this, from, to, reason);
                        }

                        @Override
                        public void reannounce(String claimer, String why) {
                            reannounced(VipRun.this, claimer, why);
                        }
                    });
            Gauge.builder("tandem_vip_state", stateGauge, AtomicInteger::get)
                    .description("State of the VIP on this node: 0 init, 1 backup, 2 master")
                    .tag("vip", vip.address()).register(meters);
            Gauge.builder("tandem_vip_priority", priorityGauge, AtomicInteger::get)
                    .description("Priority this node runs with for the VIP (0: not a candidate)")
                    .tag("vip", vip.address()).register(meters);
            priorityGauge.set(priority);
        }

        boolean peerWinsTie(String peer) {
            byte[] mine = addressOrder.get(name);
            byte[] theirs = addressOrder.get(peer);
            if (mine == null || theirs == null) {
                return peer.compareTo(name) > 0;
            }
            int c = mine.length != theirs.length ? Integer.compare(theirs.length, mine.length)
                    : Arrays.compareUnsigned(theirs, mine);
            return c != 0 ? c > 0 : peer.compareTo(name) > 0;
        }
    }

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
        this.meters = b.meters;
        this.nanoClock = b.nanoClock;
        this.wallClock = b.wallClock;
        this.drained = b.drained;
        this.bindOverride = b.bind;
        this.handoverQuiet = b.handoverQuiet;
        this.electionGate = b.electionGate;
        if (!config.nodes().containsKey(name)) {
            throw new IllegalArgumentException("node: " + name + " (expected: one of cluster.nodes: "
                    + String.join(", ", config.nodes().keySet()) + ")");
        }
        this.sent = Counter.builder("tandem_cluster_adverts_total").description("Cluster adverts")
                .tag("direction", "sent").tag("reason", "none").register(meters);
        this.accepted = Counter.builder("tandem_cluster_adverts_total").description("Cluster adverts")
                .tag("direction", "received").tag("reason", "none").register(meters);
        for (Rejection r : Rejection.values()) {
            rejected.put(r.label(), Counter.builder("tandem_cluster_adverts_total").description("Cluster adverts")
                    .tag("direction", "rejected").tag("reason", r.label()).register(meters));
        }
        Gauge.builder("tandem_cluster_maintenance", this, n -> n.maintenance ? 1 : 0)
                .description("1 while this node is in maintenance (handed over, out of elections)").register(meters);
        Gauge.builder("tandem_cluster_witnesses_reached", this, n -> n.witnessesReached ? 1 : 0)
                .description("1 while this node reaches a witness (or has none)").register(meters);
        Gauge.builder("tandem_cluster_healthy", this, n -> n.healthy ? 1 : 0)
                .description("1 while this node's health lets it hold VIPs at its configured priority").register(meters);
    }

    public static Builder builder(ClusterConfig config, String node, ClusterKeys keys) {
        return new Builder(config, node, keys);
    }

    public String name() {
        return name;
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Resolves the nodes' addresses, binds {@code cluster.port}, removes VIPs left over from a previous run
     * and starts every election as backup. Blocking (name resolution): call from the control thread.
     */
    public synchronized void start() throws IOException {
        if (group != null) {
            throw new IllegalStateException("already started");
        }
        InetSocketAddress local = null;
        List<InetSocketAddress> others = new ArrayList<>();
        Map<String, byte[]> order = new HashMap<>();
        for (Map.Entry<String, String> n : config.nodes().entrySet()) {
            InetAddress a = InetAddress.getByName(n.getValue());
            order.put(n.getKey(), a.getAddress());
            if (n.getKey().equals(name)) {
                local = new InetSocketAddress(a, config.port());
            } else {
                others.add(new InetSocketAddress(a, config.port()));
            }
        }
        peers = List.copyOf(others);
        addressOrder = Map.copyOf(order);
        codec = new AdvertCodec(keys.hmac(ClusterKeys.ADVERTS));
        epoch = wallClock.millis() * 1000;
        sequence = 0;
        if (health != null) {
            healthy = health.canServe();
            healthReason = health.reason();
        }
        for (VipConfig v : config.vips()) {
            vips.put(v.address(), new VipRun(v, ElectionSettings.priorityOf(name, v.prefer())));
        }
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("tandem-cluster", true), ioHandlerFactory.get());
        loop = group.next();
        try {
            channel = AdvertChannel.bind(group, datagramChannel, bindOverride != null ? bindOverride : local,
                    this::received);
        } catch (IOException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            group = null;
            vips.values().forEach(v -> v.controller.close(Duration.ZERO));
            vips.clear();
            throw e;
        }
        vips.values().forEach(v -> v.controller.removeLeftover());
        config.notifyScript().ifPresent(s -> notify = new NotifyHook(s, name, commands, NOTIFY_TIMEOUT, meters));
        witnesses = new WitnessMonitor(config.witnesses(), witnessProbe, WITNESS_INTERVAL, WITNESS_TIMEOUT,
                reached -> execute(() -> witnessesChanged(reached)));
        running = true;
        call(() -> {
            warmUp();
            if (electionGate == null) {
                startElections();
            }
            statusTimer = loop.scheduleAtFixedRate(this::publish, STATUS_EVERY.toMillis(), STATUS_EVERY.toMillis(),
                    TimeUnit.MILLISECONDS);
            return null;
        });
        if (electionGate != null) {
            log.info("cluster: elections wait for the mirror's first sync");
            electionGate.whenComplete((ok, e) -> execute(this::startElections));
        }
        if (health != null) {
            health.addListener(() -> execute(this::healthChanged));
        }
        witnesses.start();
        log.info("cluster: node {} on UDP {}, {} peer(s), {} VIP(s), adverts every {}ms{}", name,
                channel.localAddress(), peers.size(), vips.size(), config.advertInterval().toMillis(),
                config.witnesses().isEmpty() ? "" : ", witnesses " + config.witnesses());
    }

    /** Every election from init to backup (the mirror's first sync over, when it has one). */
    private void startElections() {
        if (!running) {
            return;
        }
        long now = nanoClock.getAsLong();
        for (VipRun v : vips.values()) {
            if (v.election != null) {
                v.election.setHealthy(now, healthy);
                v.election.start(now);
            }
        }
        reschedule();
    }

    /**
     * A backup sends its first advert, and its proxy allocates its first buffers, at the moment it takes a VIP
     * over, when every millisecond is outage. The first allocation from the default allocator costs about
     * 100 ms once per process (class loading, the allocator's JFR event types): pay it now, with a real
     * advert encoded and thrown away.
     */
    private void warmUp() {
        ByteBuf buf = ByteBufAllocator.DEFAULT.buffer(AdvertCodec.MAX_LENGTH);
        try {
            codec.encode(new Advert(name, "warm-up", 1, 1, epoch, 0, 0), buf);
            codec.decode(buf);
        } finally {
            buf.release();
        }
    }

    /**
     * Clean stop: every VIP this node holds is given up with a priority-0 advert (a backup takes over after
     * its skew time, not the master-down interval) and its address removed; waits up to {@code wait} for that.
     */
    public synchronized void stop(Duration wait) {
        if (group == null) {
            return;
        }
        running = false;
        try {
            call(() -> {
                long now = nanoClock.getAsLong();
                for (VipRun v : vips.values()) {
                    if (v.election != null) {
                        v.election.stop(now);
                    }
                }
                if (timer != null) {
                    timer.cancel(false);
                }
                if (handoverWatch != null) {
                    handoverWatch.cancel(false);
                }
                if (drainTick != null) {
                    drainTick.cancel(false);
                }
                for (VipRun v : vips.values()) {
                    if (v.draining) {
                        // The stop removes the address now: the new holder need not pass anything on any more.
                        v.draining = false;
                        sendAdvert(v.vip.address(), 0, drainFlags(Advert.RELEASED));
                    }
                }
                if (statusTimer != null) {
                    statusTimer.cancel(false);
                }
                publish();
                if (handover != null && !handover.isDone()) {
                    handover.completeExceptionally(new IllegalStateException("the node stopped"));
                }
                return null;
            });
        } catch (RuntimeException e) {
            log.warn("cluster: stopping the elections failed: {}", e.toString());
        }
        witnesses.close();
        channel.close();
        long deadline = System.nanoTime() + wait.toNanos();
        for (VipRun v : vips.values()) {
            v.controller.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        if (notify != null) {
            notify.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        group = null;
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
        if (group == null) {
            return;
        }
        running = false;
        witnesses.close();
        channel.close();
        vips.values().forEach(v -> v.controller.close(Duration.ZERO));
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        group = null;
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
        if (!execute(() -> {
            if (handover == null || handover.isDone()) {
                handover = new CompletableFuture<>();
            }
            handover.whenComplete((ok, e) -> {
                if (e != null) {
                    f.completeExceptionally(e);
                } else {
                    f.complete(null);
                }
            });
            if (!maintenance) {
                log.info("cluster: handover: giving every VIP away, then staying out of elections");
            }
            maintenance = true;
            long now = nanoClock.getAsLong();
            for (VipRun v : vips.values()) {
                v.controller.stopAnnouncing();
                if (v.election != null) {
                    v.election.setMaintenance(now, true);
                }
            }
            reschedule();
            checkHandover();
            if (!handover.isDone() && handoverWatch == null) {
                handoverWatch = loop.scheduleAtFixedRate(this::checkHandover, 50, 50, TimeUnit.MILLISECONDS);
            }
        })) {
            f.completeExceptionally(new IllegalStateException("the cluster is not running"));
        }
        return f;
    }

    /** Ends maintenance: the node takes part in elections again (and may preempt, after preempt_delay). */
    public CompletableFuture<Void> resume() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (!execute(() -> {
            if (maintenance) {
                log.info("cluster: resumed: taking part in elections again");
            }
            maintenance = false;
            long now = nanoClock.getAsLong();
            for (VipRun v : vips.values()) {
                if (v.election != null) {
                    v.election.setMaintenance(now, false);
                }
            }
            if (handover != null && !handover.isDone()) {
                handover.completeExceptionally(new IllegalStateException("resumed before the handover completed"));
            }
            stopHandoverWatch();
            reschedule();
            f.complete(null);
        })) {
            f.completeExceptionally(new IllegalStateException("the cluster is not running"));
        }
        return f;
    }

    private List<String> stillHeld() {
        List<String> held = new ArrayList<>();
        for (VipRun v : vips.values()) {
            boolean master = v.election != null && v.election.state() == VipState.MASTER;
            if (master || v.controller.wanted() || v.controller.present()) {
                held.add(v.vip.address());
            }
        }
        return held;
    }

    private void checkHandover() {
        if (handover == null || handover.isDone()) {
            stopHandoverWatch();
            return;
        }
        if (stillHeld().isEmpty()) {
            log.info("cluster: handover complete: this node holds no VIP");
            publish();
            handover.complete(null);
            stopHandoverWatch();
        }
    }

    private void stopHandoverWatch() {
        if (handoverWatch != null) {
            handoverWatch.cancel(false);
            handoverWatch = null;
        }
    }

    // ------------------------------------------------------------------ status

    /**
     * A consistent picture of every VIP as this node sees it, as of the last event (peer ages at most
     * {@link #STATUS_EVERY} old). Never waits: fit for an event loop (the admin endpoint's).
     */
    public ClusterStatus status() {
        ClusterStatus s = published;
        return s != null ? s : new ClusterStatus(name, false, List.of(), true, "", true,
                config.witnesses().stream().map(Object::toString).toList(), List.of());
    }

    private void publish() {
        published = snapshot();
    }

    private ClusterStatus snapshot() {
        long now = nanoClock.getAsLong();
        List<ClusterStatus.VipStatus> list = new ArrayList<>();
        for (VipRun v : vips.values()) {
            Map<String, ClusterStatus.PeerStatus> peerStatus = new LinkedHashMap<>();
            VipElection e = v.election;
            if (e != null) {
                e.peers().forEach((peer, p) -> peerStatus.put(peer, new ClusterStatus.PeerStatus(p.priority(),
                        (p.flags() & Advert.MASTER) != 0, (p.flags() & Advert.ANNOUNCED) != 0,
                        (p.flags() & Advert.MAINTENANCE) != 0, (p.flags() & Advert.FAULT) != 0,
                        TimeUnit.NANOSECONDS.toMillis(now - p.heardAt()))));
            }
            list.add(new ClusterStatus.VipStatus(v.vip.address(), v.vip.prefixLength(), v.vip.iface(), e != null,
                    e == null ? VipState.INIT.name() : e.state().name(), e == null ? null : e.master(),
                    e == null ? 0 : e.priority(), peerStatus, v.lastTransition,
                    v.lastReason == null ? null : v.lastReason.label(), v.controller.present(),
                    e != null && e.announced()));
        }
        List<String> pending = handover != null && !handover.isDone() ? stillHeld() : List.of();
        return new ClusterStatus(name, maintenance, pending, healthy, healthReason, witnessesReached,
                config.witnesses().stream().map(Object::toString).toList(), list);
    }

    // ------------------------------------------------------------------ events (on the loop)

    private void transitioned(VipRun v, VipState from, VipState to, Reason reason) {
        v.stateGauge.set(to.code());
        v.lastTransition = wallClock.instant();
        v.lastReason = reason;
        meters.counter("tandem_vip_transitions_total", "vip", v.vip.address(), "to", to.name().toLowerCase(Locale.ROOT),
                "reason", reason.label()).increment();
        if (to == VipState.MASTER || from == VipState.MASTER) {
            meters.counter("tandem_cluster_elections_total", "vip", v.vip.address(),
                    "result", to == VipState.MASTER ? "won" : "lost").increment();
        }
        if (from == VipState.MASTER || to == VipState.MASTER) {
            log.info("VIP {}: {} -> {} ({})", v.vip.address(), from, to, reason.label());
        } else {
            log.debug("VIP {}: {} -> {} ({})", v.vip.address(), from, to, reason.label());
        }
        if (from == VipState.MASTER) {
            // Only a master passes segments on: the clients are moving to the new one, which passes on itself.
            endForwarding(v, "no longer master");
        }
        // status first: whoever sees the address move must also see why
        publish();
        if (to == VipState.MASTER) {
            v.steppingAside = false;
            // (A node taking back a VIP it still drains keeps its own connections: the driver counts them in.)
            String oldHolder = takingFrom(v, reason);
            InetAddress at = oldHolder == null ? null : forwardable(v.vip, oldHolder);
            if (at != null) {
                v.forwardingTo = oldHolder;
                v.forwardingSince = nanoClock.getAsLong();
                v.controller.holdFrom(at);
                armDrainTick();
            } else {
                v.controller.hold();
            }
        } else if (reason == Reason.HANDOVER) {
            v.controller.releaseWhenDrained(handoverQuiet, drained, HANDOVER_DRAIN_MAX);
            v.draining = true;
            sendAdvert(v.vip.address(), 0, drainFlags(Advert.DRAINING));
            armDrainTick();
        } else if (reason == Reason.HIGHER_PRIORITY) {
            stepAside(v);
        } else if (from == VipState.MASTER || to == VipState.INIT) {
            v.steppingAside = false;
            v.controller.release();
        }
        if (notify != null) {
            notify.notify(v.vip.address(), to.name(), reason.label());
        }
    }

    private void sendAdvert(String vip, int priority, int flags) {
        if (channel == null) {
            return;
        }
        Advert a = new Advert(name, vip, priority, (int) Math.max(1, config.advertInterval().toMillis()), epoch,
                ++sequence, flags);
        ByteBuf buf = ByteBufAllocator.DEFAULT.buffer(AdvertCodec.MAX_LENGTH);
        try {
            codec.encode(a, buf);
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
        channel.send(buf, peers);
        sent.increment();
    }

    private void received(ByteBuf content, InetSocketAddress sender) {
        AdvertCodec.Decoded d = codec.decode(content);
        if (!d.ok()) {
            reject(d.rejection(), sender);
            return;
        }
        Advert a = d.advert();
        if (a.node().equals(name) || !config.nodes().containsKey(a.node())) {
            reject(Rejection.UNKNOWN_NODE, sender);
            return;
        }
        if (!replay.accept(a)) {
            reject(Rejection.REPLAY, sender);
            return;
        }
        VipRun v = vips.get(a.vip());
        if (v == null) {
            reject(Rejection.UNKNOWN_VIP, sender);
            return;
        }
        accepted.increment();
        if (v.election != null && running) {
            v.election.onAdvert(nanoClock.getAsLong(), a.node(), a);
            if (a.node().equals(v.forwardingTo) && a.has(Advert.RELEASED)) {
                endForwarding(v, a.node() + " drained and released it");
            }
            if (v.steppingAside && a.priority() > 0 && a.has(Advert.MASTER) && a.has(Advert.ANNOUNCED)) {
                drainAfterSteppingAside(v, a.node() + " announced it");
            }
            reschedule();
            if (handover != null && !handover.isDone()) {
                checkHandover();
            }
        }
    }

    // ------------------------------------------------------------------ handover drain (on the loop)

    /**
     * The peer that handed {@code v} over, when this node takes it from one: its last advert, fresh, said it is
     * master, in maintenance, with priority 0. Null after a crash, a clean stop or a lost witness: those peers
     * keep no connection worth passing anything on to.
     */
    private String handingOver(VipRun v) {
        long now = nanoClock.getAsLong();
        for (Map.Entry<String, VipElection.Peer> e : v.election.peers().entrySet()) {
            VipElection.Peer p = e.getValue();
            if (p.priority() == 0 && (p.flags() & (Advert.MASTER | Advert.MAINTENANCE)) == (Advert.MASTER | Advert.MAINTENANCE)
                    && now - p.heardAt() < forwardSilence()) {
                return e.getKey();
            }
        }
        return null;
    }

    /**
     * The peer this node takes {@code v} from that keeps its connections and drains them, or null. Handed over
     * (see {@link #handingOver}), or a master that steps aside: preempted, or taken from because its node
     * cannot serve (it stays up, and {@link #stepAside drains} like a node that handed over).
     */
    private String takingFrom(VipRun v, Reason reason) {
        return switch (reason) {
            case PEER_RELEASED -> handingOver(v);
            case PREEMPT, PEER_FAULT -> liveMaster(v);
            default -> null;
        };
    }

    /** The peer heard last saying it is master of {@code v}, if that was recent; else null. */
    private String liveMaster(VipRun v) {
        long now = nanoClock.getAsLong();
        String found = null;
        long heard = Long.MIN_VALUE;
        for (Map.Entry<String, VipElection.Peer> e : v.election.peers().entrySet()) {
            VipElection.Peer p = e.getValue();
            if (p.priority() > 0 && (p.flags() & Advert.MASTER) != 0 && now - p.heardAt() < forwardSilence()
                    && (found == null || p.heardAt() - heard > 0)) {
                found = e.getKey();
                heard = p.heardAt();
            }
        }
        return found;
    }

    /**
     * A more preferred master took {@code v}: as after a handover, the address stays while what is in flight
     * here drains (the new master passes on the segments of those connections that reach it), but ARP is
     * still answered here until the new master has announced the address, so that no neighbour asking in
     * between goes unanswered. Then (or after {@link #forwardSilence()} without that announcement) the drain.
     */
    private void stepAside(VipRun v) {
        v.controller.stepAside();
        v.draining = true;
        v.steppingAside = true;
        v.steppingAsideSince = nanoClock.getAsLong();
        sendAdvert(v.vip.address(), 0, drainFlags(Advert.DRAINING));
        armDrainTick();
        VipElection.Peer master = v.election.master() == null ? null : v.election.peers().get(v.election.master());
        int announcedMaster = Advert.MASTER | Advert.ANNOUNCED;
        if (master != null && (master.flags() & announcedMaster) == announcedMaster) {
            drainAfterSteppingAside(v, v.election.master() + " had announced it");
        }
    }

    /**
     * The election wants {@code v} announced again, as master. When a peer that claims it too steps down, it
     * drains like a master that was preempted: segments of its connections that reach this host go on to it
     * (as after a takeover from it) until it reports the address released, goes silent, or its longest drain
     * is over.
     */
    private void reannounced(VipRun v, String claimer, String why) {
        InetAddress at = claimer == null || claimer.equals(v.forwardingTo) ? null : forwardable(v.vip, claimer);
        if (at == null) {
            v.controller.reannounce(why);
            return;
        }
        v.forwardingTo = claimer;
        v.forwardingSince = nanoClock.getAsLong();
        v.controller.reannounceFrom(at, why);
        armDrainTick();
    }

    private void drainAfterSteppingAside(VipRun v, String why) {
        v.steppingAside = false;
        log.info("VIP {}: {}; draining, then releasing it", v.vip.address(), why);
        v.controller.releaseWhenDrained(handoverQuiet, drained, HANDOVER_DRAIN_MAX);
    }

    /** The old holder's address to pass segments on to: IPv4 VIPs and node addresses only. */
    private InetAddress forwardable(VipConfig vip, String peer) {
        byte[] a = addressOrder.get(peer);
        if (a == null || a.length != 4 || vip.address().indexOf(':') >= 0) {
            return null;
        }
        try {
            return InetAddress.getByAddress(a);
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    /**
     * How long the new holder goes without a word from a draining old holder before it counts it gone: a few
     * adverts, and never less than 2 s, since a node busy handing over may miss a beat (forwarding to a node
     * that died a moment longer costs nothing: its connections are dead either way).
     */
    private long forwardSilence() {
        return Math.max(TimeUnit.SECONDS.toNanos(2), 5 * config.advertInterval().toNanos());
    }

    private int drainFlags(int flag) {
        return flag | (maintenance ? Advert.MAINTENANCE : 0);
    }

    /** The address of a VIP this node handed over is off now: the new holder can stop passing segments on. */
    private void drained(VipRun v) {
        if (v.draining) {
            v.draining = false;
            if (running) {
                sendAdvert(v.vip.address(), 0, drainFlags(Advert.RELEASED));
            }
        }
    }

    private void endForwarding(VipRun v, String why) {
        if (v.forwardingTo == null) {
            return;
        }
        log.info("VIP {}: no more forwarding to {}: {}", v.vip.address(), v.forwardingTo, why);
        v.forwardingTo = null;
        v.controller.stopForwarding();
    }

    private void armDrainTick() {
        if (drainTick == null && running) {
            long every = Math.max(50, config.advertInterval().toMillis());
            drainTick = loop.scheduleAtFixedRate(this::drainTick, every, every, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Every advert interval while a handover drains: the old holder reports that it still drains (the new holder
     * counts it gone when the reports stop), and the new holder ends a forwarding whose old holder went silent
     * or drains for longer than any drain lasts.
     */
    private void drainTick() {
        long now = nanoClock.getAsLong();
        boolean busy = false;
        for (VipRun v : vips.values()) {
            if (v.steppingAside) {
                if (now - v.steppingAsideSince > forwardSilence()) {
                    drainAfterSteppingAside(v, "the new master did not announce it within "
                            + TimeUnit.NANOSECONDS.toMillis(forwardSilence()) + " ms");
                } else {
                    busy = true;
                }
            }
            if (v.draining) {
                if (v.controller.wanted()) {
                    v.draining = false; // held again (resumed and preempted) before the drain ended
                } else {
                    sendAdvert(v.vip.address(), 0, drainFlags(Advert.DRAINING));
                    busy = true;
                }
            }
            if (v.forwardingTo != null && v.election != null) {
                VipElection.Peer p = v.election.peers().get(v.forwardingTo);
                long limit = handoverQuiet.plus(HANDOVER_DRAIN_MAX).plus(FORWARD_SLACK).toNanos();
                if (p == null || now - p.heardAt() > forwardSilence()) {
                    endForwarding(v, "not heard for " + TimeUnit.NANOSECONDS.toMillis(forwardSilence()) + " ms");
                } else if (now - v.forwardingSince > limit) {
                    endForwarding(v, "still draining after " + TimeUnit.NANOSECONDS.toSeconds(limit) + " s");
                } else {
                    busy = true;
                }
            }
        }
        if (!busy && drainTick != null) {
            drainTick.cancel(false);
            drainTick = null;
        }
    }

    private void reject(Rejection r, InetSocketAddress sender) {
        rejected.get(r.label()).increment();
        log.debug("advert from {} rejected: {}", sender, r.label());
    }

    private void healthChanged() {
        boolean can = health.canServe();
        healthReason = health.reason();
        if (can == healthy) {
            return;
        }
        healthy = can;
        if (can) {
            log.info("cluster: this node can serve again: back to its configured priorities");
        } else {
            log.warn("cluster: this node cannot serve ({}): advertising priority {} so a peer takes its VIPs",
                    healthReason, ElectionSettings.FAULT_PRIORITY);
        }
        long now = nanoClock.getAsLong();
        for (VipRun v : vips.values()) {
            if (v.election != null) {
                v.election.setHealthy(now, can);
                v.priorityGauge.set(v.election.priority());
            }
        }
        reschedule();
    }

    private void witnessesChanged(boolean reached) {
        witnessesReached = reached;
        long now = nanoClock.getAsLong();
        for (VipRun v : vips.values()) {
            if (v.election != null) {
                v.election.setWitnessesReached(now, reached);
            }
        }
        reschedule();
    }

    /** Arms the one timer for the earliest deadline of any election, and publishes the status. */
    private void reschedule() {
        if (!running) {
            return;
        }
        publish();
        long next = Long.MAX_VALUE;
        for (VipRun v : vips.values()) {
            if (v.election != null) {
                next = Math.min(next, v.election.nextDeadline());
            }
        }
        if (timer != null && timerAt == next) {
            return;
        }
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        timerAt = next;
        if (next != Long.MAX_VALUE) {
            long delay = Math.max(0, next - nanoClock.getAsLong());
            timer = loop.schedule(this::fire, delay, TimeUnit.NANOSECONDS);
        }
    }

    private void fire() {
        timer = null;
        timerAt = Long.MAX_VALUE;
        if (!running) {
            return;
        }
        long now = nanoClock.getAsLong();
        for (VipRun v : vips.values()) {
            if (v.election != null && v.election.nextDeadline() - now <= 0) {
                v.election.tick(now);
            }
        }
        reschedule();
    }

    // ------------------------------------------------------------------ loop plumbing

    private boolean execute(Runnable task) {
        EventLoop l = loop;
        if (l == null || l.isShuttingDown()) {
            return false;
        }
        l.execute(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("cluster: unexpected failure", e);
            }
        });
        return true;
    }

    private <T> T call(java.util.concurrent.Callable<T> task) {
        EventLoop l = loop;
        if (l == null || l.isShuttingDown()) {
            return null;
        }
        if (l.inEventLoop()) {
            try {
                return task.call();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        try {
            return l.submit(task).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cluster loop: " + e, e);
        }
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
        private InetSocketAddress bind;
        private Duration handoverQuiet = HANDOVER_QUIET;
        private java.util.concurrent.CompletionStage<?> electionGate;

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

        /** Wall clock for advert epochs and transition times. */
        public Builder wallClock(Clock wallClock) {
            this.wallClock = wallClock;
            return this;
        }

        /**
         * True when nothing is in flight any more (e.g. the proxy has no open client connection); a handover
         * removes an address only then (or after {@link #HANDOVER_DRAIN_MAX}). Called off the event loops.
         */
        public Builder drained(BooleanSupplier drained) {
            this.drained = drained;
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
        public Builder electionGate(java.util.concurrent.CompletionStage<?> gate) {
            this.electionGate = gate;
            return this;
        }

        public ClusterNode build() {
            return new ClusterNode(this);
        }
    }
}
