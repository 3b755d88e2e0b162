package dev.tandem.cluster.mirror.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's threads: {@link #loop}, the one thread every decision and the table live on (file I/O blocks, so
 * it is never an event loop); the flush pool, where received files are written and flushed in parallel; and the
 * state writer, which writes the state file in order. Every task on the loop ends with the engine's after-task
 * step (offer what changed, report the files written, schedule the state).
 */
final class EngineThread {

    private static final Logger log = LoggerFactory.getLogger(EngineThread.class);

    final ScheduledExecutorService loop;
    final ExecutorService flusher;
    /** Writes the state file (after flushing the directories it vouches for), in order, off {@link #loop}. */
    final ExecutorService stateWriter;
    private final BooleanSupplier closed;
    private Runnable afterTask = () -> { };

    EngineThread(int flushThreads, BooleanSupplier closed) {
        this.closed = closed;
        this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tandem-mirror");
            t.setDaemon(true);
            return t;
        });
        AtomicInteger n = new AtomicInteger();
        this.flusher = Executors.newFixedThreadPool(Math.max(1, flushThreads), r -> {
            Thread t = new Thread(r, "tandem-mirror-flush-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.stateWriter = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tandem-mirror-state");
            t.setDaemon(true);
            return t;
        });
    }

    /** The step every task ends with (set once, before the first task). */
    void afterEachTask(Runnable step) {
        this.afterTask = step;
    }

    void afterTask() {
        afterTask.run();
    }

    /** Runs {@code task} on the loop, then the after-task step; nothing once stopped. */
    void exec(Runnable task) {
        try {
            loop.execute(() -> {
                if (closed.getAsBoolean()) {
                    return;
                }
                try {
                    task.run();
                    afterTask.run();
                } catch (RuntimeException e) {
                    log.error("mirror: unexpected failure", e);
                }
            });
        } catch (RejectedExecutionException e) {
            // stopped
        }
    }

    /** Runs {@code task} on the loop and completes with its result. */
    <T> CompletableFuture<T> call(Supplier<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            loop.execute(() -> {
                try {
                    f.complete(task.get());
                } catch (RuntimeException e) {
                    f.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new IllegalStateException("the mirror is stopped"));
        }
        return f;
    }

    /** Stops every thread at once. */
    void shutdownNow() {
        loop.shutdownNow();
        flusher.shutdownNow();
        stateWriter.shutdownNow();
    }
}
