package dev.tandem.cluster.mirror;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mass-deletion guard between two nodes in this process: held, then confirmed or restored. */
class MirrorDeletionGuardTest {

    @TempDir
    Path base;
    private MirrorNodes nodes;

    @AfterEach
    void stop() {
        if (nodes != null) {
            nodes.close();
        }
    }

    /** The files in place in {@code dir} (not the temporary files of those under way). */
    private static long files(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().contains(".tandem-mirror-"))
                    .count();
        }
    }

    /** 20 files on both nodes, then a's static root emptied, as an unmounted disk or a failed restore leaves it. */
    private void emptiedRoot() throws Exception {
        // The files are deleted one by one: a debounce long enough that a busy machine does not see the first
        // of them as a deletion of its own (which, one file of twenty, is no mass deletion and goes ahead).
        nodes = new MirrorNodes(base, "a", "b").debounce(java.time.Duration.ofMillis(500));
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();
        for (int i = 0; i < 20; i++) {
            Files.writeString(nodes.www("a").resolve("f" + i + ".html"), "file " + i);
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> files(nodes.www("b")) == 20);
        nodes.awaitInSync();
        try (Stream<Path> s = Files.list(nodes.www("a"))) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> !nodes.get("a").statusNow().held().isEmpty());
    }

    @Test
    void deletionsFurtherApartThanTheConfiguredWindowAreJudgedApart() throws Exception {
        nodes = new MirrorNodes(base, "a", "b").debounce(java.time.Duration.ofMillis(200));
        nodes.deletionWindow = java.time.Duration.ofSeconds(1);
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();
        for (int i = 0; i < 40; i++) {
            Files.writeString(nodes.www("a").resolve("f" + i + ".html"), "file " + i);
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> files(nodes.www("b")) == 40);
        for (int i = 0; i < 10; i++) {
            Files.delete(nodes.www("a").resolve("f" + i + ".html"));
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> files(nodes.www("b")) == 30);
        long passed = System.nanoTime();
        // 11 more of the 30: with the default window of 5 minutes, 21 of 40 would be held
        await().atMost(5, TimeUnit.SECONDS).until(() -> System.nanoTime() - passed > 1_500_000_000L);
        for (int i = 10; i < 21; i++) {
            Files.delete(nodes.www("a").resolve("f" + i + ".html"));
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> files(nodes.www("b")) == 19);
        assertTrue(nodes.get("a").statusNow().held().isEmpty());
        assertEquals(0, nodes.counter("a", "tandem_mirror_deletions_held_total"));
    }

    @Test
    void anEmptiedRootIsHeldAndConfirmDeletesItEverywhere() throws Exception {
        emptiedRoot();
        MirrorStatus.HeldDeletion h = nodes.get("a").statusNow().held().get(0);
        assertEquals(20, h.files());
        assertEquals(20, h.filesThen());
        assertEquals("here", h.from());
        assertEquals(1, nodes.counter("a", "tandem_mirror_deletions_held_total"));
        // a full scan sees the same: still held, not counted again, nothing sent; the peer's full offer of the
        // versions it holds (the ones gone here) does not end the hold either
        nodes.get("a").scanNow().get(5, TimeUnit.SECONDS);
        nodes.get("b").scanNow().get(5, TimeUnit.SECONDS);
        await().during(1, TimeUnit.SECONDS).atMost(3, TimeUnit.SECONDS).until(() -> files(nodes.www("b")) == 20);
        assertEquals(1, nodes.counter("a", "tandem_mirror_deletions_held_total"));
        assertEquals(0, nodes.counter("b", "tandem_mirror_deletions_total"));

        String done = nodes.get("a").confirmDeletion(nodes.www("a").toString()).get(5, TimeUnit.SECONDS);
        assertTrue(done.startsWith("20 file(s)"), done);
        await().atMost(10, TimeUnit.SECONDS).until(() -> files(nodes.www("b")) == 0);
        assertTrue(nodes.get("a").statusNow().held().isEmpty());
        assertTrue(nodes.get("b").statusNow().held().isEmpty(), "a confirmed deletion passes the peer's guard");
        ExecutionException none = assertThrows(ExecutionException.class,
                () -> nodes.get("a").confirmDeletion(nodes.www("a").toString()).get(5, TimeUnit.SECONDS));
        assertTrue(none.getCause().getMessage().contains("no deletion is held"), none.getCause().getMessage());
    }

    @Test
    void restoreFetchesTheFilesBackFromThePeer() throws Exception {
        emptiedRoot();
        String done = nodes.get("a").restoreDeletion(nodes.www("a").toString()).get(5, TimeUnit.SECONDS);
        assertTrue(done.startsWith("20 file(s)"), done);
        await().atMost(10, TimeUnit.SECONDS).until(() -> files(nodes.www("a")) == 20);
        assertEquals("file 7", Files.readString(nodes.www("a").resolve("f7.html")));
        assertEquals(20, files(nodes.www("b")));
        assertTrue(nodes.get("a").statusNow().held().isEmpty());
        nodes.awaitInSync();
    }

    @Test
    void filesThatComeBackEndTheHold() throws Exception {
        emptiedRoot();
        for (int i = 0; i < 20; i++) {
            Files.writeString(nodes.www("a").resolve("f" + i + ".html"), "file " + i);
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> nodes.get("a").statusNow().held().isEmpty());
        assertEquals(20, files(nodes.www("b")));
    }

    @Test
    void aFewDeletionsAreMirroredAsBefore() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();
        for (int i = 0; i < 20; i++) {
            Files.writeString(nodes.www("a").resolve("f" + i + ".html"), "file " + i);
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> files(nodes.www("b")) == 20);
        for (int i = 0; i < 10; i++) {
            Files.delete(nodes.www("a").resolve("f" + i + ".html"));
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> files(nodes.www("b")) == 10);
        assertTrue(nodes.get("a").statusNow().held().isEmpty());
    }
}
