package dev.tandem.cluster.mirror;

import static dev.tandem.cluster.mirror.MirrorNodes.read;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.cluster.mirror.internal.MirrorMetrics;
import dev.tandem.cluster.mirror.internal.Ownership;
import dev.tandem.conf.MirrorLimits;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Links, owners and limits, between mirror nodes in this process over loopback. */
class MirrorFilesTest {

    @TempDir
    Path base;
    private MirrorNodes nodes;

    @AfterEach
    void stop() {
        if (nodes != null) {
            nodes.close();
        }
    }

    /** Points {@code link} at {@code target} the way certbot does: a new link, renamed over the old one. */
    private static void flip(Path link, String target) throws Exception {
        Path tmp = link.resolveSibling(link.getFileName() + ".new");
        Files.createSymbolicLink(tmp, Path.of(target));
        Files.move(tmp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String linkTarget(Path p) {
        try {
            return Files.isSymbolicLink(p) ? Files.readSymbolicLink(p).toString() : null;
        } catch (Exception e) {
            return null;
        }
    }

    @Test
    void aCertbotRenewalReachesThePeerAsLinksAndTheFlippedLinkNeverDangles() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        Path archive = Files.createDirectories(nodes.certs("a").resolve("archive/example.com"));
        Path live = Files.createDirectories(nodes.certs("a").resolve("live/example.com"));
        Files.writeString(archive.resolve("cert1.pem"), "cert one");
        Files.writeString(archive.resolve("privkey1.pem"), "key one");
        Files.createSymbolicLink(live.resolve("cert.pem"), Path.of("../../archive/example.com/cert1.pem"));
        Files.createSymbolicLink(live.resolve("privkey.pem"), Path.of("../../archive/example.com/privkey1.pem"));
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();
        Path peerCert = nodes.certs("b").resolve("live/example.com/cert.pem");
        await().atMost(10, TimeUnit.SECONDS).until(() -> "cert one".equals(read(peerCert)));
        assertEquals("../../archive/example.com/cert1.pem", linkTarget(peerCert), "a link, with its target text");
        nodes.awaitInSync();

        // the renewal: new files in archive/, the links in live/ flipped to them
        AtomicBoolean dangled = new AtomicBoolean();
        Files.writeString(archive.resolve("cert2.pem"), "cert two");
        Files.writeString(archive.resolve("privkey2.pem"), "key two");
        flip(live.resolve("cert.pem"), "../../archive/example.com/cert2.pem");
        flip(live.resolve("privkey.pem"), "../../archive/example.com/privkey2.pem");
        await().atMost(10, TimeUnit.SECONDS).pollInterval(java.time.Duration.ofMillis(1)).until(() -> {
            String t = linkTarget(peerCert);
            if (t != null && !Files.exists(peerCert)) {
                dangled.set(true);
            }
            return "cert two".equals(read(peerCert))
                    && "key two".equals(read(nodes.certs("b").resolve("live/example.com/privkey.pem")));
        });
        assertFalse(dangled.get(), "the link is flipped once what it points to is there");
        assertTrue(nodes.fileEvents.get("b").contains(peerCert), "the node is told of the flipped link");
        nodes.awaitInSync();
        assertTrue(Files.isRegularFile(nodes.certs("b").resolve("archive/example.com/cert1.pem")), "the old ones stay");

        // a tracked file replaced by a link is a link on the peer, not a deletion
        Files.writeString(nodes.www("a").resolve("page.html"), "page");
        await().atMost(10, TimeUnit.SECONDS).until(() -> "page".equals(read(nodes.www("b").resolve("page.html"))));
        Files.writeString(nodes.www("a").resolve("other.html"), "other");
        flip(nodes.www("a").resolve("page.html"), "other.html");
        await().atMost(10, TimeUnit.SECONDS).until(() -> "other.html".equals(linkTarget(nodes.www("b").resolve("page.html"))));
        assertEquals("other", read(nodes.www("b").resolve("page.html")));
        assertEquals(0, nodes.counter("b", "tandem_mirror_deletions_total"));
    }

    @Test
    void aLinkOutOfTheMirroredPathsIsNeitherSentNorForgottenAndReported() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();
        Files.writeString(nodes.www("a").resolve("index.html"), "index");
        Files.createSymbolicLink(nodes.www("a").resolve("passwd"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(nodes.www("a").resolve("up"), Path.of("../../b/www/index.html"));
        await().atMost(10, TimeUnit.SECONDS).until(() -> "index".equals(read(nodes.www("b").resolve("index.html"))));
        await().atMost(10, TimeUnit.SECONDS).until(() -> nodes.get("a").statusNow().refused().size() == 2);
        nodes.get("a").scanNow().get(10, TimeUnit.SECONDS);
        assertFalse(Files.exists(nodes.www("b").resolve("passwd"), LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(nodes.www("b").resolve("up"), LinkOption.NOFOLLOW_LINKS));
        MirrorStatus.Refusal r = nodes.get("a").statusNow().refused().stream()
                .filter(x -> x.path().endsWith("passwd")).findFirst().orElseThrow();
        assertEquals(MirrorMetrics.LINK_OUTSIDE, r.reason());
        assertTrue(r.detail().contains("/etc/passwd"), r.detail());
        assertEquals(2, nodes.counter("a", "tandem_mirror_rejected_total", "reason", MirrorMetrics.LINK_OUTSIDE),
                "each counted once, not at every scan");
        // absolute, into a's own root: sent, but on b it leads out of b's paths, and b refuses it
        Path abs = nodes.www("a").resolve("index.html").toRealPath();
        Files.createSymbolicLink(nodes.www("a").resolve("absolute"), abs);
        await().atMost(10, TimeUnit.SECONDS).until(() -> nodes.get("b").statusNow().refused().stream()
                .anyMatch(x -> x.path().endsWith("absolute") && "a".equals(x.from())
                        && x.reason().equals(MirrorMetrics.LINK_OUTSIDE)));
        assertFalse(Files.exists(nodes.www("b").resolve("absolute"), LinkOption.NOFOLLOW_LINKS));
        assertEquals(1, nodes.counter("b", "tandem_mirror_rejected_total", "reason", MirrorMetrics.LINK_OUTSIDE));
        // pointed inside again: sent, and no longer refused
        flip(nodes.www("a").resolve("passwd"), "index.html");
        await().atMost(10, TimeUnit.SECONDS).until(() -> "index".equals(read(nodes.www("b").resolve("passwd"))));
        await().atMost(10, TimeUnit.SECONDS).until(() -> nodes.get("a").statusNow().refused().size() == 1);
    }

    @Test
    void aFileOverALimitIsRefusedOnTheSenderAndOnTheReceiverAndNothingOfItIsWritten() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        nodes.limits.put("a", new MirrorLimits(1000, 100, 100_000));
        nodes.limits.put("b", new MirrorLimits(100_000, 2, 100_000));
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();
        Files.write(nodes.www("a").resolve("big.bin"), new byte[1001]);
        Files.write(nodes.www("a").resolve("ok.bin"), new byte[1000]);
        await().atMost(10, TimeUnit.SECONDS).until(() -> Files.exists(nodes.www("b").resolve("ok.bin")));
        nodes.get("a").scanNow().get(10, TimeUnit.SECONDS);
        assertFalse(Files.exists(nodes.www("b").resolve("big.bin")));
        MirrorStatus.Refusal r = nodes.get("a").statusNow().refused().get(0);
        assertEquals(MirrorMetrics.FILE_TOO_LARGE, r.reason());
        assertTrue(r.path().endsWith("big.bin") && r.detail().contains("file_size") && r.from() == null, r.toString());
        assertEquals(1, nodes.counter("a", "tandem_mirror_rejected_total", "reason", MirrorMetrics.FILE_TOO_LARGE));

        // b holds at most 2 files in www: the third is not asked for, and b says why
        Files.write(nodes.www("a").resolve("two.bin"), new byte[10]);
        Files.write(nodes.www("a").resolve("three.bin"), new byte[10]);
        await().atMost(10, TimeUnit.SECONDS).until(() -> nodes.get("b").statusNow().refused().stream()
                .anyMatch(x -> x.reason().equals(MirrorMetrics.TOO_MANY_FILES) && "a".equals(x.from())));
        // (the refusal is decided on the offer; the file that was admitted may still be on its way)
        await().during(1, TimeUnit.SECONDS).atMost(10, TimeUnit.SECONDS).until(() -> {
            try (Stream<Path> files = Files.list(nodes.www("b"))) {
                return files.count() == 2;
            }
        });
        assertEquals(1, nodes.counter("b", "tandem_mirror_rejected_total", "reason", MirrorMetrics.TOO_MANY_FILES));
    }

    @Test
    void ownersTravelByNameWhenTheReceiverMayApplyThem() throws Exception {
        assumeTrue(Ownership.ofThisProcess().mayChown(), "giving files away needs root");
        UserPrincipalLookupService names = base.getFileSystem().getUserPrincipalLookupService();
        nodes = new MirrorNodes(base, "a", "b");
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();
        Path f = nodes.www("a").resolve("owned.html");
        Files.writeString(f, "owned");
        Files.setOwner(f, names.lookupPrincipalByName("nobody"));
        Path peer = nodes.www("b").resolve("owned.html");
        await().atMost(10, TimeUnit.SECONDS).until(() -> Files.exists(peer)
                && "nobody".equals(Files.getOwner(peer).getName()));
        nodes.awaitInSync();
        // a change of owner alone is a change
        Files.setOwner(f, names.lookupPrincipalByName("daemon"));
        await().atMost(10, TimeUnit.SECONDS).until(() -> "daemon".equals(Files.getOwner(peer).getName()));
        assertEquals("owned", read(peer));
    }
}
