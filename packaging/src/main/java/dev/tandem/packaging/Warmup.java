package dev.tandem.packaging;

import dev.tandem.conf.Config;
import dev.tandem.conf.HostPort;
import dev.tandem.conf.ListenerConfig;
import dev.tandem.conf.SiteConfig;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.ProxyServer;
import dev.tandem.proxy.transport.Transport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a few requests through a throwaway copy of the data plane before the node may take a VIP.
 *
 * <p>A backup takes a VIP over cold: the first requests through a process that never served one load and
 * compile the whole request path and took 80 to 550 ms in the failover lab, on top of the failover itself.
 * Classes and compiled code are shared by the whole JVM, so a second {@link ProxyServer} with the same sites
 * and upstreams on a loopback listener of its own (its own meters, no access log) warms the path the real one
 * will take, and is closed again. The backends see {@link #ROUNDS} GET requests per site, marked with
 * {@code User-Agent: tandem-warmup}. Bounded in time; a failure only means a colder start.
 */
final class Warmup {

    private static final Logger log = LoggerFactory.getLogger(Warmup.class);
    static final int ROUNDS = 12;
    private static final int MAX_SITES = 8;
    private static final Duration LIMIT = Duration.ofSeconds(5);

    private Warmup() {
    }

    static void run(Snapshot snapshot, Transport transport) {
        Config c = snapshot.config();
        if (c.sites().isEmpty()) {
            return;
        }
        Config copy = new Config(1, List.of(new ListenerConfig("warmup", new HostPort("127.0.0.1", 0), Optional.empty())),
                c.sites(), c.upstreams(), c.forwarding(), c.limits(), Optional.empty(), Optional.empty(), c.admin(),
                c.shutdown(), c.nodeHealth());
        ProxyServer warm = new ProxyServer(transport, new SimpleMeterRegistry());
        long start = System.nanoTime();
        int answered = 0;
        try {
            warm.start(new Snapshot(copy, snapshot.hash(), 0, "warm-up"));
            InetSocketAddress at = warm.boundAddress("warmup");
            List<String> hosts = new ArrayList<>();
            for (SiteConfig s : c.sites()) {
                if (hosts.size() < MAX_SITES) {
                    String h = s.hosts().get(0);
                    hosts.add(h.equals("*") ? "warmup.invalid" : h.replace("*.", "warmup."));
                }
            }
            for (int round = 0; round < ROUNDS && System.nanoTime() - start < LIMIT.toNanos(); round++) {
                for (String host : hosts) {
                    if (get(at, host)) {
                        answered++;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            log.debug("warm-up: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                warm.close(Duration.ofMillis(200));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        log.info("warm-up: {} request(s) through the request path in {} ms", answered,
                (System.nanoTime() - start) / 1_000_000);
    }

    private static boolean get(InetSocketAddress at, String host) {
        try (Socket s = new Socket()) {
            s.connect(at, 1000);
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: tandem-warmup\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // The status line is enough: the answer was made, which is the path to warm.
            InputStream in = s.getInputStream();
            return in.read(new byte[8192]) > 0;
        } catch (IOException e) {
            return false;
        }
    }
}
