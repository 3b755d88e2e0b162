package dev.tandem.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.cluster.dns.DnsLedger;
import dev.tandem.cluster.dns.DnsSupervisor;
import dev.tandem.cluster.dns.DnsUpdater;
import dev.tandem.cluster.dns.KnotServer;
import dev.tandem.cluster.dns.TsigSecret;
import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.cluster.vip.RecordingVipDriver;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.DnsConfig;
import dev.tandem.conf.HostPort;
import dev.tandem.conf.WitnessConfig;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes in this process over real UDP on loopback (a on 127.0.0.51, b on .52), with two probe witnesses whose
 * answers the test sets per node, moving {@code www.example.com.} at a real knot server on loopback.
 */
class DnsFailoverIntegrationTest {

    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes();
    private static final String WWW = "www.example.com.";
    private static final String A = "127.0.0.51";
    private static final String B = "127.0.0.52";

    @TempDir
    Path dir;
    private KnotServer knot;
    private DnsUpdater reader;
    private ClusterConfig config;
    private final Map<String, ClusterNode> nodes = new LinkedHashMap<>();
    private final Map<String, AtomicBoolean> probes = new LinkedHashMap<>();

    @BeforeEach
    void startServer() throws Exception {
        assumeTrue(KnotServer.installed(), "knotd is not installed (apt-get install knot): no server to update");
        knot = new KnotServer(dir.resolve("knot"));
    }

    @AfterEach
    void stopAll() throws Exception {
        nodes.values().forEach(n -> n.stop(Duration.ofSeconds(2)));
        if (knot != null) {
            knot.close();
        }
    }

    private ClusterConfig config(int port, Duration holdDown) {
        Map<String, String> addresses = new LinkedHashMap<>();
        addresses.put("a", A);
        addresses.put("b", B);
        DnsConfig dns = new DnsConfig(new HostPort("127.0.0.1", knot.port()), "example.com.",
                new DnsConfig.Tsig("tandem-key.", "hmac-sha256", knot.keyFile()), holdDown,
                List.of(new DnsConfig.Record(WWW, Duration.ofSeconds(1), DnsConfig.Mode.FAILOVER, List.of("a", "b"))));
        // Adverts every 250 ms (a peer is lost after 750 ms): a loaded 2-core machine delays a loop by hundreds of ms.
        return new ClusterConfig(addresses, port, Path.of("unused.key"), Duration.ofMillis(250), true, Duration.ZERO,
                List.of(), List.of(WitnessConfig.tcp("192.0.2.1", 22), WitnessConfig.tcp("192.0.2.2", 22)),
                Optional.of(dir.resolve("notify.sh")), Optional.empty(), dir.resolve("state"), Duration.ZERO, Map.of(),
                Optional.of(dns));
    }

    private ClusterNode start(ClusterConfig config, String name) throws Exception {
        AtomicBoolean reached = probes.computeIfAbsent(name, n -> new AtomicBoolean(true));
        ClusterNode node = ClusterNode.builder(config, name, ClusterKeys.of(SECRET))
                .vipDriver(new RecordingVipDriver())
                .witnessProbe((w, timeout) -> reached.get())
                .build();
        node.start();
        nodes.put(name, node);
        return node;
    }

    private Set<String> www() throws Exception {
        Set<String> out = new LinkedHashSet<>();
        for (InetAddress a : reader.read(WWW).addresses()) {
            out.add(a.getHostAddress());
        }
        return out;
    }

    private void setUp(Duration holdDown) throws Exception {
        Path notify = dir.resolve("notify.sh");
        Files.writeString(notify, "#!/bin/sh\necho \"$TANDEM_NODE $*\" >> " + dir.resolve("notified") + "\n");
        Files.setPosixFilePermissions(notify, PosixFilePermissions.fromString("rwxr-xr-x"));
        config = config(freeUdpPort(), holdDown);
        reader = new DnsUpdater(config.dns().orElseThrow(), TsigSecret.read(knot.keyFile()), Duration.ofSeconds(3));
        start(config, "a");
        start(config, "b");
    }

    private static int freeUdpPort() throws Exception {
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    /** The values of {@code www} that node {@code node} knows Tandem added, from its ledger in the state dir. */
    private Set<String> ledgerOf(String node) throws Exception {
        Path f = dir.resolve("state").resolve("dns-" + node + ".added");
        return Files.exists(f) ? Set.copyOf(Files.readAllLines(f).stream().map(l -> l.split(" ")[1]).toList()) : Set.of();
    }

    private List<String> notified() throws Exception {
        Path f = dir.resolve("notified");
        return Files.exists(f) ? Files.readAllLines(f) : List.of();
    }

    @Test
    void thePrimaryIsPublishedTheBackupTakesOverWhenItIsGoneAndItMovesBackAfterTheHoldDown() throws Exception {
        setUp(Duration.ofSeconds(3));
        // The record had only a foreign address: the preferred node writes itself in beside it.
        await().atMost(20, TimeUnit.SECONDS).until(() -> www().equals(Set.of(KnotServer.FOREIGN, A)));
        // b has heard a's claim (its value is Tandem's): only then may b remove it.
        await().atMost(5, TimeUnit.SECONDS).until(() -> ledgerOf("b").equals(Set.of(A)));
        nodes.remove("a").halt();
        await().atMost(20, TimeUnit.SECONDS).until(() -> www().equals(Set.of(KnotServer.FOREIGN, B)));
        await().atMost(10, TimeUnit.SECONDS).until(() -> notified().contains("b DNS " + WWW + " MASTER"));
        assertEquals(Set.of(B), ledgerOf("b"), "a's value, removed, is forgotten");
        List<DnsSupervisor.RecordStatus> status = nodes.get("b").dnsStatus();
        assertEquals(List.of("b"), status.get(0).published());
        assertTrue(status.get(0).lastChange().contains("removed [a]"), status.get(0).lastChange());
        // a returns: healthy and heard, it waits out the hold-down (3 s) before taking the record back.
        start(config, "a");
        await().during(1, TimeUnit.SECONDS).atMost(2, TimeUnit.SECONDS).until(() -> www().equals(Set.of(KnotServer.FOREIGN, B)));
        await().atMost(20, TimeUnit.SECONDS).until(() -> www().equals(Set.of(KnotServer.FOREIGN, A)));
    }

    @Test
    void aNodeAddressWrittenByHandStaysAndOnlyTandemsValuesMove() throws Exception {
        Path notify = dir.resolve("notify.sh");
        Files.writeString(notify, "#!/bin/sh\n");
        Files.setPosixFilePermissions(notify, PosixFilePermissions.fromString("rwxr-xr-x"));
        config = config(freeUdpPort(), Duration.ofSeconds(1));
        reader = new DnsUpdater(config.dns().orElseThrow(), TsigSecret.read(knot.keyFile()), Duration.ofSeconds(3));
        // An operator wrote b's address in by hand, with a tool of their own (its own ledger, not a node's).
        reader.apply(WWW, Duration.ofSeconds(60), Set.of(InetAddress.getByName(B)), Set.of(),
                DnsLedger.open(dir.resolve("operator").resolve("added")));
        start(config, "a");
        start(config, "b");
        // a, first in prefer, writes itself in; a failover write removes the other nodes' values, but b's is not
        // Tandem's: it stays.
        await().atMost(20, TimeUnit.SECONDS).until(() -> www().equals(Set.of(KnotServer.FOREIGN, A, B)));
        await().during(2, TimeUnit.SECONDS).atMost(3, TimeUnit.SECONDS)
                .until(() -> www().equals(Set.of(KnotServer.FOREIGN, A, B)));
        assertEquals(Set.of(A), ledgerOf("a"));
        await().atMost(5, TimeUnit.SECONDS).until(() -> ledgerOf("b").equals(Set.of(A)));
        // a dies: b removes a's value, which b knows as Tandem's from a's heartbeats, and its own stays.
        nodes.remove("a").halt();
        await().atMost(20, TimeUnit.SECONDS).until(() -> www().equals(Set.of(KnotServer.FOREIGN, B)));
        await().during(2, TimeUnit.SECONDS).atMost(3, TimeUnit.SECONDS)
                .until(() -> www().equals(Set.of(KnotServer.FOREIGN, B)));
        assertEquals(0, nodes.get("b").dnsStatus().get(0).failures());
    }

    @Test
    void aBackupThatReachesNoWitnessDoesNotMoveTheRecord() throws Exception {
        setUp(Duration.ofSeconds(1));
        await().atMost(20, TimeUnit.SECONDS).until(() -> www().equals(Set.of(KnotServer.FOREIGN, A)));
        // b's own uplink is cut: its witnesses go silent, and a's heartbeats stop reaching it.
        probes.get("b").set(false);
        nodes.remove("a").halt();
        await().during(3, TimeUnit.SECONDS).atMost(5, TimeUnit.SECONDS)
                .until(() -> www().equals(Set.of(KnotServer.FOREIGN, A)));
        assertEquals(List.of(), new ArrayList<>(notified()).stream().filter(l -> l.startsWith("b ")).toList());
    }

    @Test
    void aRefusedUpdateIsShownWithItsRetryAndRetriedWithBackoff() throws Exception {
        knot.close();
        knot = new KnotServer(dir.resolve("knot-refusing"), false);
        config = config(freeUdpPort(), Duration.ofSeconds(1));
        start(config, "a");
        // a alone, first in prefer, finds no node in the record: it writes itself in, and the server refuses.
        await().atMost(20, TimeUnit.SECONDS).until(() -> {
            DnsSupervisor.RecordStatus s = nodes.get("a").dnsStatus().get(0);
            return s.failures() >= 2;
        });
        DnsSupervisor.RecordStatus s = nodes.get("a").dnsStatus().get(0);
        assertEquals(List.of(KnotServer.FOREIGN), s.addresses(), "the server's value, read back");
        assertEquals(List.of(), s.published());
        assertEquals(1, s.ttlSeconds());
        assertTrue(s.lastError().contains("NOTAUTH"), "knot answers NOTAUTH, unsigned: " + s.lastError());
        assertEquals("", s.lastChange());
        // Waiting for its retry: when it is due is shown, never in the past by more than a read's interval.
        await().atMost(20, TimeUnit.SECONDS).until(() -> nodes.get("a").dnsStatus().get(0).retryAt() != null);
        Instant due = nodes.get("a").dnsStatus().get(0).retryAt();
        assertTrue(due.isAfter(Instant.now().minusSeconds(2)), "due " + due);
    }
}
