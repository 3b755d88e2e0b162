package dev.tandem.proxy.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.health.ActiveState;
import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.FullBacklogListener;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.RawResponse;
import dev.tandem.testkit.Respond;
import dev.tandem.testkit.TestBackend;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Servers that fail, vanish or hang: what is retried, what is not, and what the client sees. */
class UpstreamFailuresIT {

    private static final String GET = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";

    private TestBackend a;
    private TestBackend b;

    @BeforeEach
    void start() throws InterruptedException {
        a = TestBackend.start("a");
        b = TestBackend.start("b");
    }

    @AfterEach
    void stop() {
        a.close();
        b.close();
    }

    private static String twoServers(String first, String second, String more) {
        return TestProxy.config("""
                servers:
                  - { address: %s }
                  - { address: %s }
                """.formatted(first, second) + more, "");
    }

    private static String refused() throws Exception {
        return "127.0.0.1:" + FullBacklogListener.refusingAddress().getPort();
    }

    @Test
    void aBackendKilledMidTestIsInvisibleToGetClients() throws Exception {
        String yaml = twoServers(a.hostPort(), b.hostPort(), "retries: 1\ntimeouts: { connect: 1s, read: 5s, write: 5s }\n");
        try (TestProxy proxy = TestProxy.start(yaml)) {
            ExecutorService clients = Executors.newFixedThreadPool(4);
            try {
                List<Future<List<Integer>>> results = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    results.add(clients.submit(() -> {
                        List<Integer> statuses = new ArrayList<>();
                        try (RawHttpClient c = proxy.connect()) {
                            for (int i = 0; i < 100; i++) {
                                statuses.add(c.send(GET).read().status());
                            }
                        }
                        return statuses;
                    }));
                }
                await().until(() -> a.requests() >= 40);
                a.kill();
                for (Future<List<Integer>> f : results) {
                    assertEquals(List.of(200), f.get().stream().distinct().toList());
                }
            } finally {
                clients.shutdownNow();
            }
            // Each client had at most one request at a when it died; those were sent again to b.
            int seen = a.requests() + b.requests();
            assertTrue(seen >= 400 && seen <= 404, seen + " requests seen by the servers");
        }
    }

    @Test
    void aGetInFlightOnAServerThatDiesIsRetriedOnTheOther() throws Exception {
        a.behaviour(Respond.hang());
        String yaml = twoServers(a.hostPort(), b.hostPort(), "retries: 1\n");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            c.send(GET);
            await().until(() -> a.requests() == 1);
            a.kill();
            RawResponse r = c.read();
            assertEquals(200, r.status());
            assertEquals("b\n", r.bodyText());
        }
    }

    @Test
    void aPostAlreadySentIsNotRetried() throws Exception {
        a.behaviour(Respond.closeAfterRequest());
        String yaml = twoServers(a.hostPort(), b.hostPort(), "retries: 1\n");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send("POST /order HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc").read();
            assertEquals(502, r.status());
            assertTrue(r.bodyText().contains("502 Bad Gateway"));
        }
        assertEquals(1, a.requests());
        assertEquals(0, b.requests(), "the POST must not reach a second server");
    }

    @Test
    void aRequestWithABodyIsNotRetriedOnceSentEvenWhenIdempotent() throws Exception {
        a.behaviour(Respond.closeOnHead());
        String yaml = twoServers(a.hostPort(), b.hostPort(), "retries: 1\n");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            c.send("PUT /doc HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n");
            // the head reached a, which closed; the body is still on its way
            await().until(() -> a.requests() == 1);
            RawResponse r = c.send("hello").read();
            assertEquals(502, r.status());
        }
        assertEquals(0, b.requests(), "the body was not buffered, so the PUT cannot be sent again");
    }

    @Test
    void connectRefusedIsRetriedOnAnotherServerForAnyMethod() throws Exception {
        String yaml = twoServers(refused(), b.hostPort(), "retries: 1\n");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            for (int i = 0; i < 4; i++) {
                RawResponse r = c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx").read();
                assertEquals(200, r.status());
                assertEquals("b\n", r.bodyText());
            }
        }
    }

    @Test
    void whenEveryServerRefusesTheClientGets502() throws Exception {
        String yaml = twoServers(refused(), refused(), "retries: 2\n");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send(GET).read();
            assertEquals(502, r.status());
            assertEquals("text/html; charset=utf-8", r.header("Content-Type"));
            // the connection survives an error page for a request without a body
            assertEquals(502, c.send(GET).read().status());
        }
    }

    @Test
    void theOnlyServerIsNotRetriedAfterItRefused() throws Exception {
        String dead = refused();
        String yaml = TestProxy.config("servers: [{ address: " + dead + " }]\nretries: 2\n", "");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            for (int i = 1; i <= 3; i++) {
                assertEquals(502, c.send(GET).read().status());
                // at most one connection attempt per request: a retry would count a second failure; the first two
                // requests make one each (the second is the server's first probe, which goes at once)
                long failures = proxy.state(dead).metrics().failures();
                assertTrue(i <= 2 ? failures == i : failures <= i, "request " + i + ": " + failures + " failures");
            }
            assertFalse(proxy.state(dead).health().allowsTraffic(System.nanoTime()), "still taken out passively");
        }
    }

    @Test
    void aDeadUpstreamIsAnswered502WithoutAConnectionAttemptPerRequest() throws Exception {
        String dead = refused();
        String yaml = TestProxy.config("servers: [{ address: " + dead + " }]\npassive: { max_fails: 1, fail_timeout: 1m }\n", "");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            for (int i = 0; i < 100; i++) {
                RawResponse r = c.send(GET).read();
                assertEquals(502, r.status(), "request " + i);
                assertTrue(r.bodyText().contains("502 Bad Gateway"));
            }
            // Probes 1 ms, 2 ms, 4 ms... apart: about 10 in the first second, one a second after that.
            long attempts = proxy.state(dead).metrics().failures();
            assertTrue(attempts >= 2 && attempts <= 40, attempts + " connection attempts for 100 requests");
            // Every 502 without an attempt is counted, so that a dashboard shows the upstream is out.
            double fast = proxy.meters().find("tandem.upstream.no.live.server").tag("upstream", "web").counter().count();
            assertEquals(100 - attempts, fast, 0.0, "502s answered without a connection attempt");
        }
    }

    @Test
    void theOnlyServerRefusingOnceDoesNotTakeTheUpstreamOut() throws Exception {
        InetSocketAddress port = FullBacklogListener.refusingAddress();
        String server = "127.0.0.1:" + port.getPort();
        String yaml = TestProxy.config("servers: [{ address: " + server + " }]\npassive: { max_fails: 1, fail_timeout: 1m }\n", "");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            assertEquals(502, c.send(GET).read().status());
            assertFalse(proxy.state(server).health().allowsTraffic(System.nanoTime()), "taken out passively");
            TestBackend back = TestBackend.builder("back").port(port.getPort()).start();
            try {
                // The next request is the server's first probe: it gets through, and the penalty ends with it.
                for (int i = 0; i < 20; i++) {
                    RawResponse r = c.send(GET).read();
                    assertEquals(200, r.status(), "request " + i);
                    assertEquals("back\n", r.bodyText());
                }
                assertTrue(proxy.state(server).health().allowsTraffic(System.nanoTime()));
            } finally {
                back.close();
            }
        }
    }

    @Test
    void aDeadServerThatComesBackIsUsedAgainLongBeforeFailTimeout() throws Exception {
        InetSocketAddress port = FullBacklogListener.refusingAddress();
        String server = "127.0.0.1:" + port.getPort();
        String yaml = TestProxy.config("servers: [{ address: " + server + " }]\npassive: { max_fails: 1, fail_timeout: 1m }\n", "");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            // Dead long enough for the probes to be a second apart.
            long deadUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
            while (System.nanoTime() - deadUntil < 0) {
                assertEquals(502, c.send(GET).read().status());
            }
            TestBackend back = TestBackend.builder("back").port(port.getPort()).start();
            try {
                long backAt = System.nanoTime();
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                        .until(() -> c.send(GET).read().status() == 200);
                assertTrue(System.nanoTime() - backAt < TimeUnit.SECONDS.toNanos(5));
                for (int i = 0; i < 20; i++) {
                    assertEquals(200, c.send(GET).read().status(), "request " + i + " after the server came back");
                }
            } finally {
                back.close();
            }
        }
    }

    @Test
    void noAvailableServerIs503() throws Exception {
        String yaml = twoServers(a.hostPort(), b.hostPort(), "");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            proxy.state(a.hostPort()).drained(true);
            proxy.state(b.hostPort()).health().active(ActiveState.DOWN);
            assertEquals(503, c.send(GET).read().status());
            proxy.state(a.hostPort()).drained(false);
            assertEquals(200, c.send(GET).read().status());
        }
        assertEquals(0, b.requests());
    }

    @Test
    void aServerThatDoesNotAnswerInTimeIs504() throws Exception {
        a.behaviour(Respond.hang());
        String yaml = TestProxy.config("""
                servers: [{ address: %s }]
                retries: 0
                timeouts: { connect: 1s, read: 300ms, write: 1s }
                """.formatted(a.hostPort()), "");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            long start = System.nanoTime();
            RawResponse r = c.send(GET).read();
            assertEquals(504, r.status());
            assertTrue(System.nanoTime() - start >= 250_000_000L, "not before the read timeout");
        }
    }

    @Test
    void aTimedOutGetIsRetriedElsewhere() throws Exception {
        a.behaviour(Respond.hang());
        String yaml = twoServers(a.hostPort(), b.hostPort(), "retries: 1\ntimeouts: { connect: 1s, read: 300ms, write: 1s }\n");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            assertEquals("b\n", c.send(GET).read().bodyText());
        }
    }

    @Test
    void aServerThatIsSlowButKeepsSendingIsNotTimedOut() throws Exception {
        // The whole answer takes twice the read timeout, each gap a quarter of it (room for a busy machine).
        a.behaviour(Respond.trickle(8, 100, Duration.ofMillis(250)));
        String yaml = TestProxy.config("""
                servers: [{ address: %s }]
                timeouts: { connect: 1s, read: 1s, write: 1s }
                """.formatted(a.hostPort()), "");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send(GET).read();
            assertEquals(200, r.status());
            assertEquals(800, r.bodyLength());
        }
    }

    @Test
    void aConnectTimeoutIs504() throws Exception {
        try (FullBacklogListener blackhole = new FullBacklogListener()) {
            String yaml = TestProxy.config("""
                    servers: [{ address: %s }]
                    retries: 0
                    timeouts: { connect: 300ms, read: 5s, write: 5s }
                    """.formatted(blackhole.hostPort()), "");
            try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
                assertEquals(504, c.send(GET).read().status());
            }
        }
    }

    @Test
    void aConnectTimeoutIsRetriedOnAnotherServer() throws Exception {
        try (FullBacklogListener blackhole = new FullBacklogListener()) {
            String yaml = twoServers(blackhole.hostPort(), b.hostPort(), "retries: 1\ntimeouts: { connect: 300ms, read: 5s, write: 5s }\n");
            try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
                assertEquals("b\n", c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").read().bodyText());
            }
        }
    }

    @Test
    void aFailedServerIsTakenOutForFailTimeout() throws Exception {
        a.behaviour(Respond.resetAfterRequest());
        String yaml = twoServers(a.hostPort(), b.hostPort(), """
                retries: 1
                passive: { max_fails: 1, fail_timeout: 1m }
                """);
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            for (int i = 0; i < 10; i++) {
                assertEquals("b\n", c.send(GET).read().bodyText());
            }
            assertFalse(proxy.state(a.hostPort()).health().allowsTraffic(System.nanoTime()));
        }
        assertEquals(1, a.requests(), "tried once, then left alone");
    }

    @Test
    void anInvalidResponseIs502() throws Exception {
        a.behaviour(Respond.raw("HTTP/1.1 abc\r\nno header line\r\n\r\n", false));
        String yaml = TestProxy.config("servers: [{ address: " + a.hostPort() + " }]\nretries: 0\n", "");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            assertEquals(502, c.send(GET).read().status());
        }
    }

    @Test
    void aResponseCutShortCutsTheClientOff() throws Exception {
        a.behaviour(Respond.raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", true));
        String yaml = TestProxy.config("servers: [{ address: " + a.hostPort() + " }]\n", "");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            RawResponse head = c.send(GET).readHead();
            assertEquals(200, head.status());
            assertEquals("100", head.header("Content-Length"));
            byte[] got = c.readToEnd();
            assertEquals("only this", new String(got), "the client sees a truncated body and the close, never a wrong one");
        }
    }

    @Test
    void aStaleKeptAliveConnectionIsNotAnErrorForGets() throws Exception {
        // The server answers the first request on a connection, then drops the connection when it is reused:
        // the proxy's pooled connection is stale exactly when it sends the next request on it.
        a.behaviour(Respond.closeOnReuse(Respond.name()));
        String yaml = TestProxy.config("""
                servers: [{ address: %s }]
                retries: 0
                passive: { max_fails: 1, fail_timeout: 1m }
                """.formatted(a.hostPort()), "");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            for (int i = 0; i < 5; i++) {
                RawResponse r = c.send(GET).read();
                assertEquals(200, r.status(), "request " + i);
            }
            assertTrue(proxy.state(a.hostPort()).health().allowsTraffic(System.nanoTime()),
                    "a server closing an idle connection is not a failing server");
        }
    }

    @Test
    void anIdleConnectionClosedByTheServerLeavesThePool() throws Exception {
        a.behaviour(x -> {
            x.respond(200, "a\n");
            x.later(Duration.ofMillis(50), x::close);
        });
        String yaml = TestProxy.config("servers: [{ address: " + a.hostPort() + " }]\nretries: 0\n", "");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            assertEquals(200, c.send(GET).read().status());
            await().until(() -> a.openConnections() == 0);
            assertEquals(200, c.send(GET).read().status());
        }
        assertEquals(2, a.connectionsAccepted());
    }
}
