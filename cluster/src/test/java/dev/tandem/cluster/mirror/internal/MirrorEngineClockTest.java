package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.mirror.ConfigValidator;
import dev.tandem.cluster.mirror.MirrorStatus;
import dev.tandem.conf.MirrorLimits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import java.time.Duration;
import java.time.Instant;


import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's decisions on a clock the test moves: the guard's window as configured, a held deletion and its
 * confirmation, the first sync of a node alone, an invalid config edit. Scans are asked for, never waited for.
 */
class MirrorEngineClockTest {

    /** A clock that stands still until the test moves it. */
    @TempDir
    Path base;
    private final MovedClock clock = new MovedClock();
    private MirrorEngine engine;

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
    }

    private Path www() throws IOException {
        return Files.createDirectories(base.resolve("www"));
    }

    private MirrorEngine start(DeletionGuard.Limits limits, Path config, ConfigValidator validator) throws Exception {
        return start(limits, config, validator, Duration.ofMillis(10));
    }

    private MirrorEngine start(DeletionGuard.Limits limits, Path config, ConfigValidator validator, Duration debounce)
            throws Exception {
        Map<String, Path> roots = config == null ? Map.of("www", www()) : Map.of("www", www(), "tandem.yaml", config);
        MirrorEngine.Settings s = new MirrorEngine.Settings("lb1", List.of(), roots, base.resolve("state"), config,
                validator, debounce, Duration.ofHours(1), 1, limits, r -> true, MirrorLimits.DEFAULT);
        engine = new MirrorEngine(s, NoEvents.INSTANCE, new MirrorMetrics(new SimpleMeterRegistry()), clock, clock::nanos);
        engine.start().get(30, TimeUnit.SECONDS);
        return engine;
    }

    private void files(int from, int to) throws IOException {
        for (int i = from; i < to; i++) {
            Files.writeString(www().resolve("f" + i), "file " + i);
        }
    }

    private void delete(int from, int to) throws IOException {
        for (int i = from; i < to; i++) {
            Files.delete(www().resolve("f" + i));
        }
    }

    private boolean deleted(int i) {
        Entry e = engine.entry(new EntryKey("www", "f" + i));
        return e != null && e.deleted();
    }

    @Test
    void theGuardsWindowIsTheOneConfiguredAndTimeIsTheEnginesClock() throws Exception {
        files(0, 40);
        start(new DeletionGuard.Limits(10, 50, 60_000), null, null);
        delete(0, 10);
        engine.scanNow().get(30, TimeUnit.SECONDS);
        assertTrue(deleted(0) && deleted(9), "10 of 40: an ordinary deletion");

        clock.move(Duration.ofSeconds(59));
        delete(10, 21);
        engine.scanNow().get(30, TimeUnit.SECONDS);
        MirrorStatus st = engine.statusNow();
        assertEquals(1, st.held().size(), "21 of 40 within the minute");
        assertEquals(11, st.held().get(0).files());
        assertEquals(clock.now, st.held().get(0).since());
        assertFalse(deleted(10), "a held deletion is no version");

        assertEquals("11 file(s) of " + www() + " deleted", engine.confirmDeletion("www").get(30, TimeUnit.SECONDS));
        assertTrue(deleted(10) && deleted(20));
        assertTrue(engine.entry(new EntryKey("www", "f10")).confirmed(), "its tombstone carries the confirmation");
        assertEquals(List.of(), engine.statusNow().held());

    }

    @Test
    void aDeletionSplitAcrossScansIsHeldOnlyWithinTheWindow() throws Exception {
        files(0, 40);
        start(new DeletionGuard.Limits(10, 50, 60_000), null, null);
        delete(0, 10);
        engine.scanNow().get(30, TimeUnit.SECONDS);
        clock.move(Duration.ofSeconds(60));
        delete(10, 21);
        engine.scanNow().get(30, TimeUnit.SECONDS);
        assertEquals(List.of(), engine.statusNow().held(), "the first 10 are out of the window: 11 of 30 is no mass deletion");
        assertTrue(deleted(20));
    }

    @Test
    void aBurstThatGoesOnIsLookedAtOnceTenDebouncesHavePassedOnTheEnginesClock() throws Exception {
        start(DeletionGuard.Limits.DEFAULT, null, null, Duration.ofHours(1));
        files(0, 1);
        engine.touched(java.util.Set.of(www().resolve("f0")), false);
        // (entry waits for the engine's thread: the event is in before the clock moves)
        assertNull(engine.entry(new EntryKey("www", "f0")), "within the debounce: not looked at yet");
        clock.move(Duration.ofMinutes(30));
        files(1, 2);
        engine.touched(java.util.Set.of(www().resolve("f1")), false);
        assertNull(engine.entry(new EntryKey("www", "f0")), "within the debounce: not looked at yet");

        // ten debounces since the burst's first event: the next event has it looked at without waiting
        clock.move(Duration.ofMinutes(571));
        files(2, 3);
        engine.touched(java.util.Set.of(www().resolve("f2")), false);
        org.awaitility.Awaitility.await().atMost(30, TimeUnit.SECONDS)
                .until(() -> engine.entry(new EntryKey("www", "f2")) != null);
        assertTrue(engine.entry(new EntryKey("www", "f0")) != null && engine.entry(new EntryKey("www", "f1")) != null,
                "the whole burst");
    }

    @Test
    void aNodeWithNoPeersIsInSyncAtOnce() throws Exception {
        start(DeletionGuard.Limits.DEFAULT, null, null);
        assertTrue(engine.firstSync().isDone());
        assertFalse(engine.behind());
    }

    @Test
    void anInvalidConfigEditIsRejectedOnceAndEndsWhenTheFileIsBack() throws Exception {
        Path config = base.resolve("tandem.yaml");
        Files.writeString(config, "good\n");
        start(DeletionGuard.Limits.DEFAULT, config,
                (file, content) -> new String(content, StandardCharsets.UTF_8).startsWith("good") ? List.of()
                        : List.of(file + ":1:1: not good"));
        Entry before = engine.entry(engine.configKey());
        Instant editedAt = clock.now;
        Files.writeString(config, "bad\n");
        engine.touched(java.util.Set.of(config), false);
        org.awaitility.Awaitility.await().atMost(30, TimeUnit.SECONDS)
                .until(() -> engine.statusNow().configRejected() != null);
        MirrorStatus.Rejection r = engine.statusNow().configRejected();
        assertEquals(List.of(config + ":1:1: not good"), r.errors());
        assertEquals(editedAt, r.at());
        assertEquals(before, engine.entry(engine.configKey()), "no version");

        clock.move(Duration.ofMinutes(5));
        engine.scanNow().get(30, TimeUnit.SECONDS);
        assertEquals(editedAt, engine.statusNow().configRejected().at(), "the same content is not rejected anew");

        Files.writeString(config, "good\n");
        engine.touched(java.util.Set.of(config), false);
        org.awaitility.Awaitility.await().atMost(30, TimeUnit.SECONDS)
                .until(() -> engine.statusNow().configRejected() == null);
        assertEquals(before, engine.entry(engine.configKey()), "the content in force, its version unchanged");
        assertNull(engine.statusNow().configRefused());
    }
}
