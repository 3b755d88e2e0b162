package dev.tandem.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.cluster.vip.RecordingVipDriver;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.VipConfig;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node whose elections wait for a gate (the mirror's first sync) takes no VIP before it opens. */
class ElectionGateTest {

    @Test
    void noVipBeforeTheGateOpens(@TempDir Path stateDir) throws Exception {
        int port;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        ClusterConfig config = new ClusterConfig(Map.of("a", "127.0.0.31"), port, Path.of("unused.key"),
                Duration.ofMillis(50), true, Duration.ZERO, List.of(new VipConfig("192.0.2.50", 24, "eth0", List.of("a"))),
                List.of(), Optional.empty(), Optional.empty(), stateDir);
        RecordingVipDriver driver = new RecordingVipDriver();
        CompletableFuture<String> gate = new CompletableFuture<>();
        ClusterNode a = ClusterNode.builder(config, "a", ClusterKeys.of("0123456789abcdef0123456789abcdef".getBytes()))
                .vipDriver(driver).witnessProbe((w, t) -> true).electionGate(gate).build();
        a.start();
        try {
            // alone, it would be master after 3 adverts and a skew: 200 ms; it waits for the gate instead
            await().during(600, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS)
                    .until(() -> !driver.holds("192.0.2.50"));
            assertEquals("INIT", a.status().vips().get(0).state());
            gate.complete("synced with b");
            await().atMost(3, TimeUnit.SECONDS).until(() -> driver.holds("192.0.2.50"));
            assertTrue(a.status().vips().get(0).state().equals("MASTER"));
        } finally {
            a.stop(Duration.ofSeconds(2));
        }
    }

    /**
     * A node killed while master and started again: its address is still on the interface. It removes it, and
     * does not take it back until the gate (its mirror caught up) opens, though it is the preferred node.
     */
    @Test
    void aKilledMasterBackWithItsAddressStillThereRemovesItAndWaitsForTheGate() throws Exception {
        int port;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        ClusterConfig config = new ClusterConfig(Map.of("a", "127.0.0.32"), port, Path.of("unused.key"),
                Duration.ofMillis(50), true, Duration.ZERO, List.of(new VipConfig("192.0.2.51", 24, "eth0", List.of("a"))),
                List.of(), Optional.empty(), Optional.empty());
        RecordingVipDriver driver = new RecordingVipDriver("192.0.2.51");
        CompletableFuture<String> gate = new CompletableFuture<>();
        ClusterNode a = ClusterNode.builder(config, "a", ClusterKeys.of("0123456789abcdef0123456789abcdef".getBytes()))
                .vipDriver(driver).witnessProbe((w, t) -> true).electionGate(gate).build();
        a.start();
        try {
            await().atMost(2, TimeUnit.SECONDS).until(() -> !driver.holds("192.0.2.51"));
            await().during(600, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS)
                    .until(() -> !driver.holds("192.0.2.51") && driver.first("add", "192.0.2.51") < 0);
            assertEquals("INIT", a.status().vips().get(0).state());
            gate.complete("synced with b");
            await().atMost(3, TimeUnit.SECONDS).until(() -> driver.holds("192.0.2.51"));
            assertTrue(driver.first("remove", "192.0.2.51") < driver.first("add", "192.0.2.51"));
        } finally {
            a.stop(Duration.ofSeconds(2));
        }
    }

    /**
     * Two nodes started cold together: the preferred one, a, waits for its first sync; b has none to wait for. b
     * takes no VIP while a waits (alone, it would after 200 ms), and a takes it once its gate opens: no VIP taken and
     * announced only to be given back.
     */
    @Test
    void aLessPreferredPeerTakesNoVipWhileThePreferredOneWaitsForItsGate(@TempDir Path stateDir) throws Exception {
        int port;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        Map<String, String> nodes = new java.util.LinkedHashMap<>();
        nodes.put("a", "127.0.0.33");
        nodes.put("b", "127.0.0.34");
        ClusterConfig config = new ClusterConfig(nodes, port, Path.of("unused.key"), Duration.ofMillis(50), true,
                Duration.ZERO, List.of(new VipConfig("192.0.2.52", 24, "eth0", List.of("a", "b"))), List.of(),
                Optional.empty(), Optional.empty(), stateDir);
        ClusterKeys keys = ClusterKeys.of("0123456789abcdef0123456789abcdef".getBytes());
        RecordingVipDriver driverA = new RecordingVipDriver();
        RecordingVipDriver driverB = new RecordingVipDriver();
        CompletableFuture<String> gate = new CompletableFuture<>();
        ClusterNode a = ClusterNode.builder(config, "a", keys).vipDriver(driverA).witnessProbe((w, t) -> true)
                .electionGate(gate).build();
        ClusterNode b = ClusterNode.builder(config, "b", keys).vipDriver(driverB).witnessProbe((w, t) -> true).build();
        a.start();
        try {
            b.start();
            try {
                await().during(1000, TimeUnit.MILLISECONDS).atMost(3, TimeUnit.SECONDS)
                        .until(() -> driverB.first("add", "192.0.2.52") < 0);
                assertEquals("BACKUP", b.status().vips().get(0).state());
                gate.complete("synced with b");
                await().atMost(3, TimeUnit.SECONDS).until(() -> driverA.holds("192.0.2.52"));
                await().during(300, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS)
                        .until(() -> "BACKUP".equals(b.status().vips().get(0).state()));
                assertTrue(driverB.first("add", "192.0.2.52") < 0, "b took the VIP: " + driverB.calls());
            } finally {
                b.stop(Duration.ofSeconds(2));
            }
        } finally {
            a.stop(Duration.ofSeconds(2));
        }
    }
}
