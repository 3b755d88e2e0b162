package dev.tandem.node.log;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Lets the first {@code burst} log lines of one kind through in each window and holds back the rest, counting
 * them; the first line let through after a held-back stretch carries the count. A kind is what the line says
 * before its arguments are filled in (the logger and the message pattern), so a failure repeated for every
 * request ("upstream 'web' ... failed for GET /a", ".../b") is one kind, however its details vary.
 *
 * <p>Not thread-safe on its own: its caller (the log encoder) calls it under the appender's lock.
 */
public final class RepeatLimiter {

    /** What to do with one line: drop it (held), or write it, saying how many like it were held before it. */
    public record Decision(boolean write, long heldBefore) {
        public static final Decision HELD = new Decision(false, 0);
        public static final Decision WRITE = new Decision(true, 0);
    }

    private static final int MAX_KINDS = 10_000;

    private final int burst;
    private final long windowNanos;
    private final LongSupplier nanoClock;
    private final Map<String, Window> windows = new HashMap<>();

    private static final class Window {
        long start;
        int written;
        long held;
    }

    /**
     * @param burst       lines of one kind written per window
     * @param windowNanos the window's length
     * @param nanoClock   {@code System::nanoTime}, or a test's clock
     */
    public RepeatLimiter(int burst, long windowNanos, LongSupplier nanoClock) {
        this.burst = burst;
        this.windowNanos = windowNanos;
        this.nanoClock = nanoClock;
    }

    public Decision decide(String kind) {
        long now = nanoClock.getAsLong();
        Window w = windows.get(kind);
        if (w == null) {
            if (windows.size() >= MAX_KINDS) {
                forgetQuietKinds(now);
            }
            w = new Window();
            w.start = now;
            windows.put(kind, w);
        } else if (now - w.start >= windowNanos) {
            long held = w.held;
            w.start = now;
            w.written = 1;
            w.held = 0;
            return held == 0 ? Decision.WRITE : new Decision(true, held);
        }
        if (w.written < burst) {
            w.written++;
            return Decision.WRITE;
        }
        w.held++;
        return Decision.HELD;
    }

    /** Bounds the memory a flood of distinct messages takes: kinds whose window is over and held nothing go. */
    private void forgetQuietKinds(long now) {
        for (Iterator<Window> it = windows.values().iterator(); it.hasNext(); ) {
            Window w = it.next();
            if (now - w.start >= windowNanos && w.held == 0) {
                it.remove();
            }
        }
        if (windows.size() >= MAX_KINDS) {
            windows.clear();
        }
    }
}
