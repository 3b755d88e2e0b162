package dev.tandem.proxy.statics;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Files that change on disk while they are cached: the change is served within {@code valid}, and the
 * descriptors of replaced and deleted files are let go. Each test runs with files kept open
 * ({@code inline_max: 0}) and with small files kept in memory (the default).
 */
class StaticFreshnessTest {

    /** Short, so the tests are quick; the promise is "within valid", checked with a margin for a slow machine. */
    private static final Duration VALID = Duration.ofMillis(300);
    private static final Duration WITHIN = VALID.plusSeconds(2);
    private static String keys(String inlineMax) {
        return "open_file_cache: {max_entries: 100, valid: 300ms, inline_max: " + inlineMax + "}";
    }

    @TempDir
    Path dir;
    Path root;
    StaticFixture f;

    private void start(String inlineMax) throws Exception {
        root = Files.createDirectories(dir.resolve("www"));
        f = StaticFixture.start(root, keys(inlineMax), true);
    }

    private boolean kept(String inlineMax) {
        return inlineMax.equals("0");
    }

    @AfterEach
    void stop() throws Exception {
        if (f == null) {
            return;
        }
        f.close();
        assertEquals(0, f.proxy.files().openFiles(), "every file closed once the proxy stopped");
        assertEquals(0, f.proxy.files().inlineBytes());
    }

    @ParameterizedTest(name = "inline_max {0}")
    @ValueSource(strings = {"0", "16k"})
    void aFileReplacedAndThenInvalidatedIsServedAnewAtOnce(String inlineMax) throws Exception {
        // valid is long here: only the invalidation can make the change show
        root = Files.createDirectories(dir.resolve("www"));
        f = StaticFixture.start(root, "fallback: false\nopen_file_cache: {max_entries: 100, valid: 1h, inline_max: " + inlineMax + "}", false);
        f.write("css/app.css", "version 1");
        assertEquals("version 1", f.get("/css/app.css").text());
        assertEquals(404, f.get("/css/new.css").status());
        Path tmp = f.write("css/.app.css.tmp", "version 2");
        Files.move(tmp, root.resolve("css/app.css"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        f.write("css/new.css", "new");
        assertEquals("version 1", f.get("/css/app.css").text(), "cached for an hour");
        f.proxy.files().invalidate(java.util.List.of(root.resolve("css/app.css"), root.resolve("css/new.css")));
        assertEquals("version 2", f.get("/css/app.css").text());
        assertEquals("new", f.get("/css/new.css").text());
        await().atMost(WITHIN).until(() -> !openDescriptorsTo("app.css (deleted)"));
    }

    @org.junit.jupiter.api.Test
    void theKeysAFileStandsBehind() {
        assertEquals(java.util.Set.of("a/b/c.css.gz", "a/b/c.css", "a/b", "a/b/", "a", "a/", "", "/"),
                StaticFiles.keysOf(Path.of("a/b/c.css.gz")));
    }

    @ParameterizedTest(name = "inline_max {0}")
    @ValueSource(strings = {"0", "16k"})
    void aFileReplacedByRenameIsServedAnewWithinValid(String inlineMax) throws Exception {
        start(inlineMax);
        f.write("app.css", "version 1");
        RawHttp.Response first = f.get("/app.css");
        assertEquals("version 1", first.text());
        assertTrue(f.proxy.files().openFiles() >= 1, "the file is held open or in memory");
        assertEquals(kept(inlineMax), openDescriptorsTo("app.css"));

        Path tmp = f.write(".app.css.tmp", "version 2, longer");
        Files.move(tmp, root.resolve("app.css"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        long changed = System.nanoTime();
        await().atMost(WITHIN).pollInterval(Duration.ofMillis(20)).until(() -> f.get("/app.css").text().equals("version 2, longer"));
        RawHttp.Response second = f.get("/app.css");
        assertFalse(first.header("ETag").equals(second.header("ETag")));
        assertEquals("17", second.header("Content-Length"));
        assertTrue(Duration.ofNanos(System.nanoTime() - changed).compareTo(WITHIN) < 0);
        // The replaced file's descriptor goes once its entry expires.
        await().atMost(WITHIN).until(() -> !openDescriptorsTo("app.css (deleted)"));
    }

    @ParameterizedTest(name = "inline_max {0}")
    @ValueSource(strings = {"0", "16k"})
    void aFileRewrittenInPlaceIsServedAnewWithinValid(String inlineMax) throws Exception {
        start(inlineMax);
        Path p = f.write("data.json", "{\"v\":1}");
        assertEquals("{\"v\":1}", f.get("/data.json").text());
        Files.writeString(p, "{\"v\":2,\"more\":true}");
        // Within valid the cached size may still be used; never more than the file has, and the new
        // content with its own length and ETag once valid has passed.
        await().atMost(WITHIN).pollInterval(Duration.ofMillis(20)).ignoreExceptions()
                .until(() -> f.get("/data.json").text().equals("{\"v\":2,\"more\":true}"));
        assertEquals("19", f.get("/data.json").header("Content-Length"));
    }

    @ParameterizedTest(name = "inline_max {0}")
    @ValueSource(strings = {"0", "16k"})
    void aDeletedFileFallsBackWithinValidAndItsDescriptorIsClosed(String inlineMax) throws Exception {
        start(inlineMax);
        Path p = f.write("gone.txt", "here for now");
        assertEquals("here for now", f.get("/gone.txt").text());
        assertEquals(kept(inlineMax), openDescriptorsTo("gone.txt"), "open, or read into memory and closed");
        Files.delete(p);
        await().atMost(WITHIN).pollInterval(Duration.ofMillis(20))
                .until(() -> f.get("/gone.txt").text().equals("backend GET /gone.txt"));
        // Expired entries are dropped on a timer, not only when the next request comes.
        await().atMost(WITHIN).until(() -> !openDescriptorsTo("gone.txt"));
    }

    @ParameterizedTest(name = "inline_max {0}")
    @ValueSource(strings = {"0", "16k"})
    void aFileCreatedAfterAMissIsServedWithinValid(String inlineMax) throws Exception {
        start(inlineMax);
        assertEquals("backend GET /late.txt", f.get("/late.txt").text());
        f.write("late.txt", "arrived");
        await().atMost(WITHIN).pollInterval(Duration.ofMillis(20)).until(() -> f.get("/late.txt").text().equals("arrived"));
    }

    @Test
    void aReloadKeepsTheOpenFilesOfAnUnchangedSiteAndRetiresTheRest() throws Exception {
        root = Files.createDirectories(dir.resolve("www"));
        f = StaticFixture.start(root, "open_file_cache: {max_entries: 100, valid: 1h, inline_max: 0}", true);
        f.write("a.txt", "a");
        f.write("b.txt", "b");
        f.get("/a.txt");
        f.get("/b.txt");
        assertEquals(2, f.proxy.files().openFiles());
        Path a = root.resolve("a.txt");
        Files.writeString(a, "changed");
        f.reload("open_file_cache: {max_entries: 100, valid: 1h, inline_max: 0}", true);
        assertEquals(2, f.proxy.files().openFiles(), "same setup, same cache: nothing reopened");
        assertEquals("c", f.get("/a.txt").text(), "still the cached size: the cache was kept");

        f.reload(null, true);
        await().atMost(Duration.ofSeconds(5)).until(() -> f.proxy.files().openFiles() == 0);
        assertEquals("backend GET /a.txt", f.get("/a.txt").text());
    }

    /** Whether this process has a descriptor open on a path ending with {@code suffix}. */
    private static boolean openDescriptorsTo(String suffix) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().endsWith(suffix);
                } catch (IOException e) {
                    return false;
                }
            });
        }
    }
}
