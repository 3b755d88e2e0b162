package dev.tandem.cluster.mirror;

import static dev.tandem.cluster.mirror.MirrorNodes.read;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two or three mirror nodes in this process, over loopback, each with its own directories. */
class MirrorIntegrationTest {

    @TempDir
    Path base;
    private MirrorNodes nodes;

    @AfterEach
    void stop() {
        if (nodes != null) {
            nodes.close();
        }
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    /** Writes {@code text} to {@code p} the way editors do: a temporary file, renamed over it. */
    private static void save(Path p, String text) throws Exception {
        Path tmp = p.resolveSibling("." + p.getFileName() + ".swp");
        Files.writeString(tmp, text);
        Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void anEditOnOneNodeIsAppliedOnEveryPeer() throws Exception {
        nodes = new MirrorNodes(base, "a", "b", "c");
        nodes.start("a");
        nodes.start("b");
        nodes.start("c");
        nodes.awaitFirstSync();

        Files.createDirectories(nodes.www("a").resolve("img"));
        Files.writeString(nodes.www("a").resolve("img/logo.svg"), "<svg/>");
        save(nodes.www("a").resolve("index.html"), "hello");
        for (String n : new String[]{"b", "c"}) {
            await().atMost(5, TimeUnit.SECONDS).until(() -> "hello".equals(read(nodes.www(n).resolve("index.html")))
                    && "<svg/>".equals(read(nodes.www(n).resolve("img/logo.svg"))));
        }
        // the config, saved by an editor (temp file, then rename): validated, sent, applied, reloaded everywhere
        save(nodes.config("a"), MirrorNodes.CONFIG.formatted(8002));
        for (String n : new String[]{"b", "c"}) {
            await().atMost(5, TimeUnit.SECONDS).until(() -> read(nodes.config(n)).contains("8002"));
            await().atMost(5, TimeUnit.SECONDS).until(() -> nodes.configEvents.get(n).contains("from a"));
        }
        assertTrue(nodes.configEvents.get("a").contains("edited here"), "the editing node reloads too");
        assertTrue(nodes.fileEvents.get("b").contains(nodes.www("b").resolve("index.html").toRealPath()));
        nodes.awaitInSync();
        MirrorStatus s = nodes.get("b").statusNow();
        MirrorStatus.PathStatus config = s.paths().stream().filter(p -> p.id().equals("tandem.yaml")).findFirst().orElseThrow();
        assertFalse(config.directory());
        assertEquals("a", config.origin());
        assertTrue(config.peers().get("a").inSync());
        assertNotNull(config.peers().get("c").lastSync());
        assertTrue(nodes.counter("b", "tandem_mirror_files_total", "direction", "received") >= 3);
        assertTrue(nodes.counter("a", "tandem_mirror_bytes_total", "direction", "sent") > 0);
        // a editor's swap files are mirrored like any file; the temporary files of the mirror never are
        try (Stream<Path> files = Files.walk(nodes.dir("b"))) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains(".tandem-mirror-")));
        }
    }

    @Test
    void anInvalidConfigEditIsNeitherSentNorAppliedAndAFixedOneIs() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();
        String before = read(nodes.config("b"));
        nodes.awaitInSync();
        double sent = nodes.counter("a", "tandem_mirror_files_total", "direction", "sent");

        save(nodes.config("a"), "listeners:\n  - {name: http, bind: \"127.0.0.1:0\"}\nupstreams: {web: {servers: []}}\nsitez: []\n");
        await().atMost(5, TimeUnit.SECONDS).until(() -> nodes.get("a").statusNow().configRejected() != null);
        MirrorStatus.Rejection r = nodes.get("a").statusNow().configRejected();
        String file = nodes.config("a").toRealPath().toString();
        assertTrue(r.errors().stream().anyMatch(e -> e.startsWith(file + ":3:")), r.errors().toString());
        assertTrue(r.errors().stream().anyMatch(e -> e.contains(":4:1: unknown key 'sitez'")), r.errors().toString());
        assertEquals(1, nodes.counter("a", "tandem_mirror_rejected_total", "reason", "invalid_config"));
        assertFalse(nodes.configEvents.get("a").contains("edited here"), "no reload of an invalid config");
        await().during(500, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS)
                .until(() -> before.equals(read(nodes.config("b"))));
        assertTrue(nodes.configEvents.get("b").isEmpty());
        assertEquals(sent, nodes.counter("a", "tandem_mirror_files_total", "direction", "sent"), "nothing sent");
        assertEquals(0, nodes.counter("b", "tandem_mirror_files_total", "direction", "received"));

        // a full scan sees the same invalid file: no second rejection, still not sent
        nodes.get("a").scanNow().get(5, TimeUnit.SECONDS);
        assertEquals(1, nodes.counter("a", "tandem_mirror_rejected_total", "reason", "invalid_config"));

        save(nodes.config("a"), MirrorNodes.CONFIG.formatted(8003));
        await().atMost(5, TimeUnit.SECONDS).until(() -> read(nodes.config("b")).contains("8003"));
        assertNull(nodes.get("a").statusNow().configRejected());
    }

    @Test
    void aConfigThePeerCannotValidateIsRefusedThere() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        nodes.refuse.put("b", text -> text.contains("8666"));
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();
        String before = read(nodes.config("b"));
        save(nodes.config("a"), MirrorNodes.CONFIG.formatted(8666));
        await().atMost(5, TimeUnit.SECONDS).until(() -> nodes.get("b").statusNow().configRefused() != null);
        MirrorStatus.Rejection r = nodes.get("b").statusNow().configRefused();
        assertEquals("a", r.from());
        assertTrue(r.errors().get(0).endsWith(":1:1: refused by this node's check"), r.toString());
        assertEquals(before, read(nodes.config("b")));
        assertEquals(1, nodes.counter("b", "tandem_mirror_rejected_total", "reason", "invalid_config_received"));
        assertTrue(nodes.configEvents.get("b").isEmpty());
        try (Stream<Path> files = Files.list(nodes.dir("b"))) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains(".tandem-mirror-")), "nothing half-applied");
        }
    }

    @Test
    void deletionsAndModesPropagate() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        Path www = nodes.www("a");
        Files.createDirectories(www.resolve("old/deep"));
        Files.writeString(www.resolve("old/deep/x.txt"), "x");
        Files.writeString(www.resolve("old/y.txt"), "y");
        Files.writeString(www.resolve("run.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(www.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.writeString(nodes.certs("a").resolve("site.key"), "secret");
        Files.setPosixFilePermissions(nodes.certs("a").resolve("site.key"), PosixFilePermissions.fromString("rw-------"));
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();
        Path wwwB = nodes.www("b");
        assertEquals("x", read(wwwB.resolve("old/deep/x.txt")));
        assertEquals("rwxr-x---", mode(wwwB.resolve("run.sh")));
        assertEquals("rw-------", mode(nodes.certs("b").resolve("site.key")));

        // a mode change alone
        Files.setPosixFilePermissions(www.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        await().atMost(5, TimeUnit.SECONDS).until(() -> mode(wwwB.resolve("run.sh")).equals("rwxr-xr-x"));
        // a file, then a whole tree (rm -r)
        Files.delete(www.resolve("old/y.txt"));
        await().atMost(5, TimeUnit.SECONDS).until(() -> !Files.exists(wwwB.resolve("old/y.txt")));
        Files.delete(www.resolve("old/deep/x.txt"));
        Files.delete(www.resolve("old/deep"));
        Files.delete(www.resolve("old"));
        await().atMost(5, TimeUnit.SECONDS).until(() -> !Files.exists(wwwB.resolve("old")));
        assertTrue(nodes.counter("b", "tandem_mirror_deletions_total") >= 2);
        nodes.awaitInSync();
    }

    @Test
    void concurrentEditsConvergeOnBothNodesAndTheLoserIsKept() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        Files.writeString(nodes.www("a").resolve("page.html"), "base");
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();
        await().atMost(5, TimeUnit.SECONDS).until(() -> "base".equals(read(nodes.www("b").resolve("page.html"))));

        // Cut off from each other (b stopped), each edits the same file: two versions 2, neither knowing the other.
        nodes.stop("b");
        save(nodes.www("a").resolve("page.html"), "edited on a");
        await().atMost(5, TimeUnit.SECONDS).until(() -> nodes.get("a").statusNow().paths().stream()
                .anyMatch(p -> p.id().equals("www") && "a".equals(p.origin()) && p.version() == 2));
        save(nodes.www("b").resolve("page.html"), "edited on b");
        nodes.start("b");

        // Version 2 on both: the greater node name wins, on both nodes; a's edit is kept beside the file on both.
        for (String n : new String[]{"a", "b"}) {
            await().atMost(10, TimeUnit.SECONDS).until(() -> "edited on b".equals(read(nodes.www(n).resolve("page.html")))
                    && "edited on a".equals(read(nodes.www(n).resolve("page.html.conflict-a-2"))));
        }
        nodes.awaitInSync();
        for (String n : new String[]{"a", "b"}) {
            // The status tells of the conflict once the engine's thread has recorded it, which may be a moment
            // after the files are on disk.
            await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> {
                MirrorStatus s = nodes.get(n).statusNow();
                assertTrue(s.conflicts().stream().anyMatch(c -> c.keptAs().endsWith("page.html.conflict-a-2")
                        && c.loser().equals("2@a") && c.winner().equals("2@b")), n + ": " + s.conflicts());
                assertEquals(1, nodes.counter(n, "tandem_mirror_conflicts_total"), n);
            });
        }
        MirrorStatus.PathStatus www = nodes.get("a").statusNow().paths().stream().filter(p -> p.id().equals("www"))
                .findFirst().orElseThrow();
        assertTrue(www.conflicts().stream().anyMatch(c -> c.endsWith("page.html.conflict-a-2")), www.conflicts().toString());
    }

    @Test
    void concurrentEditsOfTheConfigOnThreeNodesResolveTheSameEverywhere() throws Exception {
        nodes = new MirrorNodes(base, "a", "b", "c");
        nodes.start("a");
        nodes.start("b");
        nodes.start("c");
        nodes.awaitFirstSync();
        nodes.awaitInSync();
        nodes.stop("a");
        nodes.stop("b");
        nodes.stop("c");
        // a edits twice (version 3), b and c once each (version 2): a's wins by version, though c has the greatest name
        save(nodes.config("a"), MirrorNodes.CONFIG.formatted(9001));
        nodes.start("a");
        await().atMost(5, TimeUnit.SECONDS).until(() -> nodes.get("a").statusNow().paths().stream()
                .anyMatch(p -> p.id().equals("tandem.yaml") && p.version() == 2));
        save(nodes.config("a"), MirrorNodes.CONFIG.formatted(9002));
        await().atMost(5, TimeUnit.SECONDS).until(() -> nodes.get("a").statusNow().paths().stream()
                .anyMatch(p -> p.id().equals("tandem.yaml") && p.version() == 3));
        nodes.stop("a");
        save(nodes.config("b"), MirrorNodes.CONFIG.formatted(9003));
        save(nodes.config("c"), MirrorNodes.CONFIG.formatted(9004));
        nodes.start("c");
        nodes.start("b");
        nodes.start("a");
        for (String n : new String[]{"a", "b", "c"}) {
            await().atMost(10, TimeUnit.SECONDS).until(() -> read(nodes.config(n)).contains("9002"));
        }
        nodes.awaitInSync();
        // b's and c's versions lost on the nodes that saw them; nothing is lost anywhere
        assertTrue(read(nodes.config("b").resolveSibling("tandem.yaml.conflict-b-2")).contains("9003"));
        assertTrue(read(nodes.config("c").resolveSibling("tandem.yaml.conflict-c-2")).contains("9004"));
    }

    @Test
    void aNodeThatWasStoppedCatchesUpInBothDirections() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        Files.writeString(nodes.www("a").resolve("keep.txt"), "keep");
        Files.writeString(nodes.www("a").resolve("gone.txt"), "gone");
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();
        await().atMost(5, TimeUnit.SECONDS).until(() -> Files.exists(nodes.www("b").resolve("gone.txt")));

        nodes.stop("b");
        Files.writeString(nodes.www("a").resolve("new-on-a.txt"), "from a");
        Files.writeString(nodes.www("a").resolve("keep.txt"), "keep, edited on a");
        Files.delete(nodes.www("a").resolve("gone.txt"));
        save(nodes.config("a"), MirrorNodes.CONFIG.formatted(8100));
        // and b, while it is down, is edited too (by hand, a deploy...)
        Files.writeString(nodes.www("b").resolve("new-on-b.txt"), "from b");
        await().atMost(5, TimeUnit.SECONDS).until(() -> nodes.get("a").statusNow().paths().stream()
                .anyMatch(p -> p.id().equals("tandem.yaml") && p.version() == 2));

        Mirror b = nodes.start("b");
        assertEquals("synced with a", b.firstSync().get(10, TimeUnit.SECONDS));
        // When the first sync is over, b has everything of a (it is then fit to take a VIP), and a of b.
        assertEquals("from a", read(nodes.www("b").resolve("new-on-a.txt")));
        assertEquals("keep, edited on a", read(nodes.www("b").resolve("keep.txt")));
        assertFalse(Files.exists(nodes.www("b").resolve("gone.txt")));
        assertTrue(read(nodes.config("b")).contains("8100"));
        assertTrue(nodes.configEvents.get("b").contains("from a"));
        await().atMost(5, TimeUnit.SECONDS).until(() -> "from b".equals(read(nodes.www("a").resolve("new-on-b.txt"))));
        nodes.awaitInSync();
        try (Stream<Path> files = Files.list(nodes.www("b"))) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains(".conflict-")), "no conflict: b missed versions");
        }
    }

    @Test
    void theFirstSyncEndsAtOnceWhenNoPeerIsReachable() throws Exception {
        nodes = new MirrorNodes(base, "a", "b", "c");
        Mirror a = nodes.start("a");
        assertEquals("no peer reachable", a.firstSync().get(10, TimeUnit.SECONDS));
        assertEquals("no peer reachable", a.statusNow().firstSync());
        MirrorStatus.PeerStatus b = a.statusNow().peers().get(0);
        assertFalse(b.sending());
        assertFalse(b.inSync());
    }

    @Test
    void theFirstSyncGivesUpAfterSyncWait() throws Exception {
        nodes = new MirrorNodes(base, "a", "b").syncWait(Duration.ofMillis(300));
        // a peer that accepts connections but never completes a handshake
        try (java.net.ServerSocket silent = new java.net.ServerSocket()) {
            silent.bind(nodes.address("b"));
            Mirror a = nodes.start("a");
            String outcome = a.firstSync().get(10, TimeUnit.SECONDS);
            assertTrue(outcome.contains("within 300 ms"), outcome);
        }
    }

    @Test
    void anInvalidEditHereIsKeptBesideWhenAValidOneArrives() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();
        save(nodes.config("b"), "listeners: [half a thought\n");
        await().atMost(5, TimeUnit.SECONDS).until(() -> nodes.get("b").statusNow().configRejected() != null);
        save(nodes.config("a"), MirrorNodes.CONFIG.formatted(8200));
        await().atMost(5, TimeUnit.SECONDS).until(() -> read(nodes.config("b")).contains("8200"));
        try (Stream<Path> files = Files.list(nodes.dir("b"))) {
            Path kept = files.filter(p -> p.getFileName().toString().startsWith("tandem.yaml.conflict-b-")).findFirst()
                    .orElseThrow(() -> new AssertionError("the invalid edit made on b is kept"));
            assertEquals("listeners: [half a thought\n", read(kept));
        }
        assertNull(nodes.get("b").statusNow().configRejected());
        assertTrue(nodes.configEvents.get("b").contains("from a"));
    }

    @Test
    void filesThatGoTogetherAreToldAsOneBatchOnceAllAreInPlace() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();
        // a certificate renewed with a new key: neither loads without the other
        Path staged = Files.createDirectories(base.resolve("staged"));
        Files.writeString(staged.resolve("site.pem"), "certificate 2");
        Files.writeString(staged.resolve("site.key"), "key 2");
        Files.move(staged.resolve("site.pem"), nodes.certs("a").resolve("site.pem"), StandardCopyOption.ATOMIC_MOVE);
        Files.move(staged.resolve("site.key"), nodes.certs("a").resolve("site.key"), StandardCopyOption.ATOMIC_MOVE);
        Path pem = nodes.certs("b").toRealPath().resolve("site.pem");
        Path key = nodes.certs("b").toRealPath().resolve("site.key");
        await().atMost(5, TimeUnit.SECONDS).until(() -> nodes.batches.get("b").stream()
                .anyMatch(seen -> seen.contains(pem) && seen.contains(key)));
        assertEquals("certificate 2", read(pem));
        assertEquals("key 2", read(key));
        // told after the files of the batch, never before any was
        assertFalse(nodes.batches.get("b").get(0).isEmpty());
        assertTrue(nodes.batches.get("a").isEmpty(), "nothing was received on a");
    }
}
