package dev.tandem.proxy.statics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.awaitility.Awaitility.await;

import dev.tandem.proxy.transport.Transport;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** How {@code match}, {@code fallback}, {@code hidden} and a site without upstream change who answers. */
class StaticModesTest {

    @TempDir
    Path dir;
    Path root;

    @BeforeEach
    void files() throws Exception {
        root = Files.createDirectories(dir.resolve("www"));
        Files.writeString(root.resolve("logo.png"), "PNG");
        Files.writeString(root.resolve("page.html"), "<p>static page</p>");
        Files.createDirectories(root.resolve(".well-known"));
        Files.writeString(root.resolve(".well-known/security.txt"), "Contact: x");
    }

    @Test
    void withoutFallbackAMissIsA404AndTheBackendIsNotAsked() throws Exception {
        try (StaticFixture f = StaticFixture.start(root, "fallback: false", true)) {
            assertEquals("PNG", f.get("/logo.png").text());
            assertEquals(404, f.get("/missing.png").status());
            assertEquals(404, f.get("/a%2Fb.png").status(), "an encoded separator is not looked up, and not passed on");
            assertEquals(400, f.get("/%zz.png").status());
            assertEquals("backend POST /missing.png", postText(f, "/missing.png"), "other methods still go upstream");
            assertEquals(List.of("POST /missing.png"), f.backendRequests);
        }
    }

    @Test
    void onlyMatchingPathsTryTheDisk() throws Exception {
        try (StaticFixture f = StaticFixture.start(root, "match: '\\.(png|css|js)$'", true)) {
            assertEquals("PNG", f.get("/logo.png").text());
            assertEquals("PNG", f.get("/logo.png?v=2").text(), "the query is not part of the match");
            assertEquals("backend GET /page.html", f.get("/page.html").text(), "exists, but does not match");
            assertEquals("backend GET /missing.png", f.get("/missing.png").text());
            assertEquals("backend GET /a/../page.html", f.get("/a/../page.html").text(),
                    "a path that does not match is passed on untouched");
        }
    }

    @Test
    void aStaticOnlySite() throws Exception {
        try (StaticFixture f = StaticFixture.start(root, "fallback: false", false)) {
            assertEquals("<p>static page</p>", f.get("/page.html").text());
            assertEquals(404, f.get("/nope").status());
            assertEquals(404, postStatus(f, "/page.html"), "nowhere to send a POST");
            assertTrue(f.backendRequests.isEmpty());
        }
    }

    @Test
    void hiddenFilesOnlyWhenAllowed() throws Exception {
        try (StaticFixture f = StaticFixture.start(root, "fallback: false", false)) {
            assertEquals(404, f.get("/.well-known/security.txt").status());
        }
        try (StaticFixture f = StaticFixture.start(root, "fallback: false\nhidden: true", false)) {
            assertEquals("Contact: x", f.get("/.well-known/security.txt").text());
        }
        try (StaticFixture f = StaticFixture.start(root, "", true)) {
            assertEquals("backend GET /.well-known/security.txt", f.get("/.well-known/security.txt").text(),
                    "with fallback, the application answers for hidden paths");
        }
    }

    static Stream<Transport> transports() {
        List<Transport> t = new ArrayList<>();
        if (IoUring.isAvailable()) {
            t.add(Transport.ioUring());
        }
        if (Epoll.isAvailable()) {
            t.add(Transport.epoll());
        }
        t.add(Transport.nio());
        return t.stream();
    }

    /** Responses written at once (cache hits, error pages) must not stall the next request on any transport. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void keepAliveAfterImmediateResponses(Transport transport) throws Exception {
        try (StaticFixture f = StaticFixture.start(root, "fallback: false", false, transport);
             RawHttp c = new RawHttp(f.address())) {
            for (int i = 0; i < 3; i++) {
                c.send(RawHttp.request("GET", "/page.html"));
                assertEquals("<p>static page</p>", c.read(false).text());
                c.send(RawHttp.request("GET", "/nope"));
                assertEquals(404, c.read(false).status());
                c.send(RawHttp.request("GET", "/%c0%ae"));
                assertEquals(400, c.read(false).status());
                c.send(RawHttp.request("GET", "/page.html") + RawHttp.request("HEAD", "/logo.png")
                        + RawHttp.request("GET", "/logo.png"));
                assertEquals("<p>static page</p>", c.read(false).text());
                assertEquals("3", c.read(true).header("Content-Length"));
                assertEquals("PNG", c.read(false).text());
            }
        }
    }

    private void bigFile(long size) throws Exception {
        try (RandomAccessFile big = new RandomAccessFile(root.resolve("big.bin").toFile(), "rw")) {
            big.setLength(size);
        }
    }

    /** A client that stops reading a large body is cut once client_timeout passes without progress. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void aClientThatStopsReadingIsCut(Transport transport) throws Exception {
        bigFile(256L << 20);
        try (StaticFixture f = StaticFixture.start(root, "fallback: false", false, transport,
                "limits: {client_timeout: 1s}");
             RawHttp stalled = new RawHttp(f.address())) {
            stalled.send(RawHttp.request("GET", "/big.bin"));
            long start = System.nanoTime();
            // Nothing is read: the socket buffers fill and the server's writes stop making progress.
            await().atMost(Duration.ofSeconds(20)).until(() -> f.proxy.connections() == 0);
            assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofMillis(900)) > 0);
        }
    }

    private static String postText(StaticFixture f, String path) throws Exception {
        try (RawHttp c = new RawHttp(f.address())) {
            c.send("POST " + path + " HTTP/1.1\r\nHost: files.test\r\nContent-Length: 2\r\n\r\nhi");
            return c.read(false).text();
        }
    }

    private static int postStatus(StaticFixture f, String path) throws Exception {
        try (RawHttp c = new RawHttp(f.address())) {
            c.send("POST " + path + " HTTP/1.1\r\nHost: files.test\r\nContent-Length: 2\r\n\r\nhi");
            return c.read(false).status();
        }
    }
}
