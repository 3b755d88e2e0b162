package dev.tandem.node.wiring;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.node.reload.ReloadResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running node with a busy file beside its config (the access log, written 50 times a second): an edit is
 * in force soon, and the {@code systemctl reload} (SIGHUP) that follows it does not apply it a second time.
 */
class ReloadOnceTest {

    @TempDir
    Path dir;
    private TestBackend a;
    private TestBackend b;
    private Node node;
    private Path file;
    private final AtomicBoolean stop = new AtomicBoolean();
    private Thread neighbour;

    @BeforeEach
    void start() throws Exception {
        a = TestBackend.start("a");
        b = TestBackend.start("b");
        node = TestNodes.start(dir, TestNodes.config(TestNodes.server(a, 1), ""));
        file = dir.resolve("tandem.yaml");
        Path log = dir.resolve("access.log");
        neighbour = new Thread(() -> {
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            int i = 0;
            while (!stop.get() && System.nanoTime() < end) {
                try {
                    Files.writeString(log, "GET /" + i++ + " 200\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
                    Thread.sleep(20); // the neighbour's pace
                } catch (Exception e) {
                    return;
                }
            }
        }, "busy-neighbour");
        neighbour.setDaemon(true);
        neighbour.start();
    }

    @AfterEach
    void stop() throws Exception {
        stop.set(true);
        neighbour.join(5000);
        node.stop(Duration.ofSeconds(2));
        a.close();
        b.close();
    }

    @Test
    void anEditUnderABusyNeighbourIsAppliedSoonAndOnce() throws Exception {
        assertTrue(node.watching());
        long edited = System.nanoTime();
        TestNodes.replaceFile(file, TestNodes.config(TestNodes.server(b, 1), ""));
        // 1 s is the aim; the bound is generous for a loaded machine. Before, it never came while the
        // neighbour was written.
        await().atMost(Duration.ofSeconds(5)).until(() -> node.reloader().current().version() == 2);
        assertTrue(neighbour.isAlive(), "the neighbour was written all along");
        assertTrue(Duration.ofNanos(System.nanoTime() - edited).toMillis() < 5000);
        assertEquals("b", TestNodes.get(TestNodes.proxyUrl(node, "/")).body());

        ReloadResult hup = node.reload("SIGHUP").get(10, TimeUnit.SECONDS);
        assertEquals(ReloadResult.Outcome.UNCHANGED, hup.outcome(), hup::toString);
        assertEquals(2, node.reloader().current().version(), "the same text was applied once");
        ReloadResult api = node.reload("api").get(10, TimeUnit.SECONDS);
        assertEquals(ReloadResult.Outcome.UNCHANGED, api.outcome(), api::toString);
        assertEquals(2, node.reloader().current().version());

        // Asked for in so many words, the same text is applied again (upstream names resolved again).
        ReloadResult forced = node.reload("api", true).get(10, TimeUnit.SECONDS);
        assertEquals(ReloadResult.Outcome.APPLIED, forced.outcome(), forced::toString);
        assertEquals(3, node.reloader().current().version());
    }
}
