package dev.tandem.node.reload;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watcher settles on the config file's own events: a neighbour written many times a second (the demo's
 * access log beside the config) never holds an edit back, and one edit is one call.
 */
class ConfigWatcherTest {

    private static final Duration QUIET = Duration.ofMillis(300);

    @TempDir
    Path dir;

    /** Appends to {@code file} every 20 ms until stopped or 20 s have passed (50 writes a second). */
    private static Thread busy(Path file, AtomicBoolean stop) {
        Thread t = new Thread(() -> {
            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            int i = 0;
            while (!stop.get() && System.nanoTime() < end) {
                try {
                    Files.writeString(file, "GET /" + i++ + " 200\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
                    Thread.sleep(20); // the neighbour's pace, not a wait for a condition
                } catch (Exception e) {
                    return;
                }
            }
        }, "busy-neighbour");
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void anEditIsSeenWhileANeighbourIsWrittenAllTheTime() throws Exception {
        Path config = dir.resolve("tandem.yaml");
        Files.writeString(config, "a: 1\n");
        AtomicInteger calls = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        try (ConfigWatcher w = ConfigWatcher.start(config, QUIET, calls::incrementAndGet)) {
            Thread neighbour = busy(dir.resolve("access.log"), stop);
            try {
                // The neighbour alone never calls.
                await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> calls.get() == 0);
                Path temp = dir.resolve(".tandem.yaml.tmp");
                Files.writeString(temp, "a: 2\n");
                Files.move(temp, config, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                long edited = System.nanoTime();
                // Generous for a busy machine; before, the directory never went quiet and no call came while
                // the neighbour was written.
                await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() >= 1);
                assertTrue(neighbour.isAlive(), "the neighbour was still being written when the edit was seen");
                long ms = Duration.ofNanos(System.nanoTime() - edited).toMillis();
                assertTrue(ms < 5000, "seen after " + ms + " ms");
                // One edit, one call, however long the neighbour goes on.
                await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> calls.get() == 1);
            } finally {
                stop.set(true);
                neighbour.join(5000);
            }
        }
        assertEquals(1, calls.get());
    }

    @Test
    void aBurstOfWritesToTheFileIsOneCall() throws Exception {
        Path config = dir.resolve("tandem.yaml");
        Files.writeString(config, "a: 1\n");
        AtomicInteger calls = new AtomicInteger();
        try (ConfigWatcher w = ConfigWatcher.start(config, QUIET, calls::incrementAndGet)) {
            for (int i = 0; i < 5; i++) {
                Files.writeString(config, "a: " + i + "\n");
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() >= 1);
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> calls.get() == 1);
        }
    }
}
