package dev.tandem.cluster.mirror;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose mirror state does not match its files: restored (or installed afresh) without its state, and
 * the other way round, a state that remembers files its root no longer has.
 */
class MirrorLostStateTest {

    @TempDir
    Path base;
    private MirrorNodes nodes;

    @AfterEach
    void stop() {
        if (nodes != null) {
            nodes.close();
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
                    .filter(n -> !n.contains(".tandem-mirror-")).sorted().toList();
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void aNodeRestoredWithoutItsStateNeitherResurrectsDeletedFilesNorLosesAddedOnes() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();
        Path wwwA = nodes.www("a");
        Path wwwB = nodes.www("b");
        for (String n : List.of("keep", "gone", "edited")) {
            Files.writeString(wwwA.resolve(n + ".html"), n + " 1");
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> names(wwwB).size() == 3);
        nodes.awaitInSync();

        // b's files backed up (not its state); b goes away; the cluster deletes one file and edits another
        Path backup = base.resolve("backup");
        copyTree(wwwB, backup);
        nodes.stop("b");
        Files.delete(wwwA.resolve("gone.html"));
        Files.writeString(wwwA.resolve("edited.html"), "edited 2");
        await().atMost(10, TimeUnit.SECONDS).until(() -> nodes.get("a").statusNow().paths().stream()
                .anyMatch(p -> p.path().equals(wwwA.toString()) && p.files() == 2));

        // b reinstalled: its state is gone, its files come back from the backup, and a person adds one
        deleteTree(nodes.state("b"));
        deleteTree(wwwB);
        copyTree(backup, wwwB);
        Files.writeString(wwwB.resolve("added.html"), "added here");
        nodes.start("b");
        nodes.awaitFirstSync();
        // the backup's edited.html is not lost either: kept beside the cluster's version, as a conflict copy
        List<String> expected = List.of("added.html", "edited.html", "edited.html.conflict-b-1", "keep.html");
        await().atMost(20, TimeUnit.SECONDS).until(() -> names(wwwB).equals(expected) && names(wwwA).equals(expected));
        nodes.awaitInSync();
        assertEquals("edited 1", Files.readString(wwwB.resolve("edited.html.conflict-b-1")));
        assertEquals("edited 2", Files.readString(wwwB.resolve("edited.html")), "the cluster's newer version");
        assertEquals("edited 2", Files.readString(wwwA.resolve("edited.html")), "not rolled back");
        assertEquals("added here", Files.readString(wwwA.resolve("added.html")));
        // the deleted file does not come back in any form (no conflict copy of it either)
        await().during(1, TimeUnit.SECONDS).atMost(5, TimeUnit.SECONDS).until(() ->
                names(wwwA).stream().noneMatch(n -> n.startsWith("gone")) && names(wwwB).stream().noneMatch(n -> n.startsWith("gone")));
        assertTrue(nodes.get("b").statusNow().held().isEmpty());
    }

    @Test
    void aStateThatRemembersFilesOfARootFoundEmptyAtStartIsHeld() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();
        for (int i = 0; i < 20; i++) {
            Files.writeString(nodes.www("a").resolve("f" + i + ".html"), "file " + i);
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> names(nodes.www("b")).size() == 20);
        nodes.awaitInSync();

        // a stops; its root is empty when it starts again (the disk not mounted): its state says 20 files
        nodes.stop("a");
        deleteTree(nodes.www("a"));
        Files.createDirectories(nodes.www("a"));
        nodes.start("a");
        await().atMost(10, TimeUnit.SECONDS).until(() -> !nodes.get("a").statusNow().held().isEmpty());
        MirrorStatus.HeldDeletion h = nodes.get("a").statusNow().held().get(0);
        assertEquals(20, h.files());
        assertEquals("here", h.from());
        await().during(2, TimeUnit.SECONDS).atMost(5, TimeUnit.SECONDS).until(() -> names(nodes.www("b")).size() == 20);
        assertFalse(nodes.get("b").statusNow().held().size() > 0, "nothing was sent to hold");
    }
}
