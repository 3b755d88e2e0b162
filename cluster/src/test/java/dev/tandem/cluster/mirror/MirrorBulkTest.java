package dev.tandem.cluster.mirror;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Many files: a whole tree on the first sync, nothing on the next; bursts of new files and directories. */
class MirrorBulkTest {

    private static final Logger log = LoggerFactory.getLogger(MirrorBulkTest.class);

    @TempDir
    Path base;
    private MirrorNodes nodes;

    @AfterEach
    void stop() {
        if (nodes != null) {
            nodes.close();
        }
    }

    /** Files in {@code dir}, not counting the mirror's temporary files (of a file being received). */
    private static long count(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> Files.isRegularFile(f) && !f.getFileName().toString().contains(".tandem-mirror-")).count();
        } catch (java.io.UncheckedIOException e) {
            return -1; // a file vanished during the walk (a temporary file renamed): count again
        }
    }

    private static int files(Mirror m) {
        return m.statusNow().paths().stream().filter(p -> p.id().equals("www")).findFirst().orElseThrow().files();
    }

    @Test
    void tenThousandFilesSyncAndTheNextSyncSendsNothing() throws Exception {
        nodes = new MirrorNodes(base, "a", "b").syncWait(java.time.Duration.ofSeconds(120));
        Path www = nodes.www("a");
        for (int d = 0; d < 100; d++) {
            Path dir = Files.createDirectories(www.resolve("d" + d));
            for (int f = 0; f < 100; f++) {
                Files.writeString(dir.resolve("f" + f + ".txt"), "file " + d + "/" + f + "\n");
            }
        }
        nodes.start("a");
        long t0 = System.nanoTime();
        Mirror b = nodes.start("b");
        assertEquals("synced with a", b.firstSync().get(120, TimeUnit.SECONDS));
        long first = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(10_000, count(nodes.www("b")));
        assertEquals(10_000, files(b));
        assertEquals(10_000, nodes.counter("b", "tandem_mirror_files_total", "direction", "received"));
        assertEquals(10_000, nodes.counter("a", "tandem_mirror_files_total", "direction", "sent"));
        MirrorStatus.Progress progress = b.statusNow().peers().get(0).receivingProgress();
        assertEquals(10_000, progress.filesDone());
        assertEquals(10_000, progress.filesTotal());
        assertEquals(progress.bytesTotal(), progress.bytesDone());
        nodes.awaitInSync();

        // The next sync (b restarted, then a's periodic round): hashes compared, nothing sent.
        nodes.stop("b");
        long t1 = System.nanoTime();
        b = nodes.start("b");
        assertEquals("synced with a", b.firstSync().get(60, TimeUnit.SECONDS));
        long second = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1);
        nodes.get("a").scanNow().get(60, TimeUnit.SECONDS);
        nodes.awaitInSync();
        assertEquals(0, nodes.counter("b", "tandem_mirror_files_total", "direction", "received"));
        assertEquals(10_000, nodes.counter("a", "tandem_mirror_files_total", "direction", "sent"));
        assertEquals(0, nodes.counter("b", "tandem_mirror_files_total", "direction", "sent"));
        log.info("10,000 files: first sync {} ms, second {} ms", first, second);
    }

    @Test
    void burstsOfNewFilesAndDirectoriesWhileRunningArrive() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();
        Path www = nodes.www("a");
        // as an unpacked archive or a git pull: directories appear with files in them at once
        for (int d = 0; d < 30; d++) {
            Path dir = Files.createDirectories(www.resolve("burst/d" + d + "/sub"));
            for (int f = 0; f < 20; f++) {
                Files.writeString(dir.resolve("f" + f), "burst " + d + " " + f);
            }
        }
        // and a tree prepared elsewhere, moved in with one rename
        Path staged = Files.createDirectories(base.resolve("staging/release/css"));
        Files.writeString(staged.resolve("site.css"), "body{}");
        Files.writeString(staged.getParent().resolve("index.html"), "release");
        Files.move(staged.getParent(), www.resolve("release"));
        await().atMost(20, TimeUnit.SECONDS).until(() -> count(nodes.www("b")) == 602);
        assertEquals("body{}", Files.readString(nodes.www("b").resolve("release/css/site.css")));
        nodes.awaitInSync();
        assertTrue(files(nodes.get("b")) == 602);
    }
}
