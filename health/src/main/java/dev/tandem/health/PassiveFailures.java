package dev.tandem.health;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Passive failure accounting for one server, as nginx's {@code max_fails}/{@code fail_timeout}:
 * {@code maxFails} failed attempts within {@code failTimeout} take the server out of rotation for
 * {@code failTimeout}; a success clears the count.
 *
 * <p>Read on every balancing decision and written by every event loop, so it is lock-free: the window
 * start, the count and the end of the penalty are each one atomic word. Races between loops can at
 * worst miscount a failure at a window boundary, which the heuristic tolerates.
 */
public final class PassiveFailures {

    /** {@link #downUntil} value meaning "not penalised". */
    private static final long NONE = 0;

    private final AtomicLong windowStart = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong downUntil = new AtomicLong(NONE);

    /**
     * Records a failed attempt at {@code nanoTime}.
     *
     * @return true when this failure took the server out of rotation
     */
    public boolean recordFailure(long nanoTime, int maxFails, long failTimeoutNanos) {
        if (maxFails <= 0) {
            return false;
        }
        if (failures.get() == 0 || nanoTime - windowStart.get() > failTimeoutNanos) {
            windowStart.set(nanoTime);
            failures.set(0);
        }
        if (failures.incrementAndGet() >= maxFails && !isDown(nanoTime)) {
            long until = nanoTime + failTimeoutNanos;
            downUntil.set(until == NONE ? 1 : until);
            failures.set(0);
            return true;
        }
        return false;
    }

    /** Records a successful exchange: the failure count starts again from zero. */
    public void recordSuccess() {
        if (failures.get() != 0) {
            failures.set(0);
        }
    }

    /** Lifts the penalty and forgets the failures counted (the server was found healthy by other means). */
    public void clear() {
        downUntil.set(NONE);
        failures.set(0);
    }

    /** True while the server serves out its penalty. */
    public boolean isDown(long nanoTime) {
        long until = downUntil.get();
        return until != NONE && nanoTime - until < 0;
    }

    /**
     * The {@link System#nanoTime} at which the current penalty ends, for status pages; meaningful only while
     * {@link #isDown} says so.
     */
    public long downUntil() {
        return downUntil.get();
    }

    /** Failures counted in the current window. */
    public long failures() {
        return failures.get();
    }
}
