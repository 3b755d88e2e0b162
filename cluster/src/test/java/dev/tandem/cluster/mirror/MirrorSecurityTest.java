package dev.tandem.cluster.mirror;

import static dev.tandem.cluster.mirror.MirrorNodes.read;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.cluster.mirror.internal.Entry;
import dev.tandem.cluster.mirror.internal.EntryKey;
import dev.tandem.cluster.mirror.internal.Handshake;
import dev.tandem.cluster.mirror.internal.Messages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a hostile or broken peer may try: b runs, the test plays the other side. */
class MirrorSecurityTest {

    private static final byte[] KEY = ClusterKeys.of(MirrorNodes.SECRET).mirrorKey();
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    @TempDir
    Path base;
    private MirrorNodes nodes;

    @AfterEach
    void stop() {
        if (nodes != null) {
            nodes.close();
        }
    }

    private Mirror startB() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        Mirror b = nodes.start("b");
        b.firstSync().get(10, TimeUnit.SECONDS);
        return b;
    }

    private static String sha256(byte[] content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    private static Entry file(String rel, byte[] content) throws Exception {
        return Entry.edit(new EntryKey("www", rel), null, "a", System.currentTimeMillis(), sha256(content), 0644,
                content.length);
    }

    private static void offer(FakePeer p, Entry... entries) throws Exception {
        int[] next = {0};
        p.send(Messages.offer(1, List.of(entries), 0, next));
        p.send(Messages.offerEnd(1, true));
    }

    private boolean noTempFiles() throws Exception {
        try (Stream<Path> files = Files.walk(nodes.dir("b"))) {
            return files.noneMatch(f -> f.getFileName().toString().contains(".tandem-mirror-"));
        }
    }

    @Test
    void connectionsWithoutTheKeyAreRefusedAndCounted() throws Exception {
        startB();
        // not the protocol at all
        try (FakePeer p = FakePeer.raw(nodes.address("b"))) {
            p.writeRaw("GET / HTTP/1.1\r\nHost: b\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(p.closedByListener());
        }
        // the protocol, another key: the listener's MAC does not check out here, and ours does not there
        byte[] otherKey = ClusterKeys.of("not the cluster secret, 32 bytes".getBytes()).mirrorKey();
        assertThrows(Handshake.Refused.class, () -> FakePeer.authenticated(nodes.address("b"), "a", otherKey));
        try (FakePeer p = FakePeer.raw(nodes.address("b"))) {
            Handshake h = new Handshake(otherKey, true, "a");
            ByteBuf b = Unpooled.buffer();
            try {
                h.writeClientHello(b);
                p.writeFrame(b);
                b.clear();
                p.readFrame(b);
                assertThrows(Handshake.Refused.class, () -> h.readServerHello(b));
                b.clear();
                h.writeClientFinish(b);
                p.writeFrame(b);
            } finally {
                b.release();
            }
            assertTrue(p.closedByListener());
        }
        // the key, but a name that is not a node
        assertThrows(Exception.class, () -> FakePeer.authenticated(nodes.address("b"), "mallory", KEY));
        // a frame of a gigabyte announced during the handshake
        try (FakePeer p = FakePeer.raw(nodes.address("b"))) {
            p.writeRaw(new byte[]{0x40, 0, 0, 0});
            assertTrue(p.closedByListener());
        }
        await().atMost(5, TimeUnit.SECONDS).until(() ->
                nodes.counter("b", "tandem_mirror_rejected_total", "reason", "unauthenticated") >= 4);

        // the key and a node name: accepted; then a frame tampered with on the way: the connection ends
        try (FakePeer p = FakePeer.authenticated(nodes.address("b"), "a", KEY)) {
            p.writeRaw(new byte[]{0, 0, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20});
            assertTrue(p.closedByListener());
        }
        await().atMost(5, TimeUnit.SECONDS).until(() ->
                nodes.counter("b", "tandem_mirror_rejected_total", "reason", "bad_frame") >= 1);
        try (Stream<Path> files = Files.list(nodes.www("b"))) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void aTransferCutMidFileLeavesNoPartialFile() throws Exception {
        startB();
        byte[] content = new byte[1024 * 1024];
        new Random(7).nextBytes(content);
        Entry big = file("big.bin", content);
        Path target = nodes.www("b").resolve("big.bin");
        try (FakePeer p = FakePeer.authenticated(nodes.address("b"), "a", KEY)) {
            offer(p, big);
            Messages.Want want = assertInstanceOf(Messages.Want.class, p.receive());
            assertEquals(big.key(), want.items().get(0).key());
            p.send(Messages.fileStart(big));
            p.sendData(content, 0, 64 * 1024);
            p.sendData(content, 64 * 1024, 64 * 1024);
            // half of it written to a temporary file beside the target...
            await().atMost(5, TimeUnit.SECONDS).until(() -> !noTempFiles());
            assertFalse(Files.exists(target));
            // the progress of the sync moves with the bytes of the file under way, not only file by file
            await().atMost(5, TimeUnit.SECONDS).until(() -> {
                MirrorStatus.Progress g = nodes.get("b").statusNow().peers().stream().filter(x -> x.node().equals("a"))
                        .findFirst().orElseThrow().receivingProgress();
                return g != null && g.filesDone() == 0 && g.filesTotal() == 1 && g.bytesDone() == 128 * 1024
                        && g.bytesTotal() == content.length;
            });
            p.reset();
        }
        // ...and nothing left of it once the connection is gone
        await().atMost(5, TimeUnit.SECONDS).until(this::noTempFiles);
        assertFalse(Files.exists(target));

        // the same file, whole, on a new connection
        try (FakePeer p = FakePeer.authenticated(nodes.address("b"), "a", KEY)) {
            offer(p, big);
            assertInstanceOf(Messages.Want.class, p.receive());
            p.send(Messages.fileStart(big));
            for (int i = 0; i < content.length; i += 64 * 1024) {
                p.sendData(content, i, 64 * 1024);
            }
            p.send(Messages.fileEnd());
            assertInstanceOf(Messages.Done.class, p.receive());
        }
        assertTrue(java.util.Arrays.equals(content, Files.readAllBytes(target)));
        assertEquals(1, nodes.counter("b", "tandem_mirror_files_total", "direction", "received"));
    }

    @Test
    void aReceiverThatCrashesMidFileKeepsNothingOfItAfterItsRestart() throws Exception {
        startB();
        // larger than what is received in memory: it streams to a temporary file beside the target
        byte[] content = "x".repeat(dev.tandem.cluster.mirror.internal.MirrorEngine.SMALL_FILE * 2).getBytes(StandardCharsets.US_ASCII);
        Entry e = file("page.html", content);
        Files.writeString(nodes.www("b").resolve("page.html"), "old");
        try (FakePeer p = FakePeer.authenticated(nodes.address("b"), "a", KEY)) {
            // b's own page.html is version 1@b; a's 1@a with another content: concurrent... make a's include b's
            Entry later = new Entry(e.key(), 2, "a", dev.tandem.cluster.mirror.internal.VersionVector.of(
                    java.util.Map.of("a", 2L, "b", 1L)), e.changedAt(), e.hash(), false, 0644, content.length);
            offer(p, later);
            assertInstanceOf(Messages.Want.class, p.receive());
            p.send(Messages.fileStart(later));
            p.sendData(content, 0, 100_000);
            p.sendData(content, 100_000, 100_000);
            await().atMost(5, TimeUnit.SECONDS).until(() -> !noTempFiles());
            nodes.halt("b");
        }
        assertEquals("old", read(nodes.www("b").resolve("page.html")), "the old version, whole");
        assertFalse(noTempFiles(), "a crash leaves the temporary file");
        nodes.start("b").firstSync().get(10, TimeUnit.SECONDS);
        assertTrue(noTempFiles(), "removed at the next start");
        assertEquals("old", read(nodes.www("b").resolve("page.html")));
    }

    @Test
    void contentThatIsNotWhatItsVersionSaysIsDropped() throws Exception {
        startB();
        byte[] content = "the real thing".getBytes(StandardCharsets.US_ASCII);
        Entry e = file("lie.txt", content);
        try (FakePeer p = FakePeer.authenticated(nodes.address("b"), "a", KEY)) {
            offer(p, e);
            assertInstanceOf(Messages.Want.class, p.receive());
            p.send(Messages.fileStart(e));
            byte[] other = "the fake thing".getBytes(StandardCharsets.US_ASCII);
            p.sendData(other, 0, other.length);
            p.send(Messages.fileEnd());
            assertInstanceOf(Messages.Done.class, p.receive());
        }
        assertFalse(Files.exists(nodes.www("b").resolve("lie.txt")));
        assertTrue(noTempFiles());
        assertEquals(1, nodes.counter("b", "tandem_mirror_rejected_total", "reason", "hash_mismatch"));
    }

    @Test
    void pathsOutsideTheRootAreRefused() throws Exception {
        startB();
        Path outside = Files.createDirectories(base.resolve("outside"));
        Files.createSymbolicLink(nodes.www("b").resolve("link"), outside);
        byte[] content = "pwned".getBytes(StandardCharsets.US_ASCII);
        Entry up = file("../../outside/evil.txt", content);
        Entry through = file("link/evil.txt", content);
        try (FakePeer p = FakePeer.authenticated(nodes.address("b"), "a", KEY)) {
            offer(p, up, through);
            Messages.Want want = assertInstanceOf(Messages.Want.class, p.receive());
            assertEquals(List.of(through.key()), want.items().stream().map(Messages.Wanted::key).toList());
            p.send(Messages.fileStart(through));
            p.sendData(content, 0, content.length);
            p.send(Messages.fileEnd());
            assertInstanceOf(Messages.Done.class, p.receive());
        }
        try (Stream<Path> files = Files.list(outside)) {
            assertEquals(0, files.count());
        }
        assertEquals(2, nodes.counter("b", "tandem_mirror_rejected_total", "reason", "unsafe_path"));
    }
}
