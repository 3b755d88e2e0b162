package dev.tandem.node.wiring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.transport.Transport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The warm-up against a backend of the test's own: what reaches it, and how long the warm-up waits. */
class WarmupTest {

    /** A keep-alive HTTP/1.1 backend that counts the warm-up's requests and holds its first answer back. */
    private final class Backend implements AutoCloseable {
        final ServerSocket server;
        final AtomicInteger warmups = new AtomicInteger();
        final long firstAnswerDelayMs;
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger requests = new AtomicInteger();

        Backend(long firstAnswerDelayMs) throws IOException {
            this.firstAnswerDelayMs = firstAnswerDelayMs;
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::accept, "warmup-test-backend");
            t.setDaemon(true);
            t.start();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread t = new Thread(() -> serve(s), "warmup-test-connection");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                OutputStream out = s.getOutputStream();
                String line;
                while ((line = in.readLine()) != null) {
                    boolean warmup = false;
                    for (; line != null && !line.isEmpty(); line = in.readLine()) {
                        warmup |= line.equalsIgnoreCase("User-Agent: tandem-warmup");
                    }
                    if (warmup) {
                        warmups.incrementAndGet();
                    }
                    if (requests.getAndIncrement() == 0 && firstAnswerDelayMs > 0) {
                        release.await(firstAnswerDelayMs, TimeUnit.MILLISECONDS);
                    }
                    out.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
            } catch (IOException e) {
                // the proxy closed it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() throws IOException {
            release.countDown();
            server.close();
        }
    }

    private Backend backend;
    private Warmup warmup;

    @AfterEach
    void end() throws IOException {
        if (warmup != null) {
            warmup.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private static Snapshot snapshot(int backendPort) throws Exception {
        return new Snapshot(ConfigLoader.parse("t.yaml", """
                listeners:
                  - {name: http, bind: "127.0.0.1:0"}
                sites:
                  - {hosts: ["*"], upstream: web}
                upstreams:
                  web:
                    servers: [{address: "127.0.0.1:%d"}]
                    timeouts: {connect: 5s, read: 30s, write: 5s}
                """.formatted(backendPort), Path.of("/tmp")), "h", 1, "t.yaml");
    }

    @Test
    void everyRoundReachesTheBackendMarkedAsTheWarmUp() throws Exception {
        backend = new Backend(0);
        warmup = Warmup.start(snapshot(backend.server.getLocalPort()), Transport.nio());
        Awaitility.await().atMost(60, TimeUnit.SECONDS).until(warmup::done);
        assertEquals(Warmup.ROUNDS, backend.warmups.get());
        assertEquals(Warmup.ROUNDS, warmup.answered());
    }

    @Test
    void aFirstAnswerSlowerThanSecondsIsWaitedFor() throws Exception {
        // On a busy host the cold first request took seconds: given 2 s, the warm-up gave up on it.
        backend = new Backend(4000);
        warmup = Warmup.start(snapshot(backend.server.getLocalPort()), Transport.nio());
        assertFalse(warmup.done(), "the node does not wait for it");
        Awaitility.await().atMost(60, TimeUnit.SECONDS).until(warmup::done);
        assertEquals(Warmup.ROUNDS, warmup.answered(), "the slow one and every one after it answered");
    }

    @Test
    void closingEndsAWarmUpUnderWay() throws Exception {
        backend = new Backend(600_000);
        warmup = Warmup.start(snapshot(backend.server.getLocalPort()), Transport.nio());
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> backend.requests.get() > 0);
        assertFalse(warmup.done(), "waiting for its first answer");
        long start = System.nanoTime();
        warmup.close();
        assertTrue(warmup.done(), "ended by the close");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
    }
}
