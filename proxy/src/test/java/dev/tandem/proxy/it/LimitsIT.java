package dev.tandem.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.RawResponse;
import dev.tandem.testkit.Respond;
import dev.tandem.testkit.TestBackend;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile and broken requests: each is refused with the right status, the connection is closed where its
 * framing can no longer be trusted, and nothing reaches the server.
 */
class LimitsIT {

    private TestBackend backend;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.start("a", Respond.bodySummary());
        proxy = TestProxy.start(TestProxy.config("servers: [{ address: " + backend.hostPort() + " }]\n",
                "limits: { max_header_bytes: 2k, max_body_bytes: 1k }\n"));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    /** Sends {@code request}, expects {@code status} and the connection closed, and nothing upstream. */
    private void refusedAndClosed(String request, int status) throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send(request).read();
            assertEquals(status, r.status(), request);
            assertEquals("close", r.header("Connection"), request);
            assertTrue(r.bodyText().contains(Integer.toString(status)), r.bodyText());
            assertTrue(c.closedByPeer(Duration.ofSeconds(5)), "connection left open after: " + request);
        }
        assertEquals(0, backend.requests(), "reached the server: " + request);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GARBAGE\r\n\r\n",
        "GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nNo-Colon\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\u0000b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX\u0001: y\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n: y\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length : 31\r\n\r\nGET /smuggled HTTP/1.1\r\nX: y\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: bad host\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a.example/x\r\n\r\n",
        "GET nothing HTTP/1.1\r\nHost: h\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
    })
    void malformedRequestsAre400(String request) throws Exception {
        refusedAndClosed(request, 400);
    }

    @Test
    void bothContentLengthAndTransferEncodingIs400() throws Exception {
        refusedAndClosed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    }

    @Test
    void conflictingContentLengthsAre400() throws Exception {
        refusedAndClosed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabc", 400);
        refusedAndClosed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 40\r\n\r\nabc", 400);
    }

    @Test
    void aTransferCodingOtherThanChunkedIsRefused() throws Exception {
        refusedAndClosed("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\nxyz", 400);
        refusedAndClosed("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400);
        refusedAndClosed("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
    }

    @Test
    void aMalformedChunkIs400AndNeverReachesTheServerAsAWholeBody() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "3\r\nabc\r\nzz\r\nGET /smuggled HTTP/1.1\r\n\r\n").read();
            assertEquals(400, r.status());
            assertTrue(c.closedByPeer(Duration.ofSeconds(5)));
        }
        // The head and the first chunk may have gone upstream already; the body must not have been ended.
        assertTrue(backend.received().stream().noneMatch(req -> req.complete()), backend.received().toString());
        assertTrue(backend.received().stream().noneMatch(req -> req.uri().equals("/smuggled")));
    }

    @Test
    void connectionCannotHideTheContentLength() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send("POST / HTTP/1.1\r\nHost: h\r\nConnection: Content-Length\r\nContent-Length: 31\r\n\r\n"
                    + "GET /smuggled HTTP/1.1\r\nX: y\r\n\r\n").read();
            assertEquals("bytes=31 ", r.bodyText().substring(0, 9), r.bodyText());
        }
        assertEquals(1, backend.requests(), "the body was read as a body, not as a second request");
    }

    @Test
    void headersOverTheLimitAre431() throws Exception {
        refusedAndClosed("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + "x".repeat(3000) + "\r\n\r\n", 431);
        StringBuilder many = new StringBuilder("GET / HTTP/1.1\r\nHost: h\r\n");
        for (int i = 0; i < 100; i++) {
            many.append("X-H").append(i).append(": ").append("v".repeat(20)).append("\r\n");
        }
        refusedAndClosed(many + "\r\n", 431);
    }

    @Test
    void aDeclaredBodyOverTheLimitIs413BeforeItIsRead() throws Exception {
        refusedAndClosed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1025\r\n\r\n", 413);
    }

    @Test
    void aDeclaredBodyOverTheLimitGetsNo100Continue() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n").read();
            assertEquals(413, r.status());
        }
    }

    @Test
    void aChunkedBodyOverTheLimitIs413() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            c.send("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
            RawResponse r;
            c.send("400\r\n").sendPattern(0, 1024).send("\r\n");
            c.send("400\r\n").sendPattern(1024, 1024).send("\r\n");
            r = c.read();
            assertEquals(413, r.status());
            assertTrue(c.closedByPeer(Duration.ofSeconds(5)));
        }
        assertTrue(backend.received().stream().noneMatch(req -> req.complete()), "the server never got a whole body");
    }

    @Test
    void aBodyAtTheLimitPasses() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1024\r\n\r\n").sendPattern(0, 1024);
            assertTrue(c.read().bodyText().startsWith("bytes=1024 "));
        }
    }

    @Test
    void unsupportedVersionsAndMethods() throws Exception {
        refusedAndClosed("GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505);
        refusedAndClosed("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", 405);
    }

    @Test
    void anErrorForARequestWithoutABodyKeepsTheConnection() throws Exception {
        String yaml = """
                workers: 1
                listeners:
                  - name: http
                    bind: 127.0.0.1:0
                sites:
                  - hosts: [known.example]
                    upstream: web
                upstreams:
                  web:
                    servers: [{ address: %s }]
                """.formatted(backend.hostPort());
        try (TestProxy p = TestProxy.start(yaml); RawHttpClient c = p.connect()) {
            RawResponse r = c.send("GET / HTTP/1.1\r\nHost: nowhere.example\r\n\r\n").read();
            assertEquals(404, r.status());
            assertEquals(null, r.header("Connection"));
            assertEquals(200, c.send("GET / HTTP/1.1\r\nHost: known.example\r\n\r\n").read().status());
        }
    }
}
