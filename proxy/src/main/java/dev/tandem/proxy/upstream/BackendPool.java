package dev.tandem.proxy.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Idle keep-alive connections from one event loop to one server. Used only from that loop, so it takes no
 * locks. The most recently used connection is handed out first, which keeps the set of warm connections
 * small and lets the rest reach their idle timeout.
 */
public final class BackendPool {

    private final ServerState server;
    private final LoopResources loop;
    private final ArrayDeque<BackendConnection> idle = new ArrayDeque<>();
    private int maxIdle;
    private long idleTimeoutNanos;
    private Bootstrap bootstrap;
    private InetSocketAddress bootstrapAddress;
    private int bootstrapConnectMillis;
    private final ServerQueue queue;

    BackendPool(ServerState server, LoopResources loop) {
        this.server = server;
        this.loop = loop;
        this.queue = new ServerQueue(server, loop.eventLoop());
    }

    /** The requests of this loop waiting for a slot on this server. */
    public ServerQueue queue() {
        return queue;
    }

    public ServerState server() {
        return server;
    }

    /**
     * An idle connection that is still open, or null.
     *
     * @param maxIdle          the upstream's {@code keepalive}, remembered for {@link #offer}
     * @param idleTimeoutNanos how long a connection may sit idle before it is closed
     */
    public BackendConnection poll(int maxIdle, long idleTimeoutNanos, long nanoTime) {
        this.maxIdle = maxIdle;
        this.idleTimeoutNanos = idleTimeoutNanos;
        BackendConnection c;
        while ((c = idle.pollFirst()) != null) {
            server.metrics().idleChanged(-1);
            if (c.channel().isActive() && nanoTime - c.idleSince() < idleTimeoutNanos) {
                server.metrics().connectionReused();
                return c;
            }
            c.channel().close();
        }
        return null;
    }

    /** Opens a new connection to {@code address}; the future's channel has a {@link BackendConnection} last. */
    public ChannelFuture connect(InetSocketAddress address, int connectTimeoutMillis) {
        if (bootstrap == null || !address.equals(bootstrapAddress) || connectTimeoutMillis != bootstrapConnectMillis) {
            bootstrap = loop.bootstrap(this)
                    .remoteAddress(address)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis);
            bootstrapAddress = address;
            bootstrapConnectMillis = connectTimeoutMillis;
        }
        return bootstrap.connect();
    }

    void offer(BackendConnection c) {
        if (server.retired() || idle.size() >= maxIdle || loop.closing()) {
            c.channel().close();
            return;
        }
        c.idleSince(System.nanoTime());
        idle.addFirst(c);
        server.metrics().idleChanged(1);
        // Keep a read pending while idle so that a close by the server (or stray bytes) is noticed now,
        // not by the next request that would pick this connection.
        c.channel().read();
    }

    void remove(BackendConnection c) {
        if (idle.remove(c)) {
            server.metrics().idleChanged(-1);
        }
    }

    /** Closes connections idle for longer than the timeout, and all of them for a retired server. */
    void sweep(long nanoTime) {
        for (Iterator<BackendConnection> it = idle.descendingIterator(); it.hasNext(); ) {
            BackendConnection c = it.next();
            if (server.retired() || nanoTime - c.idleSince() >= idleTimeoutNanos) {
                it.remove();
                server.metrics().idleChanged(-1);
                c.channel().close();
            }
        }
    }

    int idleCount() {
        return idle.size();
    }

    void closeAll() {
        queue.close();
        BackendConnection c;
        while ((c = idle.pollFirst()) != null) {
            server.metrics().idleChanged(-1);
            c.channel().close();
        }
    }
}
