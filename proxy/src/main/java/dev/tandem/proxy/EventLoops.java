package dev.tandem.proxy;

import dev.tandem.proxy.transport.Transport;
import dev.tandem.proxy.upstream.LoopResources;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** The data plane's event loops, and what each one holds of its own ({@link LoopResources}: pools, idle sweep). */
final class EventLoops {

    private final MultiThreadIoEventLoopGroup group;
    private final Map<EventLoop, LoopResources> loops;

    private EventLoops(MultiThreadIoEventLoopGroup group, Map<EventLoop, LoopResources> loops) {
        this.group = group;
        this.loops = loops;
    }

    /** Starts {@code workers} event loops on {@code transport}. */
    static EventLoops start(Transport transport, int workers) {
        MultiThreadIoEventLoopGroup group = transport.newGroup(workers, "tandem-io");
        Map<EventLoop, LoopResources> byLoop = new IdentityHashMap<>();
        int index = 0;
        for (EventExecutor e : group) {
            EventLoop loop = (EventLoop) e;
            byLoop.put(loop, new LoopResources(index++, loop, transport));
        }
        return new EventLoops(group, byLoop);
    }

    MultiThreadIoEventLoopGroup group() {
        return group;
    }

    /** Each event loop's resources, by loop. */
    Map<EventLoop, LoopResources> byLoop() {
        return loops;
    }

    int size() {
        return loops.size();
    }

    /** How many client connections sleep between requests now, over all loops; each loop is asked on its own thread. */
    int dormantConnections() throws InterruptedException {
        int n = 0;
        for (LoopResources r : loops.values()) {
            try {
                n += r.eventLoop().submit(() -> r.idleSweep().dormantCount()).get();
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
        return n;
    }

    /** Closes each loop's resources on that loop, then stops the loops. */
    void close() throws InterruptedException {
        // Waited for, so that the pools' connections are closed by their owner before the loops stop: a loop
        // told to stop with no quiet period while it runs tasks (this one, say) skips closing its channels, and
        // io_uring then drops the ring with their sockets open and a receive's buffer never released.
        List<Future<?>> closed = new ArrayList<>();
        for (LoopResources r : loops.values()) {
            closed.add(r.eventLoop().submit(r::close));
        }
        for (Future<?> f : closed) {
            f.awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }
}
