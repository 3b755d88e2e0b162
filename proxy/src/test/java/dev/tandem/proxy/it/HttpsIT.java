package dev.tandem.proxy.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.conf.Config;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.ProxyServer;
import dev.tandem.proxy.TestProxy;
import dev.tandem.proxy.tls.ListenerTls;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.RawResponse;
import dev.tandem.testkit.RecordedRequest;
import dev.tandem.testkit.Respond;
import dev.tandem.testkit.TestBackend;
import dev.tandem.testkit.TestCertificates;
import dev.tandem.testkit.TestCertificates.Issued;
import io.micrometer.core.instrument.Counter;
import io.netty.handler.ssl.OpenSsl;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTPS front door over real TLS on loopback, with certificates from a CA the test makes: SNI, ALPN to
 * HTTP/2 and HTTP/1.1 through the JDK's HttpClient, many streams on one connection, session resumption, HSTS
 * and the redirect from plain http, and certificates replaced on disk while the proxy runs.
 */
@Timeout(60)
@SuppressWarnings("try") // TestProxy.close() may throw InterruptedException; try-with-resources is still what closes it
class HttpsIT {

    private static final TestCertificates CA = TestCertificates.authority("Tandem Test CA");

    @TempDir
    Path certs;
    private TestBackend backend;
    private TestProxy proxy;
    private Issued first;

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.start("a", Respond.echo());
        first = CA.issue("default", "localhost", "a.test");
        first.write(certs.resolve("a.pem"), certs.resolve("a.key"));
        CA.issue(TestCertificates.KeyType.RSA, java.time.Instant.now().minusSeconds(3600),
                java.time.Instant.now().plus(Duration.ofDays(3)), "b", "b.test", "www.b.test")
                .write(certs.resolve("b.pem"), certs.resolve("b.key"), TestCertificates.KeyFormat.TRADITIONAL);
        CA.issue("wildcard", "*.w.test").write(certs.resolve("w.pem"), certs.resolve("w.key"),
                TestCertificates.KeyFormat.TRADITIONAL);
        proxy = TestProxy.start("""
                workers: 1
                listeners:
                  - name: http
                    bind: 127.0.0.1:0
                    redirect_https: true
                  - name: alt
                    bind: 127.0.0.1:0
                    redirect_https: {port: 8443}
                  - name: https
                    bind: 127.0.0.1:0
                    hsts: {max_age: 365d, include_subdomains: true}
                    tls:
                      certificates:
                        - {cert: %1$s/a.pem, key: %1$s/a.key}
                        - {cert: %1$s/b.pem, key: %1$s/b.key}
                        - {cert: %1$s/w.pem, key: %1$s/w.key}
                sites:
                  - hosts: ["*"]
                    upstream: web
                upstreams:
                  web:
                    servers: [{ address: %2$s }]
                    timeouts: { connect: 2s, read: 30s, write: 30s }
                """.formatted(certs, backend.hostPort()));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    private InetSocketAddress https() {
        return proxy.server().boundAddress("https");
    }

    /** The leaf certificate a handshake with SNI {@code name} (null: none) gets, over a fresh context. */
    private X509Certificate certificateFor(String name) throws Exception {
        try (SSLSocket s = (SSLSocket) CA.clientContext().getSocketFactory().createSocket(
                https().getAddress(), https().getPort())) {
            SSLParameters p = s.getSSLParameters();
            if (name != null) {
                p.setServerNames(List.of(new SNIHostName(name)));
            }
            s.setSSLParameters(p);
            s.startHandshake();
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    private static String cn(X509Certificate c) {
        return c.getSubjectX500Principal().getName();
    }

    @Test
    void sniPicksTheCertificateByItsNamesAndWildcardsCoverOneLabel() throws Exception {
        assertEquals("CN=b", cn(certificateFor("b.test")));
        assertEquals("CN=b", cn(certificateFor("WWW.B.test")));
        assertEquals("CN=wildcard", cn(certificateFor("x.w.test")));
        assertEquals("CN=default", cn(certificateFor("a.test")));
        // One label only, no SNI, or a name nobody has: the first certificate.
        assertEquals("CN=default", cn(certificateFor("x.y.w.test")));
        assertEquals("CN=default", cn(certificateFor("w.test")));
        assertEquals("CN=default", cn(certificateFor("unknown.test")));
        assertEquals("CN=default", cn(certificateFor(null)));
    }

    @Test
    void onlyTls12And13() throws Exception {
        for (String old : new String[] {"TLSv1.1", "TLSv1"}) {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, null, null);
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(https().getAddress(), https().getPort())) {
                s.setEnabledProtocols(new String[] {old});
                assertThrowsIo(s);
            }
        }
        try (SSLSocket s = (SSLSocket) CA.clientContext().getSocketFactory().createSocket(
                https().getAddress(), https().getPort())) {
            s.setEnabledProtocols(new String[] {"TLSv1.2"});
            s.startHandshake();
            assertEquals("TLSv1.2", s.getSession().getProtocol());
            assertTrue(s.getSession().getCipherSuite().startsWith("TLS_ECDHE_"), s.getSession().getCipherSuite());
        }
    }

    private static void assertThrowsIo(SSLSocket s) {
        try {
            s.startHandshake();
            throw new AssertionError("handshake with " + s.getEnabledProtocols()[0] + " succeeded");
        } catch (IOException expected) {
            // Refused, as it should be.
        }
    }

    private HttpClient client(HttpClient.Version version) {
        return HttpClient.newBuilder().version(version).sslContext(CA.clientContext())
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    private URI uri(String path) {
        return URI.create("https://localhost:" + https().getPort() + path);
    }

    @Test
    void http2ReachesTheBackendAsHttp11WithForwardingHeaders() throws Exception {
        HttpResponse<String> r = client(HttpClient.Version.HTTP_2).send(
                HttpRequest.newBuilder(uri("/echo?q=1")).header("cookie", "a=1").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, r.version());
        assertEquals(200, r.statusCode());
        assertEquals("max-age=31536000; includeSubDomains", r.headers().firstValue("strict-transport-security").orElse(null));
        RecordedRequest seen = backend.lastRequest();
        assertEquals("GET", seen.method());
        assertEquals("/echo?q=1", seen.uri());
        assertEquals("HTTP/1.1", seen.version());
        assertEquals("localhost:" + https().getPort(), seen.header("host"));
        assertEquals(1, seen.headerValues("host").size());
        assertEquals("https", seen.header("x-forwarded-proto"));
        assertEquals("127.0.0.1", seen.header("x-forwarded-for"));
        assertEquals("a=1", seen.header("cookie"));
        seen.headers().forEach(h -> assertFalse(h.getKey().toLowerCase().startsWith("x-http2"), h.getKey()));
    }

    @Test
    void http2RequestBodiesGoUpstream() throws Exception {
        backend.behaviour(Respond.bodySummary());
        byte[] body = new byte[300_000];
        new java.util.Random(1).nextBytes(body);
        HttpResponse<String> r = client(HttpClient.Version.HTTP_2).send(
                HttpRequest.newBuilder(uri("/upload")).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(body);
        assertTrue(r.body().startsWith("bytes=300000 crc32=" + crc.getValue()), r.body());
    }

    @Test
    void http11OverTls() throws Exception {
        HttpResponse<String> r = client(HttpClient.Version.HTTP_1_1).send(HttpRequest.newBuilder(uri("/one")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_1_1, r.version());
        assertEquals(200, r.statusCode());
        assertEquals("https", backend.lastRequest().header("x-forwarded-proto"));
        assertTrue(r.headers().firstValue("strict-transport-security").isPresent());
    }

    @Test
    void anIdleHttp11ConnectionOverTlsSleepsAndServesItsNextRequest() throws Exception {
        HttpClient client = client(HttpClient.Version.HTTP_1_1);
        assertEquals(200, client.send(HttpRequest.newBuilder(uri("/one")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        // The TLS handler stays; the HTTP handlers leave until the next request.
        await().atMost(Duration.ofSeconds(30)).until(() -> proxy.server().dormantConnections() == 1);
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/two")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals("/two", backend.lastRequest().uri());
        assertEquals(1, proxy.server().connections(), "the same connection, kept alive");
    }

    @Test
    void aHundredConcurrentStreamsOnOneConnection() throws Exception {
        backend.behaviour(Respond.after(Duration.ofMillis(200), Respond.name()));
        HttpClient client = client(HttpClient.Version.HTTP_2);
        // One request first, so that the others find the HTTP/2 connection made and share it.
        assertEquals(200, client.send(HttpRequest.newBuilder(uri("/warm")).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode());
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            all.add(client.sendAsync(HttpRequest.newBuilder(uri("/s/" + i)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> f : all) {
            HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode());
            assertEquals(HttpClient.Version.HTTP_2, r.version());
            assertEquals("a\n", r.body());
        }
        assertEquals(101, backend.requests());
        // All of them on one client connection (the backend answers slowly, so they were in flight together).
        assertEquals(1, proxy.server().connections());
    }

    @Test
    void sessionsResume() throws Exception {
        ListenerTls tls = proxy.server().tls("https");
        assumeTrue(OpenSsl.isAvailable(), "resumption is counted by OpenSSL only");
        for (String protocol : new String[] {"TLSv1.3", "TLSv1.2"}) {
            SSLContext ctx = CA.clientContext();
            long before = tls.resumedHandshakes();
            handshake(ctx, protocol);
            assertEquals(before, tls.resumedHandshakes(), protocol + ": a new client has nothing to resume");
            handshake(ctx, protocol);
            assertTrue(tls.resumedHandshakes() > before, protocol + ": the same client again resumes");
        }
    }

    private void handshake(SSLContext ctx, String protocol) throws IOException {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("localhost", https().getPort())) {
            s.setEnabledProtocols(new String[] {protocol});
            s.startHandshake();
            // TLS 1.3 tickets arrive after the handshake: read the response, by when the server has sent them.
            s.getOutputStream().write("GET / HTTP/1.1\r\nhost: a.test\r\nconnection: close\r\n\r\n".getBytes());
            s.getInputStream().readAllBytes();
        }
    }

    @Test
    void plainHttpIsRedirectedToHttpsWithPathAndQuery() throws Exception {
        try (RawHttpClient c = RawHttpClient.connect(proxy.server().boundAddress("http"))) {
            RawResponse r = c.send("GET /a/b?c=d&e HTTP/1.1\r\nHost: Example.test:8080\r\n\r\n").read();
            assertEquals(301, r.status());
            assertEquals("https://Example.test/a/b?c=d&e", r.header("location"));
            assertNull(r.header("strict-transport-security"));
            // Kept alive: the next request on the connection is answered too.
            RawResponse again = c.send("HEAD / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n").read(true);
            assertEquals("https://[::1]/", again.header("location"));
        }
        try (RawHttpClient c = RawHttpClient.connect(proxy.server().boundAddress("alt"))) {
            RawResponse r = c.send("GET /x HTTP/1.1\r\nHost: example.test\r\n\r\n").read();
            assertEquals("https://example.test:8443/x", r.header("location"));
        }
        assertEquals(0, backend.requests());
    }

    @Test
    void aCertificateReplacedOnDiskServesTheNextConnection() throws Exception {
        Issued second = CA.issue("default-2", "localhost", "a.test");
        second.write(certs.resolve("a.pem"), certs.resolve("a.key"));
        await().atMost(Duration.ofSeconds(10)).until(() -> cn(certificateFor("a.test")).equals("CN=default-2"));
        assertEquals(1.0, reloads("ok"));

        // A key that does not belong to the certificate: refused, the one in force stays.
        Issued third = CA.issue("default-3", "localhost", "a.test");
        TestCertificates.writeAtomically(certs.resolve("a.pem"), TestCertificates.pem(third.certificate()));
        await().atMost(Duration.ofSeconds(10)).until(() -> reloads("error") == 1.0);
        assertEquals("CN=default-2", cn(certificateFor("a.test")));
        // Not PEM at all: the same.
        Files.writeString(certs.resolve("a.key"), "garbage\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> reloads("error") == 2.0);
        assertEquals("CN=default-2", cn(certificateFor("a.test")));
        // Put right: served.
        third.write(certs.resolve("a.pem"), certs.resolve("a.key"));
        await().atMost(Duration.ofSeconds(10)).until(() -> cn(certificateFor("a.test")).equals("CN=default-3"));
        assertTrue(proxy.meters().find("tandem.tls.certificate.expiry.timestamp.seconds").tag("name", "localhost").gauge()
                .value() > System.currentTimeMillis() / 1000.0);
        // The first name of the same timestamp stays, for the alerts written against it.
        assertEquals(proxy.meters().find("tandem.tls.certificate.expiry.timestamp.seconds").tag("name", "localhost").gauge().value(),
                proxy.meters().find("tandem.tls.certificate.expiry.seconds").tag("name", "localhost").gauge().value());
    }

    private double reloads(String result) {
        Counter c = proxy.meters().find("tandem.tls.certificate.reloads").tag("listener", "https").tag("result", result)
                .counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void webSocketEchoOverWssAndWs() throws Exception {
        try (WebSocketEchoBackend echo = new WebSocketEchoBackend();
             TestProxy plain = TestProxy.start(TestProxy.simpleConfig(echo.hostPort()));
             TestProxy secure = TestProxy.start(tlsConfigFor(echo.hostPort()))) {
            int tlsPort = secure.server().boundAddress("https").getPort();
            for (URI uri : List.of(URI.create("wss://localhost:" + tlsPort + "/ws"),
                    URI.create("ws://127.0.0.1:" + plain.address().getPort() + "/ws"))) {
                LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
                WebSocket ws = HttpClient.newBuilder().sslContext(CA.clientContext()).build().newWebSocketBuilder()
                        .buildAsync(uri, new WebSocket.Listener() {
                            @Override
                            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                                received.add(data.toString());
                                webSocket.request(1);
                                return null;
                            }
                        }).get(10, TimeUnit.SECONDS);
                for (int i = 0; i < 3; i++) {
                    ws.sendText("hello " + i, true).get(5, TimeUnit.SECONDS);
                    assertEquals("echo: hello " + i, received.poll(5, TimeUnit.SECONDS), uri.toString());
                }
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(10)).until(() -> echo.openConnections() == 0);
            }
        }
    }

    private String tlsConfigFor(String upstream) {
        return """
                workers: 1
                listeners:
                  - name: https
                    bind: 127.0.0.1:0
                    tls:
                      certificates:
                        - {cert: %1$s/a.pem, key: %1$s/a.key}
                sites:
                  - hosts: ["*"]
                    upstream: web
                upstreams:
                  web:
                    servers: [{ address: %2$s }]
                """.formatted(certs, upstream);
    }

    @Test
    void http2LargeDownloadToASlowReaderIsHeldBack() throws Exception {
        long total = 128L << 20;
        backend.behaviour(Respond.stream(total));
        HttpResponse<InputStream> r = client(HttpClient.Version.HTTP_2).send(HttpRequest.newBuilder(uri("/big")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(HttpClient.Version.HTTP_2, r.version());
        try (InputStream in = r.body()) {
            byte[] buf = new byte[64 * 1024];
            long read = 0;
            while (read < (1 << 20)) {
                int n = in.read(buf);
                assertTrue(n >= 0, "the body ended after " + read + " bytes");
                read += n;
            }
            // The client stops reading: what the backend manages to send is bounded by the HTTP/2 windows
            // (the JDK client's is 16 MiB) and the buffers on the way, far from the whole body.
            long[] last = {-1};
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() -> {
                long now = backend.bytesSent();
                boolean still = now == last[0];
                last[0] = now;
                return still;
            });
            assertTrue(backend.bytesSent() < 48L << 20, "backend sent " + backend.bytesSent());
            int n;
            while ((n = in.read(buf)) >= 0) {
                read += n;
            }
            assertEquals(total, read);
        }
    }

    @Test
    void aStopSendsGoawayAndLetsTheStreamsUnderWayFinish() throws Exception {
        backend.behaviour(Respond.after(Duration.ofMillis(800), Respond.name()));
        try (NettyH2Client client = new NettyH2Client(https(), CA.caCertificate())) {
            CompletableFuture<NettyH2Client.Response> slow = client.get("/slow");
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.requests() == 1);
            CompletableFuture<Boolean> stopped = CompletableFuture.supplyAsync(() -> {
                try {
                    return proxy.server().close(Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            // Netty's client numbers its first stream 3 (1 is kept for an h2c upgrade).
            assertEquals(3L, client.goAway.get(10, TimeUnit.SECONDS), "GOAWAY names the stream under way as the last");
            assertFalse(slow.isDone(), "GOAWAY came while the stream was under way");
            NettyH2Client.Response r = slow.get(10, TimeUnit.SECONDS);
            assertEquals(200, r.status());
            assertEquals("a\n", r.body());
            assertTrue(stopped.get(10, TimeUnit.SECONDS), "every connection finished within the drain timeout");
        }
    }

    @Test
    void aStopEndsTheTicketRotationAndARestartRotatesOnItsOwnLoops() throws Exception {
        ProxyServer server = proxy.server();
        assertTrue(server.ticketsRotating(), "tickets rotate from the first TLS listener on");
        Config config = server.config().config();
        assertTrue(server.close(Duration.ofSeconds(1)));
        assertFalse(server.ticketsRotating(), "a stop cancels the rotation with the loops it ran on");
        assertEquals(0, server.dormantConnections(), "a stopped server has no loop to ask and no connection");
        server.start(new Snapshot(config, "test", 2, "test.yaml"));
        assertTrue(server.ticketsRotating(), "the next start rotates the tickets on its own loops");
        assertEquals(cn(first.certificate()), cn(certificateFor("localhost")), "and serves TLS again");
    }

    @Test
    void anIdleTunnelIsClosed() throws Exception {
        try (WebSocketEchoBackend echo = new WebSocketEchoBackend();
             TestProxy plain = TestProxy.start(TestProxy.simpleConfig(echo.hostPort())
                     + "limits: { tunnel_idle_timeout: 500ms }\n")) {
            CompletableFuture<String> ended = new CompletableFuture<>();
            WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + plain.address().getPort() + "/ws"), new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                            ended.complete("close");
                            return null;
                        }

                        @Override
                        public void onError(WebSocket webSocket, Throwable error) {
                            ended.complete("error");
                        }
                    }).get(10, TimeUnit.SECONDS);
            // Not openConnections(): on a busy machine the 500ms may be over before this line runs.
            assertEquals(1, echo.acceptedConnections());
            ended.get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> echo.openConnections() == 0);
            ws.abort();
        }
    }

    @Test
    void staticFilesOverHttp2AndHttp11WithTls() throws Exception {
        Path www = Files.createDirectories(certs.resolve("www"));
        byte[] big = new byte[300_000];
        new java.util.Random(7).nextBytes(big);
        Files.write(www.resolve("big.bin"), big);
        Files.writeString(www.resolve("small.txt"), "small file\n");
        try (TestProxy files = TestProxy.start("""
                workers: 1
                listeners:
                  - name: https
                    bind: 127.0.0.1:0
                    hsts: true
                    tls:
                      certificates:
                        - {cert: %1$s/a.pem, key: %1$s/a.key}
                sites:
                  - hosts: ["*"]
                    static: {root: %1$s/www, fallback: false}
                """.formatted(certs))) {
            int port = files.server().boundAddress("https").getPort();
            for (HttpClient.Version version : List.of(HttpClient.Version.HTTP_2, HttpClient.Version.HTTP_1_1)) {
                HttpClient client = client(version);
                HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port
                        + "/big.bin")).build(), HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, r.statusCode());
                assertEquals(version, r.version());
                assertTrue(java.util.Arrays.equals(big, r.body()), version + ": the file as it is on disk");
                assertTrue(r.headers().firstValue("strict-transport-security").isPresent());
                HttpResponse<String> small = client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port
                        + "/small.txt")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals("small file\n", small.body());
            }
        }
    }
}
