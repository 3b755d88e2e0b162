package dev.tandem.proxy.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.RawResponse;
import dev.tandem.testkit.RecordedRequest;
import dev.tandem.testkit.Respond;
import dev.tandem.testkit.TestBackend;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Either side going away or falling silent at any point of an exchange: the other side is let go of, nothing
 * is left open or held, and the connection counts come back to zero.
 */
class ConnectionLifecycleIT {

    private static final long MIB = 1024 * 1024;

    private TestBackend backend;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.start("a");
        proxy = TestProxy.start(TestProxy.config("""
                servers: [{ address: %s }]
                timeouts: { connect: 2s, read: 10s, write: 10s }
                """.formatted(backend.hostPort()), """
                limits: { max_body_bytes: 1g, client_timeout: 400ms, keepalive_timeout: 400ms }
                """));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    private void awaitNothingOpen() {
        await().until(() -> proxy.server().connections() == 0);
        await().until(() -> backend.openConnections() == 0);
    }

    @Test
    void aClientLeavingMidResponseReleasesTheServerConnection() throws Exception {
        backend.behaviour(Respond.stream(64 * MIB));
        try (RawHttpClient c = proxy.connect()) {
            c.send("GET /big HTTP/1.1\r\nHost: h\r\n\r\n").readHead();
            c.readSome(64 * 1024);
        }
        // a connection in the middle of a response cannot go back to the pool
        awaitNothingOpen();
        assertTrue(backend.bytesSent() < 64 * MIB);
        backend.behaviour(Respond.name());
        try (RawHttpClient c = proxy.connect()) {
            assertEquals(200, c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read().status());
        }
    }

    @Test
    void aClientLeavingMidRequestReleasesTheServerConnection() throws Exception {
        backend.behaviour(Respond.bodySummary());
        try (RawHttpClient c = proxy.connect()) {
            c.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n").sendPattern(0, 1000);
            await().until(() -> backend.lastRequest() != null && backend.lastRequest().bodyBytes() == 1000);
        }
        awaitNothingOpen();
        assertFalse(backend.lastRequest().complete(), "the server never saw the request end");
    }

    @Test
    void aClientLeavingWhileTheServerThinksReleasesTheServerConnection() throws Exception {
        backend.behaviour(Respond.hang());
        try (RawHttpClient c = proxy.connect()) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            await().until(() -> backend.requests() == 1);
        }
        awaitNothingOpen();
    }

    @Test
    void anEarlyAnswerBeforeTheBodyEndsIsPassedOnAndTheConnectionClosed() throws Exception {
        backend.behaviour(Respond.earlyAnswer(403));
        try (RawHttpClient c = proxy.connect()) {
            c.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: " + MIB + "\r\n\r\n").sendPattern(0, 1000);
            RawResponse r = c.read();
            assertEquals(403, r.status());
            assertEquals("close", r.header("Connection"), "the rest of the body is still on its way");
            assertTrue(c.closedByPeer(Duration.ofSeconds(5)));
        }
        awaitNothingOpen();
    }

    @Test
    void aServerClosingMidRequestBodyIs502() throws Exception {
        backend.behaviour(Respond.closeOnHead());
        try (RawHttpClient c = proxy.connect()) {
            c.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n");
            await().until(() -> backend.requests() == 1);
            RawResponse r = c.read();
            assertEquals(502, r.status());
            assertEquals("close", r.header("Connection"), "the body the client is sending has nowhere to go");
        }
        awaitNothingOpen();
    }

    @Test
    void anIdleKeptAliveClientIsClosedAfterTheKeepaliveTimeout() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            assertEquals(200, c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read().status());
            assertTrue(c.closedByPeer(Duration.ofSeconds(5)));
        }
        await().until(() -> proxy.server().connections() == 0);
        // the server connection stays pooled
        assertEquals(1, backend.openConnections());
    }

    @Test
    void aClientThatNeverFinishesItsHeadIsClosed() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n");
            assertTrue(c.closedByPeer(Duration.ofSeconds(5)));
        }
        assertEquals(0, backend.requests());
    }

    @Test
    void aClientThatStopsSendingItsBodyGets408() throws Exception {
        backend.behaviour(Respond.bodySummary());
        try (RawHttpClient c = proxy.connect()) {
            c.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n").sendPattern(0, 100);
            RawResponse r = c.read();
            assertEquals(408, r.status());
            assertTrue(c.closedByPeer(Duration.ofSeconds(5)));
        }
        awaitNothingOpen();
        RecordedRequest req = backend.lastRequest();
        assertFalse(req.complete());
    }

    @Test
    void aPipelinedRequestWaitsWhileAResponseStreams() throws Exception {
        backend.nextRequests(Respond.stream(8 * MIB), Respond.name());
        // The client holds the response up while the test makes sure the proxy stalls (300 ms without a byte from
        // the server, polled): this class's 400 ms client_timeout would cut it on a busy host.
        try (TestProxy patient = TestProxy.start(TestProxy.config("""
                servers: [{ address: %s }]
                timeouts: { connect: 2s, read: 10s, write: 10s }
                """.formatted(backend.hostPort()), """
                limits: { max_body_bytes: 1g, client_timeout: 10s, keepalive_timeout: 10s }
                """));
             RawHttpClient c = patient.connect(64 * 1024)) {
            c.send("GET /first HTTP/1.1\r\nHost: h\r\n\r\nGET /second HTTP/1.1\r\nHost: h\r\n\r\n");
            RawResponse first = c.readHead();
            // while the first response is held up by the client, the second request is not sent on
            awaitStall(backend::bytesSent);
            assertEquals(1, backend.requests());
            c.readBody(first, (b, off, len) -> { });
            assertEquals(8 * MIB, first.bodyLength());
            assertEquals("a\n", c.read().bodyText());
        }
        assertEquals("/second", backend.lastRequest().uri());
    }

    private static void awaitStall(java.util.function.LongSupplier counter) {
        long[] last = {-1};
        long[] since = {0};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
            long v = counter.getAsLong();
            if (v != last[0]) {
                last[0] = v;
                since[0] = System.nanoTime();
                return false;
            }
            return System.nanoTime() - since[0] > 300_000_000L;
        });
    }
}
