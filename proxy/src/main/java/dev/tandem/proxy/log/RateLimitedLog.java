package dev.tandem.proxy.log;

import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decides which of many like events make a log line: the first for a key at once, then at most one per key
 * per {@code every}, which says how many events it stands for. A dead server fails every request sent to it;
 * the operator must see that, but not as thousands of lines a second that bury everything else and cost
 * more CPU than the failures themselves.
 *
 * <p>Pure (the caller passes the time) and thread-safe without locks: the event loops of a node share it. The
 * keys remembered are bounded; beyond the bound, keys quiet for {@code every} are forgotten, and an event of a
 * new key is not logged until there is room.
 *
 * @param <K> what lines are counted per (a reason, a server and a reason), with equality
 */
public final class RateLimitedLog<K> {

    /** Returned by {@link #record} when the event makes no line. */
    public static final long QUIET = 0;

    static final int MAX_KEYS = 1024;

    private static final class Tally {
        final AtomicLong lastLine;
        /** Events since the last line, this one included once it is counted. */
        final AtomicLong since = new AtomicLong();

        Tally(long nanoTime) {
            lastLine = new AtomicLong(nanoTime);
        }
    }

    private final long everyNanos;
    private final ConcurrentHashMap<K, Tally> tallies = new ConcurrentHashMap<>();

    public RateLimitedLog(Duration every) {
        this.everyNanos = every.toNanos();
    }

    /**
     * Counts one event of {@code key} at {@code nanoTime}.
     *
     * @return {@link #QUIET} when no line is due; else the events the line to log now stands for (1 for the
     *         first of its key, else those since the previous line, this one included)
     */
    public long record(K key, long nanoTime) {
        Tally t = tallies.get(key);
        if (t == null) {
            if (tallies.size() >= MAX_KEYS) {
                forgetQuiet(nanoTime);
                if (tallies.size() >= MAX_KEYS) {
                    return QUIET;
                }
            }
            Tally fresh = new Tally(nanoTime);
            t = tallies.putIfAbsent(key, fresh);
            if (t == null) {
                return 1;
            }
        }
        t.since.incrementAndGet();
        long last = t.lastLine.get();
        if (nanoTime - last < everyNanos || !t.lastLine.compareAndSet(last, nanoTime)) {
            // Too soon, or another thread is writing this line.
            return QUIET;
        }
        return Math.max(1, t.since.getAndSet(0));
    }

    private void forgetQuiet(long nanoTime) {
        for (Iterator<Tally> it = tallies.values().iterator(); it.hasNext(); ) {
            if (nanoTime - it.next().lastLine.get() >= everyNanos) {
                it.remove();
            }
        }
    }

    /** " (N like it since the last such line)" for a count over 1, else "": for the end of a line. */
    public static String repeats(long count) {
        return count <= 1 ? "" : " (" + count + " like it since the last such line)";
    }
}
