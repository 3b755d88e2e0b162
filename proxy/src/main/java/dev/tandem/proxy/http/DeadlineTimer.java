package dev.tandem.proxy.http;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.util.concurrent.TimeUnit;

/**
 * A timeout that restarts on activity, for one connection on its event loop. Activity only moves a
 * deadline forward; the one scheduled task notices and re-schedules itself for the remainder, so a busy
 * connection costs no scheduling per read or write. Time is the event loop's own clock, the one its
 * scheduled tasks run by.
 */
final class DeadlineTimer implements Runnable {

    private final EventExecutor executor;
    private final Ticker ticker;
    private final Runnable onExpiry;
    private ScheduledFuture<?> task;
    private long taskAt;
    private long timeoutNanos;
    private long deadline;
    private boolean armed;

    DeadlineTimer(EventExecutor executor, Runnable onExpiry) {
        this.executor = executor;
        this.ticker = executor.ticker();
        this.onExpiry = onExpiry;
    }

    /** Starts (or restarts) the timeout: it expires {@code timeoutNanos} after the last {@link #touch()}. */
    void arm(long timeoutNanos) {
        long now = ticker.nanoTime();
        this.timeoutNanos = timeoutNanos;
        this.deadline = now + timeoutNanos;
        this.armed = true;
        if (task != null && taskAt - deadline > 0) {
            task.cancel(false);
            task = null;
        }
        if (task == null) {
            schedule(now);
        }
    }

    /** Records activity: the deadline moves to one timeout from now. */
    void touch() {
        if (armed) {
            deadline = ticker.nanoTime() + timeoutNanos;
        }
    }

    void disarm() {
        armed = false;
    }

    boolean armed() {
        return armed;
    }

    /** When it expires, on the event loop's clock, while armed. */
    long deadline() {
        return deadline;
    }

    /** Disarms and drops the scheduled task; call when the connection closes. */
    void cancel() {
        armed = false;
        if (task != null) {
            task.cancel(false);
            task = null;
        }
    }

    @Override
    public void run() {
        task = null;
        if (!armed) {
            return;
        }
        long now = ticker.nanoTime();
        if (deadline - now > 0) {
            schedule(now);
        } else {
            armed = false;
            onExpiry.run();
        }
    }

    private void schedule(long now) {
        taskAt = deadline;
        task = executor.schedule(this, deadline - now, TimeUnit.NANOSECONDS);
    }
}
