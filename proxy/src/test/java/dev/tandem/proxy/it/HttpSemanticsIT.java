package dev.tandem.proxy.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.FullBacklogListener;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.RawResponse;
import dev.tandem.testkit.RecordedRequest;
import dev.tandem.testkit.Respond;
import dev.tandem.testkit.TestBackend;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP/1.1 through the proxy as a client and a server see it: keep-alive, pipelining, HEAD, HTTP/1.0,
 * Connection: close, Expect: 100-continue, and the headers the proxy adds, keeps and removes.
 */
class HttpSemanticsIT {

    private TestBackend backend;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.start("a");
        proxy = TestProxy.start(TestProxy.simpleConfig(backend.hostPort()));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    @Test
    void keepAliveServesManyRequestsOnOneConnection() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            for (int i = 0; i < 5; i++) {
                RawResponse r = c.send("GET /" + i + " HTTP/1.1\r\nHost: h\r\n\r\n").read();
                assertEquals(200, r.status());
                assertNull(r.header("Connection"), "HTTP/1.1 keep-alive is the default and goes unsaid");
            }
        }
        assertEquals(1, backend.connectionsAccepted());
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        backend.nextRequests(
                Respond.after(Duration.ofMillis(150), Respond.status(201)),
                Respond.status(202),
                Respond.stream(300_000),
                Respond.status(204));
        try (RawHttpClient c = proxy.connect()) {
            c.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
                    + "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
                    + "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n"
                    + "POST /4 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
                    + "HEAD /5 HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals(201, c.read().status());
            assertEquals(202, c.read().status());
            RawResponse third = c.read();
            assertEquals(200, third.status());
            assertEquals(300_000, third.bodyLength());
            assertEquals(204, c.read().status());
            RawResponse fifth = c.read(true);
            assertEquals(200, fifth.status());
            assertEquals("2", fifth.header("Content-Length"));
            // and the connection is still good
            assertEquals(200, c.send("GET /6 HTTP/1.1\r\nHost: h\r\n\r\n").read().status());
        }
        assertEquals("/1 /2 /3 /4 /5 /6", String.join(" ", backend.received().stream().map(RecordedRequest::uri).toList()));
        assertEquals("abc", backend.received().get(3).bodyText());
    }

    @Test
    void aRequestHeadLargerThanOneSocketReadGoesThrough() throws Exception {
        String cookie = "c=" + "x".repeat(12_000);
        try (RawHttpClient c = proxy.connect()) {
            for (int i = 0; i < 3; i++) {
                RawResponse r = c.send("GET /big HTTP/1.1\r\nHost: h\r\nCookie: " + cookie + "\r\n\r\n").read();
                assertEquals(200, r.status());
            }
        }
        assertEquals(cookie, backend.lastRequest().header("Cookie"));
    }

    @Test
    void aRequestHeadSentByteByByteGoesThrough() throws Exception {
        byte[] request = "GET /slow HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (RawHttpClient c = proxy.connect()) {
            for (byte b : request) {
                c.send(new byte[] {b});
            }
            assertEquals(200, c.read().status());
        }
    }

    @Test
    void headGetsTheHeadersWithoutABody() throws Exception {
        backend.behaviour(Respond.streamChunked(10_000));
        try (RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n").read(true);
            assertEquals(200, r.status());
            assertNull(r.header("Transfer-Encoding"), "no framing for a body that is not there");
            backend.behaviour(Respond.name());
            RawResponse next = c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read();
            assertEquals("a\n", next.bodyText(), "nothing was left over from the HEAD");
        }
        assertEquals("HEAD", backend.received().get(0).method());
    }

    @Test
    void anHttp10ClientGetsACloseDelimitedBodyWhenTheLengthIsUnknown() throws Exception {
        backend.behaviour(Respond.raw("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", true));
        try (RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send("GET / HTTP/1.0\r\n\r\n").read();
            assertEquals(200, r.status());
            assertEquals("until the end", r.bodyText());
            assertNull(r.header("Transfer-Encoding"), "HTTP/1.0 has no chunked encoding");
            assertTrue(c.closedByPeer(Duration.ofSeconds(5)));
        }
        assertEquals("HTTP/1.1", backend.lastRequest().version(), "upstream always gets HTTP/1.1");
    }

    @Test
    void anHttp11ClientGetsACloseDelimitedUpstreamBodyChunked() throws Exception {
        backend.behaviour(Respond.raw("HTTP/1.0 200 OK\r\n\r\nuntil the end", true));
        try (RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read();
            assertEquals("until the end", r.bodyText());
            assertTrue(r.chunked());
            backend.behaviour(Respond.name());
            assertEquals(200, c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read().status(), "client connection kept");
        }
    }

    @Test
    void anHttp10ClientCanKeepAlive() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            for (int i = 0; i < 3; i++) {
                RawResponse r = c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
                assertEquals(200, r.status());
                assertEquals("keep-alive", r.header("Connection"));
            }
            RawResponse last = c.send("GET / HTTP/1.0\r\n\r\n").read();
            assertEquals("close", last.header("Connection"));
            assertTrue(c.closedByPeer(Duration.ofSeconds(5)));
        }
    }

    @Test
    void connectionCloseFromTheClientIsHonouredAndNotPassedOn() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").read();
            assertEquals(200, r.status());
            assertEquals("close", r.header("Connection"));
            assertTrue(c.closedByPeer(Duration.ofSeconds(5)));
        }
        assertNull(backend.lastRequest().header("Connection"), "the upstream connection is ours to keep");
        await().until(() -> backend.openConnections() == 1);
    }

    @Test
    void connectionCloseFromTheServerEndsOnlyTheUpstreamConnection() throws Exception {
        backend.nextRequests(Respond.withHeaders(Map.of("Connection", "close"), "bye"));
        try (RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read();
            assertEquals("bye", r.bodyText());
            assertNull(r.header("Connection"));
            assertEquals(200, c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read().status());
        }
        assertEquals(2, backend.connectionsAccepted());
    }

    @Test
    void expectContinueGetsAHundredThenTheResponse() throws Exception {
        backend.behaviour(Respond.bodySummary());
        try (RawHttpClient c = proxy.connect()) {
            c.send("PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
            RawResponse interim = c.read();
            assertEquals(100, interim.status());
            c.send("hello");
            RawResponse r = c.read();
            assertEquals(200, r.status());
            assertTrue(r.bodyText().startsWith("bytes=5 "), r.bodyText());
        }
        assertNull(backend.lastRequest().header("Expect"), "the proxy answered the expectation itself");
    }

    @Test
    void expectContinueIsAnsweredAlsoWhenTheFirstServerWasRetried() throws Exception {
        String refused = "127.0.0.1:" + FullBacklogListener.refusingAddress().getPort();
        backend.behaviour(Respond.bodySummary());
        String yaml = TestProxy.config("""
                servers:
                  - { address: %s }
                  - { address: %s }
                retries: 1
                """.formatted(refused, backend.hostPort()), "");
        try (TestProxy p = TestProxy.start(yaml); RawHttpClient c = p.connect()) {
            c.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
            assertEquals(100, c.timeout(Duration.ofSeconds(3)).read().status());
            c.send("hello");
            assertTrue(c.read().bodyText().startsWith("bytes=5 "));
        }
    }

    @Test
    void hopByHopHeadersAreRemovedBothWays() throws Exception {
        backend.behaviour(Respond.raw("HTTP/1.1 200 OK\r\n"
                + "Connection: keep-alive, X-Hop-Resp\r\n"
                + "X-Hop-Resp: secret\r\n"
                + "Keep-Alive: timeout=5\r\n"
                + "Proxy-Connection: keep-alive\r\n"
                + "Upgrade: h2c\r\n"
                + "X-End-To-End: kept\r\n"
                + "Content-Length: 2\r\n\r\nok", false));
        try (RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send("GET / HTTP/1.1\r\nHost: h\r\n"
                    + "Connection: keep-alive, X-Hop-Req\r\n"
                    + "X-Hop-Req: secret\r\n"
                    + "Keep-Alive: timeout=5\r\n"
                    + "Proxy-Connection: keep-alive\r\n"
                    + "TE: trailers\r\n"
                    + "Upgrade: websocket\r\n"
                    + "X-End-To-End: kept\r\n\r\n").read();
            assertEquals("ok", r.bodyText());
            for (String h : new String[] {"Connection", "X-Hop-Resp", "Keep-Alive", "Proxy-Connection", "Upgrade"}) {
                assertNull(r.header(h), h + " reached the client");
            }
            assertEquals("kept", r.header("X-End-To-End"));
        }
        RecordedRequest req = backend.lastRequest();
        for (String h : new String[] {"Connection", "X-Hop-Req", "Keep-Alive", "Proxy-Connection", "TE", "Upgrade"}) {
            assertNull(req.header(h), h + " reached the server");
        }
        assertEquals("kept", req.header("X-End-To-End"));
    }

    @Test
    void theUpstreamSeesWhoTheClientIs() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            c.send("GET /who HTTP/1.1\r\nHost: Shop.Example:8080\r\n"
                    + "X-Forwarded-For: 6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\n"
                    + "X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n\r\n").read();
        }
        RecordedRequest r = backend.lastRequest();
        assertEquals("Shop.Example:8080", r.header("Host"), "Host is preserved");
        assertEquals("127.0.0.1", r.header("X-Forwarded-For"), "an untrusted client's XFF is replaced");
        assertEquals(1, r.headerValues("X-Forwarded-For").size());
        assertEquals("127.0.0.1", r.header("X-Real-IP"));
        assertEquals("http", r.header("X-Forwarded-Proto"));
        assertEquals("Shop.Example:8080", r.header("X-Forwarded-Host"));
        assertEquals("for=127.0.0.1;host=\"Shop.Example:8080\";proto=http", r.header("Forwarded"));
        assertEquals("/who", r.uri());
    }

    @Test
    void aTrustedProxyInFrontIsBelieved() throws Exception {
        String yaml = TestProxy.config("servers: [{ address: " + backend.hostPort() + " }]\n",
                "forwarding:\n  trusted_proxies: [127.0.0.0/8]\n");
        try (TestProxy p = TestProxy.start(yaml); RawHttpClient c = p.connect()) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 198.51.100.4\r\nX-Forwarded-Proto: https\r\n\r\n").read();
        }
        RecordedRequest r = backend.lastRequest();
        assertEquals("198.51.100.4, 127.0.0.1", r.header("X-Forwarded-For"));
        assertEquals("198.51.100.4", r.header("X-Real-IP"));
        assertEquals("https", r.header("X-Forwarded-Proto"));
    }

    @Test
    void anAbsoluteFormTargetGoesUpstreamInOriginFormWithItsAuthorityAsHost() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            assertEquals(200, c.send("GET http://api.example/p?q=1 HTTP/1.1\r\nHost: other.example\r\n\r\n").read().status());
        }
        assertEquals("/p?q=1", backend.lastRequest().uri());
        assertEquals("api.example", backend.lastRequest().header("Host"));
    }

    @Test
    void chunkedRequestBodiesAndTrailersPassThrough() throws Exception {
        backend.behaviour(Respond.echo());
        try (RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n").read();
            assertTrue(r.bodyText().endsWith("\n\nhello world"), r.bodyText());
        }
        assertEquals("chunked", backend.lastRequest().header("Transfer-Encoding"));
        assertFalse(backend.lastRequest().headers().contains("Content-Length"));
    }

    @Test
    void aSiteWithoutAMatchingHostIs404() throws Exception {
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
            assertEquals(404, c.send("GET / HTTP/1.1\r\nHost: unknown.example\r\n\r\n").read().status());
            assertEquals(200, c.send("GET / HTTP/1.1\r\nHost: KNOWN.example.\r\n\r\n").read().status());
        }
    }
}
