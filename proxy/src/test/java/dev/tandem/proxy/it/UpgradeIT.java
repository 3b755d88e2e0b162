package dev.tandem.proxy.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.RawResponse;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Upgrades against a server that switches protocols for anything: only WebSocket and what a site allows is
 * offered to it, a 101 is believed only for what was offered, and the client's bytes after a refused upgrade
 * go through the proxy as HTTP (rules and forwarding headers applied), never to the server raw.
 */
class UpgradeIT {

    private static final String H2C = "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
            + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n";
    /** What a smuggler sends once the connection is (it hopes) the server's: a request with forged headers. */
    private static final String SECOND = "GET /admin HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n";

    private SwitchingBackend backend;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        backend = new SwitchingBackend();
        proxy = TestProxy.start(TestProxy.config("""
                servers: [{ address: %s }]
                timeouts: { connect: 2s, read: 5s, write: 5s }
                retries: 0
                """.formatted(backend.hostPort()), "").replace("""
                    upstream: web
                """, """
                    upstream: web
                    allow_upgrades: [chat]
                    headers: { response: { set: { X-Frame-Options: DENY } } }
                """));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    private double refused(String reason) {
        var c = proxy.meters().find("tandem.upgrades.refused").tag("reason", reason).counters();
        return c.stream().mapToDouble(x -> x.count()).sum();
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** The one request a backend connection carried: its head (the server switched, so nothing else was HTTP). */
    private SwitchingBackend.Connection connection(int i) {
        await().until(() -> backend.connections().size() > i);
        return backend.connections().get(i);
    }

    @Test
    void anH2cUpgradeIsRemovedAndTheBytesAfterItStayHttp() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            // The smuggler's second request comes in the same write, right behind the upgrade.
            c.send(H2C + SECOND);
            RawResponse first = c.read();
            assertEquals(502, first.status(), "a 101 for a request that offered no upgrade is not believed");
            RawResponse second = c.read();
            assertEquals(502, second.status(), "the second request was read as HTTP and proxied on its own");
        }
        SwitchingBackend.Connection one = connection(0);
        await().until(one::closedByPeer);
        String seen = lower(one.text());
        assertTrue(seen.startsWith("get / http/1.1\r\n"), seen);
        assertFalse(seen.contains("upgrade"), "no Upgrade (nor Connection naming it) reached the server: " + seen);
        assertFalse(seen.contains("http2-settings"), seen);
        assertFalse(seen.contains("/admin"), "the server that switched never saw the client's next bytes: " + seen);

        SwitchingBackend.Connection two = connection(1);
        await().until(two::closedByPeer);
        String next = lower(two.text());
        assertTrue(next.startsWith("get /admin http/1.1\r\n"), next);
        assertTrue(next.contains("\r\nx-forwarded-for: 127.0.0.1\r\n"), "forwarding headers rewritten: " + next);
        assertFalse(next.contains("6.6.6.6"), next);
        assertEquals(2, backend.connections().size());
        assertEquals(1.0, refused("protocol"));
        assertEquals(2.0, refused("response"));
    }

    @Test
    void aRequestWithABodyIsNeverUpgraded() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send("POST /up HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                    + "Content-Length: 5\r\n\r\nhello" + SECOND).read();
            assertEquals(502, r.status());
            assertEquals(502, c.read().status());
        }
        String seen = lower(connection(0).text());
        assertTrue(seen.startsWith("post /up http/1.1\r\n"), seen);
        assertFalse(seen.contains("upgrade"), seen);
        assertTrue(lower(connection(1).text()).contains("\r\nx-forwarded-for: 127.0.0.1\r\n"));
        assertEquals(1.0, refused("body"));
    }

    @Test
    void fromH2cAndWebSocketOnlyWebSocketIsOfferedAndA101ForH2cIsRefused() throws Exception {
        backend.answer("h2c");
        try (RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: h2c, websocket\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").read();
            assertEquals(502, r.status());
        }
        SwitchingBackend.Connection one = connection(0);
        String seen = lower(one.text());
        assertTrue(seen.contains("\r\nupgrade: websocket\r\n"), seen);
        assertFalse(seen.contains("h2c"), seen);
        // The client offered h2c too, but the proxy did not: a 101 naming it is refused.
        await().until(one::closedByPeer);
        assertEquals(1.0, refused("protocol"));
        assertEquals(1.0, refused("response"));
    }

    @Test
    void a101ForAnotherProtocolThanOfferedIs502AndTheConnectionIsNotReused() throws Exception {
        backend.answer("h2c");
        try (RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
                    .read();
            assertEquals(502, r.status());
            assertEquals(502, c.send(SECOND).read().status());
        }
        await().until(() -> connection(0).closedByPeer());
        assertEquals(2, backend.connections().size(), "the switched connection went to no pool");
        assertFalse(lower(connection(0).text()).contains("/admin"));
        assertEquals(2.0, refused("response"), "the second request (no upgrade) got a 101 too");
    }

    @Test
    void aProtocolTheSiteAllowsIsTunnelled() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send("GET /chat HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: chat\r\n\r\n")
                    .readHead();
            assertEquals(101, r.status());
            assertEquals("chat", r.header("Upgrade"));
            assertEquals("DENY", r.header("X-Frame-Options"), "the site's response rules are on its 101 too");
            assertEquals("upgrade", lower(r.header("Connection")));
            c.send("raw bytes of chat");
            ByteArrayOutputStream echoed = new ByteArrayOutputStream();
            c.readExactly(17, echoed::write);
            assertEquals("raw bytes of chat", echoed.toString(StandardCharsets.ISO_8859_1));
        }
        assertTrue(connection(0).text().endsWith("\r\n\r\nraw bytes of chat"));
        assertEquals(0.0, refused("protocol") + refused("response"));
    }

    @Test
    void webSocketStillWorksEndToEnd() throws Exception {
        try (WebSocketEchoBackend echo = new WebSocketEchoBackend();
             TestProxy plain = TestProxy.start(TestProxy.simpleConfig(echo.hostPort()))) {
            LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
            WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + plain.address().getPort() + "/ws"), new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                            received.add(data.toString());
                            webSocket.request(1);
                            return null;
                        }
                    }).get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 3; i++) {
                ws.sendText("hello " + i, true).get(5, TimeUnit.SECONDS);
                assertEquals("echo: hello " + i, received.poll(5, TimeUnit.SECONDS));
            }
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).until(() -> echo.openConnections() == 0);
        }
    }
}
