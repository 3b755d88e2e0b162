package dev.tandem.cluster.dns;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.cluster.wire.Advert;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.DnsConfig;
import dev.tandem.conf.HostPort;
import dev.tandem.conf.WitnessConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes' DNS drivers, each on a loop of its own, deciding on the same read of a record no node is in yet and
 * writing to a real knot on loopback. The test plays the heartbeats and the ticks; each driver reads the record
 * once at its start only (no periodic read), so that a node decides on exactly the read it made then, however
 * long ago: the read that a peer's update has overtaken.
 */
class DnsSupervisorKnotTest {

    private static final String API = "api.example.com.";
    private static final String A = "127.0.0.51";
    private static final String B = "127.0.0.52";

    @TempDir
    Path dir;
    private KnotServer knot;
    private DnsUpdater reader;
    private final List<Node> nodes = new ArrayList<>();
    private final AtomicLong sequence = new AtomicLong();

    @BeforeEach
    void start() throws IOException {
        assumeTrue(KnotServer.installed(), "knotd is not installed (apt-get install knot): no server to update");
        knot = new KnotServer(dir.resolve("knot"));
    }

    @AfterEach
    void stop() throws InterruptedException {
        nodes.forEach(Node::close);
        if (knot != null) {
            knot.close();
        }
    }

    private final class Node implements AutoCloseable {
        final String name;
        final ExecutorService loop = Executors.newSingleThreadExecutor();
        final SimpleMeterRegistry meters = new SimpleMeterRegistry();
        final DnsLedger ledger;
        final DnsSupervisor dns;

        Node(String name, ClusterConfig config) throws IOException {
            this.name = name;
            DnsConfig d = config.dns().orElseThrow();
            Map<String, InetAddress> addresses = new LinkedHashMap<>();
            for (Map.Entry<String, String> n : Map.of("a", A, "b", B).entrySet()) {
                addresses.put(n.getKey(), InetAddress.getByName(n.getValue()));
            }
            ledger = DnsLedger.open(DnsLedger.file(dir.resolve("state"), name));
            dns = new DnsSupervisor(config, name, addresses,
                    new DnsUpdater(d, TsigSecret.read(d.tsig().secretFile()), Duration.ofSeconds(5)), ledger, loop,
                    new DnsSupervisor.Probes() {
                        @Override
                        public int answered() {
                            return 2;
                        }

                        @Override
                        public long roundStartedAt() {
                            return System.nanoTime();
                        }
                    }, null, meters, System::nanoTime, Duration.ofHours(1));
            dns.start();
            nodes.add(this);
        }

        /** On this node's loop, and waits for it. */
        void on(Runnable task) throws Exception {
            loop.submit(task).get(10, TimeUnit.SECONDS);
        }

        /** A heartbeat from {@code peer}, which hears this node and says whether its health is good. */
        void hears(String peer, boolean healthy, long now) {
            dns.heartbeat(new Advert(peer, DnsSupervisor.HEARTBEAT + name, healthy ? 101 : 100, 250, 1,
                    sequence.incrementAndGet(), healthy ? 0 : Advert.FAULT), now);
        }

        /** The record's status; before the first read, one with no serial. */
        DnsSupervisor.RecordStatus status() {
            List<DnsSupervisor.RecordStatus> all = dns.status();
            return all.isEmpty() ? new DnsSupervisor.RecordStatus(API, "", 0, List.of(), List.of(), -1, "", null, "",
                    false, 0, null) : all.get(0);
        }

        double updates(String result) {
            Counter c = meters.find("tandem_dns_updates_total").tag("result", result).counter();
            return c == null ? 0 : c.count();
        }

        @Override
        public void close() {
            dns.close();
            loop.shutdownNow();
        }
    }

    private ClusterConfig config(DnsConfig.Mode mode, Duration holdDown) {
        Map<String, String> addresses = new LinkedHashMap<>();
        addresses.put("a", A);
        addresses.put("b", B);
        DnsConfig dns = new DnsConfig(new HostPort("127.0.0.1", knot.port()), "example.com.",
                new DnsConfig.Tsig("tandem-key.", "hmac-sha256", knot.keyFile()), holdDown,
                List.of(new DnsConfig.Record(API, Duration.ofSeconds(1), mode, List.of("a", "b"))));
        return new ClusterConfig(addresses, 7000, Path.of("unused.key"), Duration.ofMillis(250), true, Duration.ZERO,
                List.of(), List.of(WitnessConfig.tcp("192.0.2.1", 22), WitnessConfig.tcp("192.0.2.2", 22)),
                Optional.empty(), Optional.empty(), dir.resolve("state"), Duration.ZERO, Map.of(), Optional.of(dns));
    }

    private Set<String> api() throws Exception {
        Set<String> out = new LinkedHashSet<>();
        for (InetAddress a : reader.read(API).addresses()) {
            out.add(a.getHostAddress());
        }
        return out;
    }

    /** Both nodes started, each having read the record once: no node in it. */
    private List<Node> twoNodes(DnsConfig.Mode mode, Duration holdDown) throws Exception {
        ClusterConfig config = config(mode, holdDown);
        reader = new DnsUpdater(config.dns().orElseThrow(), TsigSecret.read(knot.keyFile()), Duration.ofSeconds(5));
        Node a = new Node("a", config);
        Node b = new Node("b", config);
        await().atMost(10, TimeUnit.SECONDS).until(() -> a.status().serial() >= 0 && b.status().serial() >= 0);
        assertEquals(Set.of(), api());
        return List.of(a, b);
    }

    @Test
    void aFailoverRecordRacedForOnTheSameEmptyReadHoldsOneNodeAndTheLoserSeesTheHolder() throws Exception {
        List<Node> two = twoNodes(DnsConfig.Mode.FAILOVER, Duration.ofHours(1));
        Node a = two.get(0);
        Node b = two.get(1);
        // a, first in prefer, hears b and writes itself in.
        long t = System.nanoTime();
        a.on(() -> {
            a.hears("b", true, t);
            a.dns.tick(t, true);
        });
        await().atMost(10, TimeUnit.SECONDS).until(() -> api().equals(Set.of(A)));
        // b last heard a say its health failed: on its read (no node in the record) b writes itself in. a's
        // heartbeat saying it is healthy again comes right after that decision.
        long u = System.nanoTime();
        b.on(() -> {
            b.hears("a", false, u);
            b.dns.tick(u, true);
            b.hears("a", true, u);
        });
        // The server refuses b's update (the record is no longer as b read it); b reads again, sees a holding it,
        // healthy, and writes nothing.
        await().atMost(10, TimeUnit.SECONDS).until(() -> b.updates("ok") + b.updates("changed")
                + b.updates("failed") > 0 && !b.status().updating());
        assertEquals(Set.of(A), api(), "only one node's address in a failover record");
        assertEquals(List.of("a"), b.status().published());
        assertEquals(1, b.updates("changed"));
        assertEquals(0, b.status().failures());
        assertEquals(0, b.updates("ok"));
        assertEquals(Set.of(), b.ledger.values(API), "b's refused value is not Tandem's");
        assertEquals(Set.of(A), a.ledger.values(API));
    }

    @Test
    void multiNodesDecidingOnTheSameEmptyReadBothEndInTheSet() throws Exception {
        List<Node> two = twoNodes(DnsConfig.Mode.MULTI, Duration.ZERO);
        Node a = two.get(0);
        Node b = two.get(1);
        long t = System.nanoTime();
        a.on(() -> {
            a.hears("b", true, t);
            a.dns.tick(t, true);
        });
        await().atMost(10, TimeUnit.SECONDS).until(() -> api().equals(Set.of(A)));
        // b decides on its read (empty) after a's update: refused, read again, and its add decided again at once.
        long u = System.nanoTime();
        b.on(() -> {
            b.hears("a", true, u);
            b.dns.tick(u, true);
        });
        await().atMost(10, TimeUnit.SECONDS).until(() -> api().equals(Set.of(A, B)));
        await().atMost(10, TimeUnit.SECONDS).until(() -> b.updates("ok") == 1 && !b.status().updating());
        assertEquals(0, b.status().failures(), "no backoff: the add is not lost nor delayed");
        assertEquals(Set.of(B), b.ledger.values(API));
        assertEquals(Set.of("a", "b"), Set.copyOf(b.status().published()));
    }

    @Test
    void multiNodesAddingThemselvesAtOnceBothEndInTheSet() throws Exception {
        List<Node> two = twoNodes(DnsConfig.Mode.MULTI, Duration.ZERO);
        long t = System.nanoTime();
        for (Node n : two) {
            n.loop.execute(() -> {
                n.hears(n.name.equals("a") ? "b" : "a", true, t);
                n.dns.tick(t, true);
            });
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> api().equals(Set.of(A, B)));
        for (Node n : two) {
            await().atMost(10, TimeUnit.SECONDS).until(() -> n.updates("ok") == 1 && !n.status().updating());
            assertEquals(0, n.status().failures(), n.name);
        }
    }
}
