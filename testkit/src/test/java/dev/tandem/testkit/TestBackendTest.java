package dev.tandem.testkit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The test backend and raw client do what other modules' tests rely on. */
class TestBackendTest {

    private TestBackend backend;

    @BeforeEach
    void start() throws InterruptedException {
        backend = TestBackend.start("a");
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    private RawHttpClient client() throws IOException {
        return RawHttpClient.connect(backend.address());
    }

    @Test
    void answersWithItsNameAndRecordsTheRequest() throws IOException {
        try (RawHttpClient c = client()) {
            RawResponse r = c.send("GET /x?y=1 HTTP/1.1\r\nHost: h\r\nX-Test: 1\r\n\r\n").read();
            assertEquals(200, r.status());
            assertEquals("a\n", r.bodyText());
            assertEquals("a", r.header("x-backend"));
        }
        RecordedRequest req = backend.lastRequest();
        assertEquals("GET", req.method());
        assertEquals("/x?y=1", req.uri());
        assertEquals("1", req.header("X-Test"));
        assertEquals(1, backend.requests());
    }

    @Test
    void answersPipelinedRequestsInOrderWhateverTheirSpeed() throws IOException {
        backend.nextRequests(Respond.after(Duration.ofMillis(100), Respond.status(201)), Respond.status(202));
        try (RawHttpClient c = client()) {
            c.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals(201, c.read().status());
            assertEquals(202, c.read().status());
        }
        assertEquals(0, backend.received().get(0).indexOnConnection());
        assertEquals(1, backend.received().get(1).indexOnConnection());
    }

    @Test
    void echoesAndSummarisesBodies() throws IOException {
        backend.behaviour(Respond.echo());
        try (RawHttpClient c = client()) {
            RawResponse r = c.send("POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello").read();
            assertTrue(r.bodyText().startsWith("POST /e HTTP/1.1\n"), r.bodyText());
            assertTrue(r.bodyText().contains("\ncontent-length: 5\n") || r.bodyText().contains("\nContent-Length: 5\n"));
            assertTrue(r.bodyText().endsWith("\n\nhello"));
        }
        backend.behaviour(Respond.bodySummary());
        try (RawHttpClient c = client()) {
            c.send("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n");
            c.sendPattern(0, 0x1000).send("\r\n0\r\n\r\n");
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(TestData.bytes(4096));
            assertEquals("bytes=4096 crc32=" + crc.getValue() + " pattern=true\n", c.read().bodyText());
        }
    }

    @Test
    void streamsGeneratedBodiesBothWays() throws IOException {
        for (Behaviour b : new Behaviour[] {Respond.stream(3_000_000), Respond.streamChunked(3_000_000)}) {
            backend.behaviour(b);
            try (RawHttpClient c = client()) {
                RawResponse head = c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").readHead();
                TestData.Checker check = new TestData.Checker();
                c.readBody(head, check::update);
                assertEquals(3_000_000, check.received());
                assertTrue(check.intact());
            }
        }
        await().until(() -> backend.bytesSent() >= 6_000_000);
    }

    @Test
    void closesResetsAndHangsWhenTold() throws IOException {
        backend.behaviour(Respond.closeOnHead());
        try (RawHttpClient c = client()) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            assertTrue(c.closedByPeer(Duration.ofSeconds(5)));
        }
        backend.behaviour(Respond.hang());
        try (RawHttpClient c = client()) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            assertFalse(c.closedByPeer(Duration.ofMillis(200)));
        }
        backend.behaviour(Respond.closeOnReuse(Respond.name()));
        try (RawHttpClient c = client()) {
            assertEquals(200, c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read().status());
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            assertTrue(c.closedByPeer(Duration.ofSeconds(5)));
        }
    }

    @Test
    void sendsRawResponses() throws IOException {
        backend.behaviour(Respond.raw("HTTP/1.0 200 OK\r\nX-Odd: 1\r\n\r\nuntil the close", true));
        try (RawHttpClient c = client()) {
            RawResponse r = c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read();
            assertEquals("HTTP/1.0", r.version());
            assertEquals("until the close", r.bodyText());
        }
        backend.behaviour(Respond.withHeaders(Map.of("X-A", "1"), "ok"));
        try (RawHttpClient c = client()) {
            assertEquals("1", c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read().header("X-A"));
        }
    }

    @Test
    void killRefusesNewConnections() throws IOException {
        backend.kill();
        assertThrows(ConnectException.class, () -> new Socket(backend.address().getAddress(), backend.port()).close());
    }

    @Test
    void fullBacklogListenerLetsConnectTimeOut() throws IOException {
        try (FullBacklogListener l = new FullBacklogListener(); Socket s = new Socket()) {
            assertThrows(java.net.SocketTimeoutException.class, () -> s.connect(l.address(), 300));
        }
    }
}
