package dev.tandem.node.wiring;

import dev.tandem.cluster.ClusterNode;
import dev.tandem.cluster.ClusterStatus;
import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.cluster.vip.CommandRunner;
import dev.tandem.cluster.vip.Held;
import dev.tandem.cluster.vip.HeldAddresses;
import dev.tandem.cluster.vip.HostCleanup;
import dev.tandem.cluster.vip.IpCommandDriver;
import dev.tandem.cluster.vip.RecordedVipDriver;
import dev.tandem.cluster.vip.VipDriver;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.health.NodeHealth;
import dev.tandem.proxy.ProxyServer;
import dev.tandem.proxy.transport.Transport;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster as the node runs it: which node this is, its keys, the data plane's transport for its UDP
 * socket, the proxy's connections on a VIP (told to close once idle when the VIP is given up, and counted until
 * none is left, within {@code shutdown.drain_timeout}) as the sign that a handed-over address is drained, and a stop that
 * hands the VIPs over before it goes, so that a planned stop loses no request.
 */
public final class ClusterService {

    private static final Logger log = LoggerFactory.getLogger(ClusterService.class);
    /**
     * The longest a stop waits for its handover before it gives the VIPs up with priority 0, with the default
     * drain; a longer {@code shutdown.drain_timeout} lengthens it (see {@link #stopHandoverLimit}).
     */
    public static final Duration STOP_HANDOVER_LIMIT = Duration.ofSeconds(15);
    /** What a handover takes beside its drain: the peer's takeover and the old holder's quiet time, with room. */
    static final Duration HANDOVER_BESIDE_DRAIN = Duration.ofSeconds(5);

    /** How long the cluster node may take to leave (last adverts, VIPs released) once the handover is over. */
    public static final Duration LEAVE_LIMIT = Duration.ofSeconds(5);

    private final ClusterNode node;
    private final ClusterConfig config;
    private final ProxyServer proxy;

    private ClusterService(ClusterNode node, ClusterConfig config, ProxyServer proxy) {
        this.node = node;
        this.config = config;
        this.proxy = proxy;
    }

    /** {@link #STOP_HANDOVER_LIMIT}, or the drain in force and what a handover takes beside it when that is longer. */
    static Duration stopHandoverLimit(Duration drain) {
        Duration needed = drain.plus(HANDOVER_BESIDE_DRAIN);
        return needed.compareTo(STOP_HANDOVER_LIMIT) > 0 ? needed : STOP_HANDOVER_LIMIT;
    }

    /**
     * Starts the cluster of {@code config} as node {@code name} (see {@link dev.tandem.cluster.LocalNode}).
     *
     * @param health the node's health signal; null when nothing tracks it (the node then always counts as able)
     */
    static ClusterService start(ClusterConfig config, String name, Transport transport,
                                MeterRegistry meters, ProxyServer proxy, NodeHealth health) throws IOException {
        return start(config, name, transport, meters, proxy, health, null);
    }

    /**
     * As above; the elections wait for {@code electionGate} (the mirror's first sync), when not null.
     */
    static ClusterService start(ClusterConfig config, String name, Transport transport, MeterRegistry meters,
                                ProxyServer proxy, NodeHealth health, CompletionStage<?> electionGate) throws IOException {
        ClusterKeys keys;
        try {
            keys = ClusterKeys.load(config.secretFile());
        } catch (ClusterKeys.KeyFileException e) {
            throw new IOException("cluster.secret_file: " + e.getMessage(), e);
        }
        ClusterNode.Builder builder = ClusterNode.builder(config, name, keys)
                .vipDriver(recordedDriver(config, name))
                .transport(transport.ioHandlerFactory(), transport.datagramChannel())
                .meters(meters)
                .health(health)
                .connections(new ProxyVipConnections(proxy))
                // The config in force when a drain begins: a reload of the limit applies to the next drain.
                .drainLimit(() -> proxy.config().config().shutdown().drainTimeout())
                .electionGate(electionGate);
        if (config.mirror().isEmpty()) {
            // The mirror's connections tell a backup that its master's process is gone; without one, this link does.
            builder.presence(transport.serverChannel(), transport.socketChannel());
        }
        ClusterNode node = builder.build();
        node.start();
        return new ClusterService(node, config, proxy);
    }

    /**
     * The host's VIP driver, with the record in {@code state_dir} of what it puts on the host. What the record
     * lists from a previous run (killed before it could remove it) goes first, VIPs no longer configured
     * included: this node holds nothing yet.
     */
    /** Whether {@code cluster.dns} is configured (the status then has a {@code dns} section). */
    public boolean dnsConfigured() {
        return config.dns().isPresent();
    }

    private static VipDriver recordedDriver(ClusterConfig config, String name) {
        HeldAddresses record = HeldAddresses.open(config.stateDir(), name);
        List<Held> left = record.held();
        if (!left.isEmpty()) {
            List<Held> gone = new ArrayList<>();
            for (HostCleanup.Outcome o : new HostCleanup(CommandRunner.system()).remove(left)) {
                if (o.problem().isPresent()) {
                    log.warn("cluster: cannot remove {} left by a previous run: {}", o.thing().line(), o.problem().get());
                } else {
                    gone.add(o.thing());
                    if (o.removed()) {
                        log.info("cluster: removed {}, left by a previous run", o.thing().line());
                    }
                }
            }
            try {
                record.remove(gone);
            } catch (IOException e) {
                log.warn("cluster: cannot update {}: {}", record.file(), e.toString());
            }
        }
        return new RecordedVipDriver(IpCommandDriver.withTakeoverHelper(CommandRunner.system()), record);
    }

    public ClusterNode node() {
        return node;
    }

    /**
     * Planned stop: hands every VIP this node holds to a peer (losing no request), then stops. Gives up the
     * handover after {@link #stopHandoverLimit}, or sooner when no peer became master for a VIP within
     * twice the master-down interval (no peer is running): the stop then releases with priority 0.
     */
    void stop() {
        if (holdsAny(node.status())) {
            long advert = config.advertInterval().toNanos();
            long noPeerAfter = 2 * (4 * advert) + TimeUnit.SECONDS.toNanos(1);
            long start = System.nanoTime();
            Duration limit = stopHandoverLimit(proxy.config().config().shutdown().drainTimeout());
            CompletableFuture<Void> handover = node.handover();
            log.info("stopping: handing the VIPs over first");
            while (!handover.isDone()) {
                long elapsed = System.nanoTime() - start;
                if (elapsed > limit.toNanos()) {
                    log.warn("stopping: handover not complete after {}s, releasing the VIPs now", limit.toSeconds());
                    break;
                }
                if (elapsed > noPeerAfter && !peerIsMaster(node.status())) {
                    log.warn("stopping: no peer took over, releasing the VIPs now");
                    break;
                }
                try {
                    handover.get(50, TimeUnit.MILLISECONDS);
                } catch (TimeoutException | ExecutionException e) {
                    // looked at again on the next turn
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        node.stop(LEAVE_LIMIT);
    }

    private static boolean holdsAny(ClusterStatus s) {
        return s.vips().stream().anyMatch(v -> v.addressPresent() || "MASTER".equals(v.state()));
    }

    private static boolean peerIsMaster(ClusterStatus s) {
        return s.vips().stream().anyMatch(v -> v.peers().values().stream().anyMatch(ClusterStatus.PeerStatus::master));
    }
}
