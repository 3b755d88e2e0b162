package dev.tandem.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.cluster.vip.RecordingVipDriver;
import dev.tandem.cluster.wire.Advert;
import dev.tandem.cluster.wire.AdvertCodec;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.VipConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The heal of a partition, between one node in this process and its peer played by a socket on the peer's address:
 * the peer's adverts are written by the test, and the node's adverts to it are read. The node that steps aside
 * answers ARP for the VIP until the master has announced it after hearing of its mastership; the master says it
 * has not announced since a claim until a round after the claim has gone out.
 */
class HealedPartitionTest {

    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes();
    private static final String V1 = "192.0.2.10";
    private static final int A = 250;
    private static final int B = 200;

    @TempDir
    Path stateDir;

    private final List<ClusterNode> started = new ArrayList<>();
    private final AdvertCodec codec = new AdvertCodec(ClusterKeys.of(SECRET).hmac(ClusterKeys.ADVERTS));
    private final long epoch = System.currentTimeMillis() * 1000;
    private final AtomicLong sequence = new AtomicLong();

    @AfterEach
    void stopAll() {
        started.forEach(n -> n.stop(Duration.ofSeconds(2)));
    }

    private static int freeUdpPort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private ClusterNode start(int port, String name, RecordingVipDriver driver) throws Exception {
        Map<String, String> nodes = new LinkedHashMap<>();
        nodes.put("a", "127.0.0.11");
        nodes.put("b", "127.0.0.12");
        ClusterConfig config = new ClusterConfig(nodes, port, Path.of("unused.key"), Duration.ofMillis(100), true,
                Duration.ZERO, List.of(new VipConfig(V1, 24, "eth0", List.of("a", "b"))), List.of(), Optional.empty(),
                Optional.empty(), stateDir);
        ClusterNode node = ClusterNode.builder(config, name, ClusterKeys.of(SECRET)).vipDriver(driver)
                .witnessProbe((w, timeout) -> true).meters(new SimpleMeterRegistry())
                .handoverQuiet(Duration.ofMillis(300)).build();
        node.start();
        started.add(node);
        return node;
    }

    private static ClusterStatus.VipStatus status(ClusterNode n) {
        return n.status().vips().stream().filter(v -> v.vip().equals(V1)).findFirst().orElseThrow();
    }

    private void send(DatagramSocket peer, int port, String from, int priority, int flags, String to) throws Exception {
        Advert a = new Advert(from, V1, priority, 100, epoch, sequence.incrementAndGet(), flags);
        ByteBuf buf = Unpooled.buffer();
        try {
            codec.encode(a, buf);
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            peer.send(new DatagramPacket(bytes, bytes.length, new InetSocketAddress(to, port)));
        } finally {
            buf.release();
        }
    }

    /** The next advert about V1 the node sends the peer within {@code millis}, or null. */
    private Advert receive(DatagramSocket peer, long millis) throws Exception {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        byte[] b = new byte[AdvertCodec.MAX_LENGTH];
        while (System.nanoTime() - until < 0) {
            peer.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())));
            DatagramPacket p = new DatagramPacket(b, b.length);
            try {
                peer.receive(p);
            } catch (SocketTimeoutException e) {
                return null;
            }
            ByteBuf buf = Unpooled.wrappedBuffer(b, 0, p.getLength());
            try {
                AdvertCodec.Decoded d = codec.decode(buf);
                if (d.ok() && V1.equals(d.advert().vip())) {
                    return d.advert();
                }
            } finally {
                buf.release();
            }
        }
        return null;
    }

    /**
     * b held the VIP on its side of a partition; at the heal, the first advert it hears from a (preferred, never
     * cut off from its link) says ANNOUNCED, from a round of long before: a had not heard b yet. Going quiet on
     * that left a neighbour that asked before a's new round with no answer from either node.
     */
    @Test
    void theNodeSteppingAsideAnswersArpUntilTheMasterAnnouncedAfterHearingOfIt() throws Exception {
        int port = freeUdpPort();
        RecordingVipDriver driver = new RecordingVipDriver();
        AtomicInteger flagsOfA = new AtomicInteger(-1);
        ScheduledExecutorService adverts = Executors.newSingleThreadScheduledExecutor();
        try (DatagramSocket a = new DatagramSocket(new InetSocketAddress("127.0.0.11", port))) {
            ClusterNode b = start(port, "b", driver);
            await().atMost(5, TimeUnit.SECONDS).until(() -> "MASTER".equals(status(b).state()) && status(b).announced());
            // a's adverts every 50 ms, with the flags the test sets
            adverts.scheduleAtFixedRate(() -> {
                int flags = flagsOfA.get();
                if (flags >= 0) {
                    try {
                        send(a, port, "a", A, flags, "127.0.0.12");
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            }, 0, 50, TimeUnit.MILLISECONDS);

            flagsOfA.set(Advert.MASTER | Advert.ANNOUNCED);
            await().atMost(2, TimeUnit.SECONDS).until(() -> "BACKUP".equals(status(b).state()));
            Advert drain = receive(a, 1000);
            while (drain != null && !drain.has(Advert.DRAINING)) {
                drain = receive(a, 1000);
            }
            assertTrue(drain != null && drain.priority() == 0, "b reports its drain: " + drain);
            // a's adverts keep saying ANNOUNCED until it hears the drain: b answers ARP all along
            await().during(500, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS)
                    .until(() -> !driver.withdrawn(V1) && driver.holds(V1) && "BACKUP".equals(status(b).state()));
            // a heard the drain: not announced since; then its round went out
            flagsOfA.set(Advert.MASTER);
            await().during(200, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS).until(() -> !driver.withdrawn(V1));
            flagsOfA.set(Advert.MASTER | Advert.ANNOUNCED);
            await().atMost(2, TimeUnit.SECONDS).until(() -> driver.withdrawn(V1));
            assertTrue(driver.holds(V1), "withdrawn, not removed: it drains");
        } finally {
            adverts.shutdownNow();
            adverts.awaitTermination(2, TimeUnit.SECONDS);
        }
    }

    /** a, master since long, hears b claim the VIP (b held it on its side of a partition). */
    @Test
    void theMasterSaysItHasNotAnnouncedSinceAClaimUntilItsRoundAfterTheClaimWentOut() throws Exception {
        int port = freeUdpPort();
        RecordingVipDriver driver = new RecordingVipDriver();
        try (DatagramSocket b = new DatagramSocket(new InetSocketAddress("127.0.0.12", port))) {
            ClusterNode a = start(port, "a", driver);
            await().atMost(5, TimeUnit.SECONDS).until(() -> "MASTER".equals(status(a).state()) && status(a).announced());
            Advert before = receive(b, 1000);
            while (before != null && !before.has(Advert.ANNOUNCED)) {
                before = receive(b, 1000);
            }
            assertTrue(before != null && before.has(Advert.MASTER), "a says it announced V1: " + before);
            while (receive(b, 20) != null) {
                // what a sent before the claim
            }
            long claimedAt = System.nanoTime();
            send(b, port, "b", B, Advert.MASTER | Advert.ANNOUNCED, "127.0.0.11");
            // the advert a sends at once says it has not announced since: b keeps answering ARP (one that left
            // before a heard the claim may come first)
            Advert next = receive(b, 300);
            if (next != null && next.has(Advert.ANNOUNCED)) {
                next = receive(b, 300);
            }
            assertTrue(next != null && next.has(Advert.MASTER) && !next.has(Advert.ANNOUNCED),
                    "a's answer to the claim: " + next);
            while (next != null && !next.has(Advert.ANNOUNCED)) {
                next = receive(b, 2000);
            }
            assertTrue(next != null && next.has(Advert.MASTER), "a announced again: " + next);
            // (a round is three announcements a second apart: one of the round from before the claim may also have
            // gone out in between; what matters is that one went out after the claim before a said so)
            assertTrue(driver.calls().stream().anyMatch(c -> c.op().equals("announce") && c.nanos() - claimedAt > 0),
                    "said after the round that followed the claim: " + driver.calls());
        }
    }
}
