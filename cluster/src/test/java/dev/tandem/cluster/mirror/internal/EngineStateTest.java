package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.MirrorLimits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;

import java.time.Duration;



import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine's durations (a sync's progress and length) on the engine's clock, which the test moves. */
class EngineStateTest {

    @TempDir
    Path base;
    private final MovedClock clock = new MovedClock();
    /** The engine's monotonic time, moved by the test apart from the wall clock. */
    private long ticks = 1_000_000_000L;
    private EngineState state;

    @BeforeEach
    void setUp() throws Exception {
        Roots roots = new Roots(Map.of("www", Files.createDirectories(base.resolve("www"))));
        state = new EngineState("lb1", roots, new StateFile(base.resolve("state")), null, null, null,
                new MirrorMetrics(new SimpleMeterRegistry()), clock, () -> ticks, new RootLimits(MirrorLimits.DEFAULT),
                DeletionGuard.Limits.DEFAULT, List.of("lb2"));
    }

    private static Entry file(int i) {
        return Entry.edit(new EntryKey("www", "f" + i), null, "lb2", 1, "ab".repeat(32), 0644, 10);
    }

    @Test
    void aSyncsProgressAndLengthAreOnTheEnginesClock() {
        InboundState.Session st = new InboundState.Session(null, "lb2");
        state.book.opened(st);
        for (int i = 0; i < RoundBook.LOGGED_SYNC; i++) {
            state.book.ask(st, file(i));
        }
        assertFalse(state.book.progressDue(st));
        ticks += EngineState.PROGRESS_LOG_EVERY.plusMillis(1).toNanos();
        assertTrue(state.book.progressDue(st), "its progress is logged once the engine's ticker says so");
        ticks += Duration.ofMinutes(2).toNanos();
        for (int i = 0; i < RoundBook.LOGGED_SYNC; i++) {
            state.book.ended(file(i).key(), file(i), true);
        }
        List<RoundBook.Ready> ready = state.book.roundEnded(st, 1, true);
        assertEquals(EngineState.PROGRESS_LOG_EVERY.plusMinutes(2).toMillis() + 1, ready.get(0).completeMillis());
    }

    @Test
    void aWallClockSteppedBackOrForwardDoesNotMoveTheEnginesDurations() {
        long t0 = state.nanos();
        clock.now = clock.now.minus(Duration.ofHours(1));
        assertEquals(0, state.nanos() - t0, "a wall clock set back an hour is not a duration");
        clock.now = clock.now.plus(Duration.ofHours(3));
        assertEquals(0, state.nanos() - t0, "nor one set forward");
        ticks += 1_500_000_000L;
        assertEquals(1_500_000_000L, state.nanos() - t0);
    }
}
