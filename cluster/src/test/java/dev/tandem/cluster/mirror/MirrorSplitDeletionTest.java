package dev.tandem.cluster.mirror;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.cluster.mirror.internal.Entry;
import dev.tandem.cluster.mirror.internal.EntryKey;
import dev.tandem.cluster.mirror.internal.Messages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A peer's mass deletion cut into pieces: several offer messages of one round, or several rounds. b runs; the
 * test plays a, which first gives b 20 files, then deletes them in batches of 5 (each far below the guard's
 * thresholds on its own).
 */
class MirrorSplitDeletionTest {

    private static final byte[] KEY = ClusterKeys.of(MirrorNodes.SECRET).mirrorKey();
    private static final int FILES = 20;

    @TempDir
    Path base;
    private MirrorNodes nodes;

    @AfterEach
    void stop() {
        if (nodes != null) {
            nodes.close();
        }
    }

    private static String sha256(byte[] content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    private long files() throws Exception {
        try (Stream<Path> s = Files.list(nodes.www("b"))) {
            return s.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().contains(".tandem-mirror-"))
                    .count();
        }
    }

    /** a gives b {@link #FILES} files over {@code p}; returns their versions. */
    private List<Entry> give(FakePeer p) throws Exception {
        List<Entry> given = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        for (int i = 0; i < FILES; i++) {
            byte[] c = ("file " + i).getBytes(StandardCharsets.US_ASCII);
            contents.add(c);
            given.add(Entry.edit(new EntryKey("www", "f" + i + ".html"), null, "a", System.currentTimeMillis(),
                    sha256(c), 0644, c.length));
        }
        int[] next = {0};
        p.send(Messages.offer(1, given, 0, next));
        p.send(Messages.offerEnd(1, true));
        Messages.Want want = assertInstanceOf(Messages.Want.class, p.receive());
        assertEquals(FILES, want.items().size());
        for (int i = 0; i < FILES; i++) {
            p.send(Messages.fileStart(given.get(i)));
            p.sendData(contents.get(i), 0, contents.get(i).length);
            p.send(Messages.fileEnd());
        }
        assertInstanceOf(Messages.Done.class, p.receive());
        assertEquals(FILES, files());
        return given;
    }

    private static List<Entry> deletions(List<Entry> of, int from, int to) {
        List<Entry> d = new ArrayList<>();
        for (Entry e : of.subList(from, to)) {
            d.add(Entry.deletion(e, "a", System.currentTimeMillis()));
        }
        return d;
    }

    @Test
    void aMassDeletionInSeveralOffersOfOneRoundIsHeldWhole() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        nodes.start("b").firstSync().get(10, TimeUnit.SECONDS);
        try (FakePeer p = FakePeer.authenticated(nodes.address("b"), "a", KEY)) {
            List<Entry> given = give(p);
            int[] next = {0};
            for (int i = 0; i < FILES; i += 5) {
                p.send(Messages.offer(2, deletions(given, i, i + 5), 0, next));
            }
            p.send(Messages.offerEnd(2, false));
            assertInstanceOf(Messages.Done.class, p.receive());
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> !nodes.get("b").statusNow().held().isEmpty());
        MirrorStatus.HeldDeletion h = nodes.get("b").statusNow().held().get(0);
        assertEquals(FILES, h.files());
        assertEquals("a", h.from());
        assertEquals(FILES, files(), "no file of the round is deleted");
        assertEquals(0, nodes.counter("b", "tandem_mirror_deletions_total"));
    }

    @Test
    void aMassDeletionInSeveralRoundsIsHeldOnceItAddsUpToOne() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        nodes.start("b").firstSync().get(10, TimeUnit.SECONDS);
        try (FakePeer p = FakePeer.authenticated(nodes.address("b"), "a", KEY)) {
            List<Entry> given = give(p);
            int[] next = {0};
            for (int i = 0; i < FILES; i += 5) {
                long round = 2 + i / 5;
                p.send(Messages.offer(round, deletions(given, i, i + 5), 0, next));
                p.send(Messages.offerEnd(round, false));
                assertInstanceOf(Messages.Done.class, p.receive());
            }
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> !nodes.get("b").statusNow().held().isEmpty());
        MirrorStatus.HeldDeletion h = nodes.get("b").statusNow().held().get(0);
        // 5 and 10 of 20 pass (ten is the threshold); the third batch makes 15 of 20 within the window
        assertEquals(10, files(), "the batches after the one that tipped the window are held too");
        assertEquals(10, h.files());
        assertEquals(FILES, h.filesThen());
        assertTrue(nodes.get("b").statusNow().held().size() == 1);
    }
}
