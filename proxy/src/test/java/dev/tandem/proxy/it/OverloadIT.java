package dev.tandem.proxy.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.RawResponse;
import dev.tandem.testkit.Respond;
import dev.tandem.testkit.TestBackend;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A burst larger than the servers can take at once: it waits in the servers' queues instead of failing, and
 * what the queue cannot hold is told at once to come back later.
 */
class OverloadIT {

    private static final String GET = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
    private static final int BURST = 2000;

    @Test
    void aBurstBeyondWhatTheServersAcceptWaitsAndIsAllAnswered() throws Exception {
        // Each server resets every connection beyond 64; the proxy keeps to 48 at once per server.
        try (TestBackend a = TestBackend.builder("a").maxConnections(64)
                        .behaviour(Respond.after(Duration.ofMillis(5), Respond.name())).start();
                TestBackend b = TestBackend.builder("b").maxConnections(64)
                        .behaviour(Respond.after(Duration.ofMillis(5), Respond.name())).start();
                TestProxy proxy = TestProxy.start(TestProxy.config("""
                        servers:
                          - { address: %s }
                          - { address: %s }
                        max_connections: 48
                        queue: { limit: %d, timeout: 60s }
                        """.formatted(a.hostPort(), b.hostPort(), BURST), ""))) {
            BurstClient.Result r = BurstClient.run(proxy.address(), BURST, Duration.ofSeconds(120));
            assertEquals(Map.of(200, BURST), r.statuses());
            assertEquals(0, a.connectionsRefused() + b.connectionsRefused(), "the servers were never overrun");
            assertEquals(0, proxy.state(a.hostPort()).queued() + proxy.state(b.hostPort()).queued());
            await().until(() -> proxy.state(a.hostPort()).inFlight() + proxy.state(b.hostPort()).inFlight() == 0);
        }
    }

    @Test
    void whatTheQueueCannotHoldIsAnswered503WithRetryAfterAtOnce() throws Exception {
        try (TestBackend a = TestBackend.start("a", Respond.hang());
                TestProxy proxy = TestProxy.start(TestProxy.config("""
                        servers:
                          - { address: %s }
                        max_connections: 2
                        queue: { limit: 1, timeout: 60s }
                        """.formatted(a.hostPort()), ""));
                RawHttpClient c1 = proxy.connect(); RawHttpClient c2 = proxy.connect();
                RawHttpClient c3 = proxy.connect(); RawHttpClient c4 = proxy.connect()) {
            c1.send(GET);
            c2.send(GET);
            await().until(() -> a.requests() == 2);
            c3.send(GET);
            await().until(() -> proxy.state(a.hostPort()).queued() == 1);
            c4.timeout(Duration.ofSeconds(30));
            RawResponse r = c4.send(GET).read();
            assertEquals(503, r.status());
            assertEquals("1", r.header("retry-after"));
            assertEquals(2, a.requests(), "the refused request never reached the server");
            assertEquals(1.0, proxy.meters().get("tandem.upstream.queue.refused").tag("reason", "full").counter().count());
            assertEquals(1.0, proxy.meters().get("tandem.upstream.queued").gauge().value());
        }
    }

    @Test
    void aRequestThatWaitsTooLongIsAnswered503WithRetryAfter() throws Exception {
        try (TestBackend a = TestBackend.start("a", Respond.hang());
                TestProxy proxy = TestProxy.start(TestProxy.config("""
                        servers:
                          - { address: %s }
                        max_connections: 1
                        queue: { limit: 10, timeout: 300ms }
                        """.formatted(a.hostPort()), ""));
                RawHttpClient c1 = proxy.connect(); RawHttpClient c2 = proxy.connect()) {
            c1.send(GET);
            await().until(() -> a.requests() == 1);
            c2.timeout(Duration.ofSeconds(30));
            RawResponse r = c2.send(GET).read();
            assertEquals(503, r.status());
            assertEquals("1", r.header("retry-after"));
            assertEquals(0, proxy.state(a.hostPort()).queued());
            assertEquals(1, a.requests());
            assertEquals(1.0, proxy.meters().get("tandem.upstream.queue.refused").tag("reason", "timeout").counter().count());
        }
    }

    @Test
    void aClientThatLeavesTheQueueLeavesNothingBehind() throws Exception {
        try (TestBackend a = TestBackend.start("a", Respond.hang());
                TestProxy proxy = TestProxy.start(TestProxy.config("""
                        servers:
                          - { address: %s }
                        max_connections: 1
                        queue: { limit: 10, timeout: 60s }
                        """.formatted(a.hostPort()), ""));
                RawHttpClient c1 = proxy.connect()) {
            c1.send(GET);
            await().until(() -> a.requests() == 1);
            for (int i = 0; i < 5; i++) {
                try (RawHttpClient waiting = proxy.connect()) {
                    waiting.send(GET);
                    await().until(() -> proxy.state(a.hostPort()).queued() == 1);
                }
                await().until(() -> proxy.state(a.hostPort()).queued() == 0);
            }
            // The slot is still the first request's, and a new request still queues for it and gets it.
            assertEquals(1, proxy.state(a.hostPort()).inFlight());
            a.behaviour(Respond.name());
            try (RawHttpClient next = proxy.connect()) {
                next.send(GET);
                await().until(() -> proxy.state(a.hostPort()).queued() == 1);
                c1.close();
                next.timeout(Duration.ofSeconds(30));
                assertEquals(200, next.read().status());
            }
            assertTrue(a.requests() >= 2);
        }
    }
}
