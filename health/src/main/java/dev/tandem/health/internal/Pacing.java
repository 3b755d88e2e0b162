package dev.tandem.health.internal;

import java.util.random.RandomGenerator;

/**
 * When a server's next check starts. The first waits a random part of the interval and each interval is
 * stretched or shrunk by up to {@value #JITTER_PERCENT}%, so the checks of many servers (and of the nodes of
 * a cluster, which check the same servers) spread out instead of firing together; on average a server is
 * still checked once per interval.
 */
final class Pacing {

    static final int JITTER_PERCENT = 10;

    private Pacing() {
    }

    /** Delay before the first check: uniform in {@code [0, interval)}. */
    static long firstDelay(long intervalNanos, RandomGenerator random) {
        return random.nextLong(Math.max(1, intervalNanos));
    }

    /**
     * Delay from the end of a check to the start of the next: one jittered interval after the previous check
     * started, or none when that check took longer (checks never overlap).
     *
     * @param elapsedNanos how long the check that just ended took
     */
    static long nextDelay(long intervalNanos, long elapsedNanos, RandomGenerator random) {
        long jitter = intervalNanos * JITTER_PERCENT / 100;
        long jittered = intervalNanos + (jitter > 0 ? random.nextLong(-jitter, jitter + 1) : 0);
        return Math.max(0, jittered - elapsedNanos);
    }
}
