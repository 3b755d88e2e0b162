package dev.tandem.cluster.mirror;

import static dev.tandem.cluster.mirror.MirrorNodes.read;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stranger (127.0.0.1, not a node's address) floods b's mirror port with hundreds of connections at once:
 * silent ones, garbage, handshakes that stop half-way. The peers keep syncing: a restarted node gets back in,
 * and edits made on either node arrive on the other. The strangers are refused as they are accepted, before
 * any handshake work.
 */
class MirrorFloodTest {

    /** Generous for a busy machine: an edit arrives within a second when all is well. */
    private static final Duration EDIT_ARRIVES = Duration.ofSeconds(10);

    @TempDir
    Path base;
    private MirrorNodes nodes;

    @AfterEach
    void stop() {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void peersKeepSyncingWhileAStrangerFloodsTheMirrorPort() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        nodes.start("a");
        nodes.start("b");
        nodes.awaitFirstSync();

        try (PortFlooder flood = new PortFlooder(nodes.address("b"), InetAddress.getByName("127.0.0.1"), 2, 40_000,
                Duration.ofSeconds(60)).start()) {
            // The flood is under way: more connections than the listener would ever hold in their handshake.
            await().atMost(20, TimeUnit.SECONDS).until(() -> flood.opened() > 200);

            // a restarts, and must get through to b for its first sync.
            nodes.stop("a");
            Files.writeString(nodes.www("b").resolve("while-a-was-down.txt"), "from b");
            Mirror a = nodes.start("a");
            assertEquals("synced with b", a.firstSync().get(30, TimeUnit.SECONDS));

            for (int i = 0; i < 3; i++) {
                String fromA = "from a " + i;
                String fromB = "from b " + i;
                Files.writeString(nodes.www("a").resolve("a-" + i + ".txt"), fromA);
                Files.writeString(nodes.www("b").resolve("b-" + i + ".txt"), fromB);
                Path onB = nodes.www("b").resolve("a-" + i + ".txt");
                Path onA = nodes.www("a").resolve("b-" + i + ".txt");
                await().atMost(EDIT_ARRIVES).until(() -> fromA.equals(read(onB)) && fromB.equals(read(onA)));
            }
            assertEquals("from b", read(nodes.www("a").resolve("while-a-was-down.txt")));
            assertTrue(flood.flooding(), "the flood went on all along (opened " + flood.opened() + ")");
        }
        // Refused at accept, counted; none of them got as far as a handshake.
        assertTrue(nodes.counter("b", "tandem_mirror_connections_refused_total", "reason", "stranger") > 200);
        assertEquals(0.0, nodes.counter("b", "tandem_mirror_rejected_total", "reason", "unauthenticated"));
    }
}
