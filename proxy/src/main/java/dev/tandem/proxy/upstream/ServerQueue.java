package dev.tandem.proxy.upstream;

import dev.tandem.conf.QueueConfig;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The requests of one event loop waiting for a slot on one server (HAProxy's {@code maxconn} with
 * {@code timeout queue}). The limit and the count of slots taken are the server's, over every loop
 * ({@link ServerState}); the waiters are this loop's, so they are touched only from it. A slot freed on any
 * loop wakes the loops that have waiters; a waiter that runs out of time, or whose client goes away, leaves.
 */
public final class ServerQueue {

    /** A request waiting here. Called on this queue's loop. */
    public interface Waiter {
        /** A slot is now the waiter's: it must start its request, or give the slot back with {@code requestEnded}. */
        void slotGranted();

        /** The waiter waited the queue timeout and left the queue. */
        void queueTimedOut();
    }

    public enum Admission {
        /** A slot was free and is now the caller's. */
        STARTED,
        /** The caller waits; it will hear {@link Waiter#slotGranted} or {@link Waiter#queueTimedOut}. */
        QUEUED,
        /** The queue is full: answer now. */
        REFUSED
    }

    private final ServerState server;
    private final EventLoop loop;
    private final WaitQueue<Waiter> waiting = new WaitQueue<>();
    /** The size of {@link #waiting}, for other loops deciding whether to wake this one. */
    private volatile int waitingCount;
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable slotFreed = this::slotFreed;
    private int maxConnections;
    private long timeoutNanos;
    private ScheduledFuture<?> timer;
    private long timerDeadline;

    ServerQueue(ServerState server, EventLoop loop) {
        this.server = server;
        this.loop = loop;
        server.addSlotListener(slotFreed);
    }

    /**
     * Starts a request at once when the server has a free slot and no one here waits for one, else queues it
     * when the queue has room.
     */
    public Admission admit(Waiter w, int maxConnections, QueueConfig queue, long nanoTime) {
        this.maxConnections = maxConnections;
        this.timeoutNanos = queue.timeout().toNanos();
        if (waiting.isEmpty() && server.tryStart(maxConnections)) {
            return Admission.STARTED;
        }
        if (!server.tryQueue(queue.limit())) {
            return Admission.REFUSED;
        }
        waiting.add(w, nanoTime);
        waitingCount = waiting.size();
        armTimer();
        if (maxConnections <= 0 || server.inFlight() < maxConnections) {
            // A slot freed between the failed start and the queueing, and its owner saw no one waiting.
            scheduleDrain();
        }
        return Admission.QUEUED;
    }

    /** The waiter's client went away: it leaves the queue (a no-op when it is not there). */
    public void cancel(Waiter w) {
        if (waiting.remove(w)) {
            server.unqueued();
            waitingCount = waiting.size();
        }
    }

    public int waiting() {
        return waiting.size();
    }

    /** Any thread: a slot of the server was given back. */
    private void slotFreed() {
        if (waitingCount > 0) {
            scheduleDrain();
        }
    }

    private void scheduleDrain() {
        if (drainScheduled.compareAndSet(false, true)) {
            loop.execute(this::drain);
        }
    }

    private void drain() {
        drainScheduled.set(false);
        Waiter w;
        while (!waiting.isEmpty() && server.tryStart(maxConnections)) {
            w = waiting.poll();
            server.unqueued();
            waitingCount = waiting.size();
            w.slotGranted();
        }
        armTimer();
    }

    private void armTimer() {
        long deadline = waiting.nextExpiry(timeoutNanos);
        if (deadline == Long.MAX_VALUE) {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
            return;
        }
        if (timer != null && timerDeadline <= deadline) {
            // Fires no later than needed; it re-arms for whoever is then the oldest.
            return;
        }
        if (timer != null) {
            timer.cancel(false);
        }
        timerDeadline = deadline;
        timer = loop.schedule(this::expire, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void expire() {
        timer = null;
        long now = System.nanoTime();
        Waiter w;
        while ((w = waiting.pollExpired(now, timeoutNanos)) != null) {
            server.unqueued();
            waitingCount = waiting.size();
            w.queueTimedOut();
        }
        armTimer();
    }

    /** Stops listening for freed slots; the queue is dropped (its server was retired, or the loop closes). */
    void close() {
        server.removeSlotListener(slotFreed);
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
