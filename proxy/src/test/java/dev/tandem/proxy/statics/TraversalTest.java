package dev.tandem.proxy.statics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attempts to read a secret planted next to the root (and in hidden files inside it), each sent byte for
 * byte over a socket. With fallback off, every one must end in 400 or 404; with fallback on, the request
 * may reach the backend (which echoes the path and reads no file). Either way the secret never appears.
 */
class TraversalTest {

    private static final String SECRET = "TOP-SECRET-" + UUID.randomUUID();

    @TempDir
    static Path dir;
    static StaticFixture strict;
    static StaticFixture lenient;

    @BeforeAll
    static void plant() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.writeString(dir.resolve("secret.txt"), SECRET);
        Files.createDirectories(dir.resolve("rootsibling"));
        Files.writeString(dir.resolve("rootsibling/secret.txt"), SECRET);
        Files.writeString(root.resolve("public.txt"), "public");
        Files.writeString(root.resolve(".env"), SECRET);
        Files.createDirectories(root.resolve(".git"));
        Files.writeString(root.resolve(".git/config"), SECRET);
        Files.createDirectories(root.resolve("sub"));
        Files.writeString(root.resolve("sub/.hidden"), SECRET);
        Files.writeString(root.resolve("sub/ok.txt"), "inside");
        Files.createSymbolicLink(root.resolve("link.txt"), Path.of("../secret.txt"));
        Files.createSymbolicLink(root.resolve("abslink.txt"), dir.resolve("secret.txt"));
        Files.createSymbolicLink(root.resolve("linkdir"), Path.of(".."));
        Files.createSymbolicLink(root.resolve("sibling"), Path.of("../rootsibling"));
        Files.createSymbolicLink(root.resolve("hiddenlink"), Path.of(".git"));
        Files.createSymbolicLink(root.resolve("envlink.txt"), Path.of(".env"));
        Files.createSymbolicLink(root.resolve("inner"), Path.of("sub"));
        Files.createDirectories(root.resolve("trap"));
        Files.createSymbolicLink(root.resolve("trap/index.html"), Path.of("../../secret.txt"));
        Files.writeString(root.resolve("sub/page.html"), "page");
        Files.writeString(root.resolve("sub/page.html.gz"), "gz");
        Files.delete(root.resolve("sub/page.html.gz"));
        Files.createSymbolicLink(root.resolve("sub/page.html.gz"), Path.of("../../secret.txt"));

        strict = StaticFixture.start(root, "fallback: false\nprecompressed: true", false);
        lenient = StaticFixture.start(root, "fallback: true\nprecompressed: true", true);
    }

    @AfterAll
    static void stop() throws Exception {
        strict.close();
        lenient.close();
    }

    static List<String> attempts() {
        return List.of(
                "/../secret.txt",
                "/../../../../../../etc/passwd",
                "/%2e%2e/secret.txt",
                "/%2E%2E/secret.txt",
                "/.%2e/secret.txt",
                "/%2e./secret.txt",
                "/..%2fsecret.txt",
                "/..%2Fsecret.txt",
                "/%2e%2e%2fsecret.txt",
                "/..%5csecret.txt",
                "/%2e%2e%5csecret.txt",
                "/..\\secret.txt",
                "/sub\\..\\..\\secret.txt",
                "/%252e%252e/secret.txt",
                "/%252e%252e%252fsecret.txt",
                "/..%255csecret.txt",
                "/sub/../../secret.txt",
                "/sub/%2e%2e/%2e%2e/secret.txt",
                "//../secret.txt",
                "/./../secret.txt",
                "/%c0%ae%c0%ae/secret.txt",
                "/%c0%ae%c0%ae%c0%afsecret.txt",
                "/%e0%80%ae%e0%80%ae/secret.txt",
                "/..%c0%afsecret.txt",
                "/..%c1%9csecret.txt",
                "/%f0%80%80%ae%f0%80%80%ae/secret.txt",
                "/%u002e%u002e/secret.txt",
                "/secret.txt%00.png",
                "/..%00/secret.txt",
                "/..;/secret.txt",
                "/link.txt",
                "/abslink.txt",
                "/linkdir/secret.txt",
                "/linkdir/rootsibling/secret.txt",
                "/linkdir/",
                "/sibling/secret.txt",
                "/trap/",
                "/trap",
                "/.env",
                "/%2eenv",
                "/.git/config",
                "/%2egit/config",
                "/sub/.hidden",
                "/hiddenlink/config",
                "/envlink.txt",
                "/sub/page.html.gz",
                "http://files.test/../secret.txt",
                "/" + dir.resolve("secret.txt"),
                "/" + dir.resolve("secret.txt").toString().replace("/", "%2f"));
    }

    static Stream<String> attemptsStream() {
        return attempts().stream();
    }

    @Test
    void thereAreEnoughAttempts() {
        assertTrue(attempts().size() >= 30);
    }

    @Test
    void theRootItselfServes() throws Exception {
        assertEquals("public", strict.get("/public.txt").text());
        assertEquals("inside", strict.get("/inner/ok.txt").text(), "a symlink that stays inside the root is fine");
        RawHttp.Response page = strict.get("/sub/page.html", "Accept-Encoding: gzip");
        assertEquals("page", page.text(), "a precompressed sibling leaving the root is not used");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attemptsStream")
    void withoutFallbackEveryAttemptIsRefused(String path) throws Exception {
        RawHttp.Response r = strict.get(path);
        assertTrue(Set.of(400, 404).contains(r.status()), path + " answered " + r.status());
        assertNoSecret(r);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attemptsStream")
    void withFallbackNoAttemptReadsTheSecret(String path) throws Exception {
        RawHttp.Response r = lenient.get(path);
        assertTrue(r.status() == 400 || r.text().startsWith("backend GET "), path + " answered " + r.status() + " " + r.text());
        assertNoSecret(r);
    }

    @Test
    void aRawNulByteIsRefused() throws Exception {
        try (RawHttp c = new RawHttp(strict.address())) {
            c.send("GET /secret.txt\0.png HTTP/1.1\r\nHost: files.test\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            RawHttp.Response r = c.read(false);
            assertTrue(Set.of(400, 404).contains(r.status()), "answered " + r.status());
            assertNoSecret(r);
        }
    }

    private static void assertNoSecret(RawHttp.Response r) {
        assertFalse(r.text().contains(SECRET), "the secret leaked");
        assertFalse(r.headers().toString().contains(SECRET), "the secret leaked into a header");
    }
}
