package dev.tandem.node.wiring;

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
 * Sends a few requests through a throwaway copy of the data plane, in the background, from the node's start.
 *
 * <p>A backup takes a VIP over cold: the first requests through a process that never served one load and
 * compile the whole request path and took 80 to 550 ms in the failover lab, on top of the failover itself.
 * Classes and compiled code are shared by the whole JVM, so a second {@link ProxyServer} with the same sites
 * and upstreams on a loopback listener of its own (its own meters, no access log) warms the path the real one
 * will take, and is closed again. The backends see {@link #ROUNDS} GET requests per site, marked with
 * {@code User-Agent: tandem-warmup}. A failure only means a colder start.
 *
 * <p>It runs beside the node, once the cluster has started, rather than before it: on a busy host the first, cold request
 * alone took seconds, and a warm-up bounded to a few seconds with a time limit per request gave up on it, and on
 * every one after it, in most starts of the failover lab (0 requests answered; the backup's first answer after a
 * failover then took 170 to 400 ms). Each request now has what is left of {@link #LIMIT}, and nothing waits.
 */
final class Warmup implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Warmup.class);
    static final int ROUNDS = 12;
    private static final int MAX_SITES = 8;
    static final Duration LIMIT = Duration.ofSeconds(60);

    private final Snapshot snapshot;
    private final Transport transport;
    private final Thread thread;
    private volatile boolean closed;
    private volatile int answered;
    private ProxyServer warm;

    private Warmup(Snapshot snapshot, Transport transport) {
        this.snapshot = snapshot;
        this.transport = transport;
        this.thread = new Thread(this::run, "tandem-warmup");
        thread.setDaemon(true);
    }

    /** Starts warming up the request path of {@code snapshot}'s sites; {@link #close} ends it early. */
    static Warmup start(Snapshot snapshot, Transport transport) {
        Warmup w = new Warmup(snapshot, transport);
        w.thread.start();
        return w;
    }

    /** Ends the warm-up (its server, and with it the request under way) and waits for it, briefly. */
    @Override
    public void close() {
        closed = true;
        closeServer();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized boolean open(ProxyServer server) {
        if (closed) {
            return false;
        }
        warm = server;
        return true;
    }

    private synchronized void closeServer() {
        if (warm != null) {
            try {
                warm.close(Duration.ofMillis(200));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            warm = null;
        }
    }

    /** How many of the warm-up's requests were answered so far. */
    int answered() {
        return answered;
    }

    /** Whether the warm-up is over (done, failed or closed). */
    boolean done() {
        return !thread.isAlive();
    }

    private void run() {
        Config c = snapshot.config();
        if (c.sites().isEmpty()) {
            return;
        }
        Config copy = new Config(1, List.of(new ListenerConfig("warmup", new HostPort("127.0.0.1", 0), Optional.empty())),
                c.sites(), c.upstreams(), c.forwarding(), c.limits(), Optional.empty(), Optional.empty(), c.admin(),
                c.shutdown(), c.nodeHealth());
        ProxyServer server = new ProxyServer(transport, new SimpleMeterRegistry());
        long start = System.nanoTime();
        long deadline = start + LIMIT.toNanos();
        try {
            if (!open(server)) {
                return;
            }
            server.start(new Snapshot(copy, snapshot.hash(), 0, "warm-up"));
            InetSocketAddress at = server.boundAddress("warmup");
            List<String> hosts = new ArrayList<>();
            for (SiteConfig s : c.sites()) {
                if (hosts.size() < MAX_SITES) {
                    String h = s.hosts().get(0);
                    hosts.add(h.equals("*") ? "warmup.invalid" : h.replace("*.", "warmup."));
                }
            }
            for (int round = 0; round < ROUNDS && !closed && deadline - System.nanoTime() > 0; round++) {
                for (String host : hosts) {
                    if (get(at, host, deadline)) {
                        answered++;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            log.debug("warm-up: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeServer();
        }
        log.info("warm-up: {} request(s) through the request path in {} ms", answered,
                (System.nanoTime() - start) / 1_000_000);
    }

    /** One request, given until {@code deadline} ({@link System#nanoTime()}) to be answered. */
    private static boolean get(InetSocketAddress at, String host, long deadline) {
        int left = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (deadline - System.nanoTime()) / 1_000_000));
        try (Socket s = new Socket()) {
            s.connect(at, left);
            s.setSoTimeout(left);
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
