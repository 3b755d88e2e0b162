package dev.tandem.proxy.statics;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.DateFormatter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every header and status of the static path, over real sockets to a real proxy with a real backend behind
 * it, with files in a temporary directory.
 */
class StaticResponsesTest {

    private static final String CSS = "body { color: #333; }\n".repeat(20);

    @TempDir
    static Path dir;
    static StaticFixture f;
    static Path css;

    @BeforeAll
    static void start() throws Exception {
        Path root = Files.createDirectories(dir.resolve("www"));
        f = StaticFixture.start(root, """
                cache_control: "public, max-age=3600"
                precompressed: true
                index: [index.html, index.htm]
                mime_types: {md: text/x-markdown}
                """, true);
        css = f.write("css/site.css", CSS);
        f.write("index.html", "<h1>home</h1>");
        f.write("docs/index.html", "<h1>docs</h1>");
        f.write("legacy/index.htm", "<h1>legacy</h1>");
        f.write("empty/readme.txt", "no index here");
        f.write("notes.md", "# notes");
        f.write("blob.xyz", "?");
        f.write("font.woff2", "w");
        f.write("empty.txt", "");
    }

    @AfterAll
    static void stop() throws Exception {
        f.close();
    }

    private static String lastModified(Path p) throws Exception {
        return DateFormatter.format(new Date(Files.getLastModifiedTime(p).toMillis()));
    }

    @Test
    void servesAFileWithItsHeaders() throws Exception {
        RawHttp.Response r = f.get("/css/site.css");
        assertEquals(200, r.status());
        assertEquals(CSS, r.text());
        assertEquals("text/css; charset=utf-8", r.header("Content-Type"));
        assertEquals(Integer.toString(CSS.length()), r.header("Content-Length"));
        assertEquals(lastModified(css), r.header("Last-Modified"));
        assertTrue(r.header("ETag").matches("\"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+\""), r.header("ETag"));
        assertTrue(r.header("ETag").startsWith("\"" + Integer.toHexString(CSS.length()) + "-"));
        assertEquals("bytes", r.header("Accept-Ranges"));
        assertEquals("public, max-age=3600", r.header("Cache-Control"));
        assertNotNull(DateFormatter.parseHttpDate(r.header("Date")));
        assertNull(r.header("Vary"), "no precompressed sibling, nothing varies");
        assertNull(r.header("Content-Encoding"));
        assertEquals(r.header("ETag"), f.get("/css/site.css").header("ETag"), "a strong ETag is stable");
    }

    @Test
    void etagSurvivesARestart() throws Exception {
        String etag = f.get("/css/site.css").header("ETag");
        try (StaticFixture other = StaticFixture.start(f.root, "fallback: false", false)) {
            assertEquals(etag, other.get("/css/site.css").header("ETag"));
        }
    }

    @Test
    void contentTypes() throws Exception {
        assertEquals("text/x-markdown", f.get("/notes.md").header("Content-Type"));
        assertEquals("application/octet-stream", f.get("/blob.xyz").header("Content-Type"));
        assertEquals("font/woff2", f.get("/font.woff2").header("Content-Type"));
        assertEquals("text/html; charset=utf-8", f.get("/").header("Content-Type"));
    }

    @Test
    void emptyFile() throws Exception {
        RawHttp.Response r = f.get("/empty.txt");
        assertEquals(200, r.status());
        assertEquals("0", r.header("Content-Length"));
        assertEquals(0, r.body().length);
    }

    @Test
    void headHasTheHeadersAndNoBodyAndKeepsTheConnection() throws Exception {
        try (RawHttp c = new RawHttp(f.address())) {
            c.send(RawHttp.request("HEAD", "/css/site.css"));
            RawHttp.Response head = c.read(true);
            assertEquals(200, head.status());
            assertEquals(Integer.toString(CSS.length()), head.header("Content-Length"));
            assertEquals("text/css; charset=utf-8", head.header("Content-Type"));
            assertNotNull(head.header("ETag"));
            c.send(RawHttp.request("GET", "/notes.md"));
            RawHttp.Response next = c.read(false);
            assertEquals("# notes", next.text(), "no stray body bytes came before the next response");
        }
    }

    @Test
    void conditionalRequests() throws Exception {
        String etag = f.get("/css/site.css").header("ETag");
        String modified = lastModified(css);
        String before = DateFormatter.format(new Date(Files.getLastModifiedTime(css).toMillis() - 10_000));

        RawHttp.Response notModified = f.get("/css/site.css", "If-None-Match: " + etag);
        assertEquals(304, notModified.status());
        assertEquals(etag, notModified.header("ETag"));
        assertEquals("public, max-age=3600", notModified.header("Cache-Control"));
        assertEquals(modified, notModified.header("Last-Modified"));
        assertNull(notModified.header("Content-Length"));
        assertEquals(304, f.get("/css/site.css", "If-None-Match: \"x\", W/" + etag).status());
        assertEquals(304, f.head("/css/site.css", "If-None-Match: *").status());
        assertEquals(200, f.get("/css/site.css", "If-None-Match: \"stale\"").status());

        assertEquals(304, f.get("/css/site.css", "If-Modified-Since: " + modified).status());
        assertEquals(200, f.get("/css/site.css", "If-Modified-Since: " + before).status());
        assertEquals(200, f.get("/css/site.css", "If-None-Match: \"stale\"", "If-Modified-Since: " + modified).status(),
                "If-None-Match takes precedence over If-Modified-Since");

        assertEquals(412, f.get("/css/site.css", "If-Match: \"stale\"").status());
        assertEquals(412, f.get("/css/site.css", "If-Match: W/" + etag).status(), "If-Match compares strongly");
        assertEquals(200, f.get("/css/site.css", "If-Match: " + etag).status());
        assertEquals(200, f.get("/css/site.css", "If-Match: *").status());
        assertEquals(412, f.get("/css/site.css", "If-Unmodified-Since: " + before).status());
        assertEquals(200, f.get("/css/site.css", "If-Unmodified-Since: " + modified).status());
        assertEquals(304, f.get("/css/site.css", "If-Match: " + etag, "If-None-Match: " + etag).status());
        assertEquals(412, f.get("/css/site.css", "If-Match: \"stale\"", "If-None-Match: " + etag).status());
    }

    @Test
    void ranges() throws Exception {
        int size = CSS.length();
        RawHttp.Response r = f.get("/css/site.css", "Range: bytes=2-5");
        assertEquals(206, r.status());
        assertEquals("bytes 2-5/" + size, r.header("Content-Range"));
        assertEquals("4", r.header("Content-Length"));
        assertEquals(CSS.substring(2, 6), r.text());

        RawHttp.Response suffix = f.get("/css/site.css", "Range: bytes=-7");
        assertEquals(206, suffix.status());
        assertEquals("bytes " + (size - 7) + "-" + (size - 1) + "/" + size, suffix.header("Content-Range"));
        assertEquals(CSS.substring(size - 7), suffix.text());

        RawHttp.Response open = f.get("/css/site.css", "Range: bytes=400-");
        assertEquals(206, open.status());
        assertEquals(CSS.substring(400), open.text());

        RawHttp.Response unsatisfiable = f.get("/css/site.css", "Range: bytes=" + size + "-");
        assertEquals(416, unsatisfiable.status());
        assertEquals("bytes */" + size, unsatisfiable.header("Content-Range"));
        assertEquals(0, unsatisfiable.body().length);

        RawHttp.Response several = f.get("/css/site.css", "Range: bytes=0-1,4-5");
        assertEquals(200, several.status());
        assertEquals(CSS, several.text());
        assertEquals(200, f.get("/css/site.css", "Range: lines=1-2").status());

        String etag = r.header("ETag");
        assertEquals(206, f.get("/css/site.css", "Range: bytes=0-3", "If-Range: " + etag).status());
        assertEquals(206, f.get("/css/site.css", "Range: bytes=0-3", "If-Range: " + lastModified(css)).status());
        RawHttp.Response stale = f.get("/css/site.css", "Range: bytes=0-3", "If-Range: \"stale\"");
        assertEquals(200, stale.status());
        assertEquals(CSS, stale.text());

        RawHttp.Response head = f.head("/css/site.css", "Range: bytes=0-3");
        assertEquals(200, head.status(), "Range is defined for GET only");
        assertEquals(Integer.toString(size), head.header("Content-Length"));
    }

    @Test
    void directoriesServeTheirIndexAndRedirectToTheSlashForm() throws Exception {
        assertEquals("<h1>home</h1>", f.get("/").text());
        assertEquals("<h1>docs</h1>", f.get("/docs/").text());
        assertEquals("<h1>legacy</h1>", f.get("/legacy/").text(), "the second index name");

        RawHttp.Response redirect = f.get("/docs");
        assertEquals(301, redirect.status());
        assertEquals("/docs/", redirect.header("Location"));
        assertEquals("/docs/?a=1&b=2", f.get("/docs?a=1&b=2").header("Location"));

        f.backendRequests.clear();
        assertEquals("backend GET /empty/", f.get("/empty/").text(), "a directory without an index falls back");
        assertEquals("backend GET /empty", f.get("/empty").text(), "and is not redirected");
        assertEquals("backend GET /css/site.css/", f.get("/css/site.css/").text(), "a file is not a directory");
        assertEquals(List.of("GET /empty/", "GET /empty", "GET /css/site.css/"), f.backendRequests);
    }

    @Test
    void precompressedSiblings() throws Exception {
        Path js = f.write("app.js", "console.log('plain');");
        Path br = f.write("app.js.br", "BROTLI-BYTES");
        Path gz = f.write("app.js.gz", "GZIP-BYTES");
        FileTime t = Files.getLastModifiedTime(js);
        Files.setLastModifiedTime(br, t);
        Files.setLastModifiedTime(gz, t);

        RawHttp.Response b = f.get("/app.js", "Accept-Encoding: gzip, deflate, br");
        assertEquals("BROTLI-BYTES", b.text());
        assertEquals("br", b.header("Content-Encoding"));
        assertEquals("Accept-Encoding", b.header("Vary"));
        assertEquals("text/javascript; charset=utf-8", b.header("Content-Type"));

        RawHttp.Response g = f.get("/app.js", "Accept-Encoding: gzip, br;q=0");
        assertEquals("GZIP-BYTES", g.text());
        assertEquals("gzip", g.header("Content-Encoding"));
        assertTrue(!g.header("ETag").equals(b.header("ETag")), "each representation has its own ETag");

        RawHttp.Response plain = f.get("/app.js");
        assertEquals("console.log('plain');", plain.text());
        assertNull(plain.header("Content-Encoding"));
        assertEquals("Accept-Encoding", plain.header("Vary"), "the answer still depends on Accept-Encoding");
        assertEquals(304, f.get("/app.js", "Accept-Encoding: br", "If-None-Match: " + b.header("ETag")).status());

        RawHttp.Response range = f.get("/app.js", "Accept-Encoding: br", "Range: bytes=0-5");
        assertEquals("BROTLI", range.text());
        assertEquals("bytes 0-5/12", range.header("Content-Range"));
    }

    @Test
    void aCompressedSiblingOlderThanItsFileIsNotServed() throws Exception {
        Path css2 = f.write("old.css", "new content");
        Path gz = f.write("old.css.gz", "OLD-GZIP");
        Files.setLastModifiedTime(gz, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
        Files.setLastModifiedTime(css2, FileTime.from(Instant.now()));
        RawHttp.Response r = f.get("/old.css", "Accept-Encoding: gzip");
        assertEquals("new content", r.text());
        assertNull(r.header("Content-Encoding"));
    }

    @Test
    void keepAliveAndPipeliningKeepTheOrder() throws Exception {
        String etag = f.get("/css/site.css").header("ETag");
        try (RawHttp c = new RawHttp(f.address())) {
            c.send(RawHttp.request("GET", "/notes.md")
                    + RawHttp.request("GET", "/no-such-file")
                    + RawHttp.request("GET", "/css/site.css", "If-None-Match: " + etag)
                    + RawHttp.request("HEAD", "/docs/")
                    + RawHttp.request("GET", "/css/site.css", "Range: bytes=0-3")
                    + RawHttp.request("GET", "/docs/"));
            assertEquals("# notes", c.read(false).text());
            assertEquals("backend GET /no-such-file", c.read(false).text());
            assertEquals(304, c.read(false).status());
            RawHttp.Response head = c.read(true);
            assertEquals(200, head.status());
            assertEquals("13", head.header("Content-Length"));
            assertEquals(CSS.substring(0, 4), c.read(false).text());
            assertEquals("<h1>docs</h1>", c.read(false).text());
            // Still open for more.
            c.send(RawHttp.request("GET", "/notes.md"));
            assertEquals("# notes", c.read(false).text());
        }
    }

    @Test
    void methodsOtherThanGetAndHeadGoUpstreamEvenForFiles() throws Exception {
        f.backendRequests.clear();
        try (RawHttp c = new RawHttp(f.address())) {
            c.send("POST /css/site.css HTTP/1.1\r\nHost: files.test\r\nContent-Length: 3\r\n\r\nabc");
            assertEquals("backend POST /css/site.css", c.read(false).text());
            c.send(RawHttp.request("DELETE", "/notes.md"));
            assertEquals("backend DELETE /notes.md", c.read(false).text());
            c.send(RawHttp.request("OPTIONS", "/docs/"));
            assertEquals("backend OPTIONS /docs/", c.read(false).text());
        }
        assertEquals(List.of("POST /css/site.css", "DELETE /notes.md", "OPTIONS /docs/"), f.backendRequests);
    }

    @Test
    void aGetWithABodyIsServedAndTheConnectionClosed() throws Exception {
        try (RawHttp c = new RawHttp(f.address())) {
            c.send("GET /notes.md HTTP/1.1\r\nHost: files.test\r\nContent-Length: 5\r\n\r\nhello");
            RawHttp.Response r = c.read(false);
            assertEquals("# notes", r.text());
            assertEquals("close", r.header("Connection"));
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void http10KeepAliveAndClose() throws Exception {
        try (RawHttp c = new RawHttp(f.address())) {
            c.send("GET /notes.md HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            RawHttp.Response r = c.read(false);
            assertEquals("# notes", r.text());
            assertEquals("keep-alive", r.header("Connection"));
            c.send("GET /notes.md HTTP/1.0\r\n\r\n");
            assertEquals("close", c.read(false).header("Connection"));
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void metrics() throws Exception {
        // A fixture of its own: the shared one's byte count grows when a write completes, which may be
        // after another test has read the whole body, and would move this test's baseline.
        Path root = Files.createDirectories(dir.resolve("metrics-www"));
        try (StaticFixture m = StaticFixture.start(root, "", true)) {
            m.write("css/site.css", CSS);
            String etag = m.get("/css/site.css").header("ETag");
            m.get("/css/site.css", "If-None-Match: " + etag);
            m.get("/css/site.css", "Range: bytes=0-9");
            m.get("/missing-for-metrics");
            m.head("/css/site.css");

            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                assertEquals(4, m.counter("tandem.static.hits"));
                assertEquals(1, m.counter("tandem.static.misses"));
                assertEquals(1, m.counter("tandem.static.fallbacks"));
                assertEquals(1, m.counter("tandem.static.not.modified"));
                assertEquals(CSS.length() + 10, m.counter("tandem.static.bytes"));
            });
            assertNotNull(m.meters.find("tandem.static.hits").tag("site", "*").counter());
        }
    }

    @Test
    void theAccessLogSaysWhereAResponseCameFrom() throws Exception {
        f.get("/notes.md?log=disk");
        f.get("/nothing-here?log=upstream");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            String log = Files.readString(f.accessLog(), StandardCharsets.UTF_8);
            assertTrue(log.lines().anyMatch(l -> l.contains("/notes.md?log=disk") && l.contains(" 200 7 ")
                    && l.contains("src=disk upstream=-")), log);
            assertTrue(log.lines().anyMatch(l -> l.contains("/nothing-here?log=upstream") && l.contains("src=upstream")), log);
        });
    }

    @Test
    void bodiesAreTheFilesBytes() throws Exception {
        byte[] bytes = new byte[300_000];
        new java.util.Random(7).nextBytes(bytes);
        Files.write(f.root.resolve("random.bin"), bytes);
        assertArrayEquals(bytes, f.get("/random.bin").body());
    }
}
