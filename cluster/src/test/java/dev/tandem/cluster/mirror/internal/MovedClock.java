package dev.tandem.cluster.mirror.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A wall clock and a monotonic ticker that stand still until the test moves them. */
final class MovedClock extends Clock {

    volatile Instant now = Instant.parse("2026-03-01T12:00:00Z");
    /** The engine's monotonic time ({@link EngineState#nanos}). */
    volatile long ticks = 1_000_000_000L;

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return now;
    }

    /** Moves both, forward. */
    void move(Duration d) {
        now = now.plus(d);
        ticks += d.toNanos();
    }

    long nanos() {
        return ticks;
    }
}
