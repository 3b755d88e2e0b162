package dev.tandem.health;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Passive failure accounting for one server, as nginx's {@code max_fails}/{@code fail_timeout}:
 * {@code maxFails} failed attempts within {@code failTimeout} take the server out of rotation for
 * {@code failTimeout}; a success clears the count.
 *
 * <p>While every server of an upstream serves a penalty, nginx answers "no live upstreams" at once, and so does
 * Tandem, but for a trickle of probes ({@link #tryProbe}): the first request after the penalty starts goes to the
 * server, then one after 1 ms, 2 ms, 4 ms and so on, at most a second apart, until the penalty ends. A
 * server that refused once (a restart) is used again by the very next request, a dead one costs a connection
 * attempt a second instead of one per request, and one that comes back is found within a second; a probe that
 * succeeds lifts the penalty ({@link #probeSucceeded}).
 *
 * <p>Read on every balancing decision and written by every event loop, so it is lock-free: the window
 * start, the count, the end of the penalty and the time of the next probe are each one atomic word. Races
 * between loops can at worst miscount a failure at a window boundary, which the heuristic tolerates; the next
 * probe is taken by compare-and-set, so two loops never probe in the same gap.
 */
public final class PassiveFailures {

    /** {@link #downUntil} value meaning "not penalised". */
    private static final long NONE = 0;
    /** The gap after the first probe of a penalty; each further probe doubles it. */
    static final long FIRST_PROBE_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** The widest gap between probes: a server that comes back is used again within a second. */
    static final long MAX_PROBE_GAP_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final AtomicLong windowStart = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong downUntil = new AtomicLong(NONE);
    /** While penalised: the {@link System#nanoTime} from which the next probe may go. */
    private final AtomicLong nextProbe = new AtomicLong();
    /** The gap the last probe of this penalty reserved after itself; 0 before the first. */
    private final AtomicLong probeGap = new AtomicLong();

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
            // The first probe may go at once: a server that refused once is tried again by the next request.
            probeGap.set(0);
            nextProbe.set(nanoTime);
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

    /**
     * True when a request may probe the server at {@code nanoTime}: it is not penalised, or its next probe is due.
     * Looks only; {@link #tryProbe} takes the probe.
     */
    public boolean mayProbe(long nanoTime) {
        return !isDown(nanoTime) || nanoTime - nextProbe.get() >= 0;
    }

    /**
     * Takes the probe due at {@code nanoTime}, if any, for one request, and puts the next one further off: twice
     * the last gap, from 1 ms up to a second. A server not penalised needs no probe: true.
     *
     * @return true when the request may go to the server
     */
    public boolean tryProbe(long nanoTime) {
        if (!isDown(nanoTime)) {
            return true;
        }
        long next = nextProbe.get();
        if (nanoTime - next < 0) {
            return false;
        }
        long gap = Math.min(Math.max(FIRST_PROBE_GAP_NANOS, probeGap.get() * 2), MAX_PROBE_GAP_NANOS);
        if (!nextProbe.compareAndSet(next, nanoTime + gap)) {
            // Another event loop took this probe.
            return false;
        }
        probeGap.set(gap);
        return true;
    }

    /** A request sent while the server was penalised (a probe) was answered: the server is back, the penalty ends. */
    public void probeSucceeded() {
        clear();
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
