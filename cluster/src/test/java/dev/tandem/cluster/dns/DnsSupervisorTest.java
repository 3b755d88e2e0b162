package dev.tandem.cluster.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.cluster.wire.Advert;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.DnsConfig;
import dev.tandem.conf.HostPort;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver's own timing, on an injected clock and with no DNS server: it is never started, so it reads and
 * writes nothing; what is checked is what its heartbeat says.
 */
class DnsSupervisorTest {

    private static final long MS = 1_000_000L;
    private static final Duration INTERVAL = Duration.ofMillis(250);

    @TempDir
    Path dir;
    private DnsSupervisor dns;
    private final AtomicLong sequence = new AtomicLong();

    @AfterEach
    void close() {
        if (dns != null) {
            dns.close();
        }
    }

    /** Node w of lb1, lb2, w: a witness for the other two. */
    private DnsSupervisor witness() throws Exception {
        Map<String, String> nodes = new LinkedHashMap<>();
        nodes.put("lb1", "192.0.2.11");
        nodes.put("lb2", "192.0.2.12");
        nodes.put("w", "192.0.2.13");
        DnsConfig d = new DnsConfig(new HostPort("127.0.0.1", 9), "example.com.",
                new DnsConfig.Tsig("tandem-key.", "hmac-sha256", dir.resolve("unused.key")), Duration.ofSeconds(5),
                List.of(new DnsConfig.Record("www.example.com.", Duration.ofSeconds(5), DnsConfig.Mode.FAILOVER,
                        List.of("lb1", "lb2"))));
        ClusterConfig config = new ClusterConfig(nodes, 7000, Path.of("unused.key"), INTERVAL, true, Duration.ZERO,
                List.of(), List.of(), Optional.empty(), Optional.empty(), dir.resolve("state"), Duration.ZERO,
                Map.of(), Optional.of(d));
        Map<String, InetAddress> addresses = new LinkedHashMap<>();
        for (Map.Entry<String, String> n : nodes.entrySet()) {
            addresses.put(n.getKey(), InetAddress.getByName(n.getValue()));
        }
        String secret = Base64.getEncoder().encodeToString(new byte[32]);
        return new DnsSupervisor(config, "w", addresses, new DnsUpdater(d, secret, Duration.ofSeconds(1)),
                DnsLedger.open(DnsLedger.file(dir.resolve("state"), "w")), Runnable::run, new DnsSupervisor.Probes() {
                    @Override
                    public int answered() {
                        return 0;
                    }

                    @Override
                    public long roundStartedAt() {
                        return 0;
                    }
                }, null, new SimpleMeterRegistry(), System::nanoTime);
    }

    private void heartbeat(String from, long now) {
        dns.heartbeat(new Advert(from, DnsSupervisor.HEARTBEAT + "w", 101, 250, 1, sequence.incrementAndGet(), 0),
                now);
    }

    private String says(long now) {
        return dns.heartbeatName(now);
    }

    @Test
    void aWitnessThatStalledKeepsSayingItHearsThePeersItHeardUntilItHasListenedForLostAfter() throws Exception {
        dns = witness();
        long t = 0;
        for (; t <= 1000 * MS; t += INTERVAL.toNanos()) {
            heartbeat("lb1", t);
            heartbeat("lb2", t);
            says(t);
            dns.tick(t, true);
        }
        assertEquals(DnsSupervisor.HEARTBEAT + "lb1,lb2", says(t));
        // w's loop stalls for 2 s: lb1's and lb2's heartbeats of that time wait in its socket, unread. Its first
        // heartbeat after the stall (made on the same tick) must not say "I no longer hear them": that would
        // confirm lb1's loss to lb2, which hears lb1 well.
        long back = t + 2000 * MS;
        assertEquals(DnsSupervisor.HEARTBEAT + "lb1,lb2", says(back));
        dns.tick(back, true);
        heartbeat("lb2", back + MS);
        // lb1 stays silent: once w has listened for 3 advert intervals since, it no longer vouches for it.
        says(back + 250 * MS);
        dns.tick(back + 250 * MS, true);
        says(back + 500 * MS);
        dns.tick(back + 500 * MS, true);
        heartbeat("lb2", back + 700 * MS);
        assertEquals(DnsSupervisor.HEARTBEAT + "lb1,lb2", says(back + 749 * MS));
        assertEquals(DnsSupervisor.HEARTBEAT + "lb2", says(back + 750 * MS));
    }
}
