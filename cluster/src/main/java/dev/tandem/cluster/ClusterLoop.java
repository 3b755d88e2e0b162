package dev.tandem.cluster;

import io.netty.channel.EventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's one thread, an event loop of the data plane's transport of its own: every election and all
 * protocol state live on it, so a busy data plane never delays an advert and nothing needs a lock.
 */
final class ClusterLoop {

    private static final Logger log = LoggerFactory.getLogger(ClusterLoop.class);

    private final MultiThreadIoEventLoopGroup group;
    private final EventLoop loop;

    ClusterLoop(IoHandlerFactory io) {
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("tandem-cluster", true), io);
        this.loop = group.next();
    }

    MultiThreadIoEventLoopGroup group() {
        return group;
    }

    /** Runs {@code task} on the loop (an exception is logged); false when the loop is gone. */
    boolean execute(Runnable task) {
        if (loop.isShuttingDown()) {
            return false;
        }
        loop.execute(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("cluster: unexpected failure", e);
            }
        });
        return true;
    }

    /** Runs {@code task} on the loop and waits (up to 5 s) for its result; null when the loop is gone. */
    <T> T call(Callable<T> task) {
        if (loop.isShuttingDown()) {
            return null;
        }
        if (loop.inEventLoop()) {
            try {
                return task.call();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        try {
            return loop.submit(task).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cluster loop: " + e, e);
        }
    }

    ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        return loop.schedule(task, delay, unit);
    }

    ScheduledFuture<?> every(Runnable task, long period, TimeUnit unit) {
        return loop.scheduleAtFixedRate(task, period, period, unit);
    }

    void shutdown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
