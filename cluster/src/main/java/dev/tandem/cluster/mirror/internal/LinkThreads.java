package dev.tandem.cluster.mirror.internal;

import io.netty.channel.EventLoop;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The two threads a {@link PeerLink}'s work runs on: its event loop, where all its state lives, and the reader
 * thread, where files are read (never on the loop). Both drop work once the mirror is stopping.
 */
final class LinkThreads {

    private final EventLoop loop;
    private final Executor reader;

    LinkThreads(EventLoop loop, Executor reader) {
        this.loop = loop;
        this.reader = reader;
    }

    EventLoop loop() {
        return loop;
    }

    /**
     * Runs {@code task} on the loop; a loop already shut down (the mirror stopping) drops it.
     *
     * @return false when dropped, so that a caller handing over a buffer or a file can release it
     */
    boolean run(Runnable task) {
        try {
            loop.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            // stopping
            return false;
        }
    }

    /** Runs {@code task} on the reader thread; once that is stopped (the mirror stopping), nothing is read. */
    void offRead(Runnable task) {
        try {
            reader.execute(task);
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }
}
