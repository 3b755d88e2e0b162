package dev.tandem.proxy.http;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.util.concurrent.TimeUnit;

/**
 * The timer of the idle HTTP/1.1 client connections of one event loop: one scheduled task for all of them,
 * however many there are, instead of one per connection.
 *
 * <p>It keeps two lists. {@link #waiting} holds the connections whose proxy handler waits for the next request:
 * once one has waited {@link #DORMANCY_DELAY_NANOS}, it is put to sleep (its pipeline shrinks to a
 * {@link DormantConnection}). {@link #dormant} holds the sleeping connections by the deadline of their
 * keep-alive (or first-request) timeout, and closes each as it passes. The task runs when the earliest entry of
 * either falls due, but not more often than every {@link #RESOLUTION_NANOS}: deadlines that close together are
 * handled in one pass, at most that late.
 *
 * <p>Touched from its event loop only.
 */
public final class IdleSweep {

    /**
     * How long a connection waits for its next request before it sleeps. A busy client's next request comes
     * within milliseconds, and rebuilding the pipeline for every one of them would cost more than it saves; one
     * that has been quiet this long is likely to stay so, and one rebuild is little next to the wait.
     */
    static final long DORMANCY_DELAY_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Shortest time between two runs of the task. */
    static final long RESOLUTION_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final EventExecutor executor;
    private final Ticker ticker;
    private final DueList waiting = new DueList();
    private final DueList dormant = new DueList();
    private final Runnable sweep = this::sweep;
    private ScheduledFuture<?> task;
    private long taskAt;
    private boolean closed;
    /** Inside a run of the task, which schedules the next one itself when it ends. */
    private boolean sweeping;

    public IdleSweep(EventExecutor executor) {
        this.executor = executor;
        this.ticker = executor.ticker();
    }

    /** The event loop's clock, the one deadlines are told by. */
    long now() {
        return ticker.nanoTime();
    }

    /** A connection began to wait for its next request: it sleeps unless one comes soon. */
    void waiting(DueList.Entry entry) {
        at(waiting, entry, now() + DORMANCY_DELAY_NANOS);
    }

    /** A connection fell asleep: it is closed at {@code deadline} unless it wakes first. */
    void dormant(DueList.Entry entry, long deadline) {
        at(dormant, entry, deadline);
    }

    /** How many connections sleep (for tests and metrics). */
    public int dormantCount() {
        return dormant.size();
    }

    /** How many connections wait for their next request awake. */
    int waitingCount() {
        return waiting.size();
    }

    /** Stops the task (the event loop is shutting down); the connections are closed by their own means. */
    public void close() {
        closed = true;
        if (task != null) {
            task.cancel(false);
            task = null;
        }
    }

    private void at(DueList list, DueList.Entry entry, long due) {
        list.add(entry, due);
        if (!closed && !sweeping && (task == null || taskAt - due > 0)) {
            schedule(due, now());
        }
    }

    private void sweep() {
        task = null;
        long now = now();
        sweeping = true;
        try {
            // Who falls asleep now may be past its deadline already (the clock jumped): the second list takes it.
            waiting.runDue(now);
            dormant.runDue(now);
        } finally {
            sweeping = false;
            scheduleNext(now);
        }
    }

    private void scheduleNext(long now) {
        DueList.Entry w = waiting.head();
        DueList.Entry d = dormant.head();
        if (closed || (w == null && d == null)) {
            return;
        }
        long next = w == null ? d.due() : d == null || d.due() - w.due() > 0 ? w.due() : d.due();
        schedule(next - (now + RESOLUTION_NANOS) > 0 ? next : now + RESOLUTION_NANOS, now);
    }

    private void schedule(long at, long now) {
        if (task != null) {
            task.cancel(false);
        }
        taskAt = at;
        task = executor.schedule(sweep, Math.max(0, at - now), TimeUnit.NANOSECONDS);
    }
}
