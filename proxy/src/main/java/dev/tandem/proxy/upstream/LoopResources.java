package dev.tandem.proxy.upstream;

import dev.tandem.proxy.http.IdleSweep;
import dev.tandem.proxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What one event loop owns privately: its index (for per-loop balancer state), its upstream connection
 * pools and the timer of its idle client connections. Touched only from its own loop, so nothing here is synchronized.
 */
public final class LoopResources {

    /** Watermarks for proxied connections: small enough to bound memory per connection, large enough to batch. */
    public static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 128 * 1024);

    private static final int MAX_RESPONSE_LINE = 8192;
    private static final int MAX_RESPONSE_HEADERS = 32 * 1024;
    private static final int MAX_CHUNK = 64 * 1024;

    private final int index;
    private final EventLoop loop;
    private final Transport transport;
    private final Map<ServerState, BackendPool> pools = new IdentityHashMap<>();
    private final ScheduledFuture<?> sweeper;
    private final IdleSweep idleSweep;
    private boolean closing;

    public LoopResources(int index, EventLoop loop, Transport transport) {
        this.index = index;
        this.loop = loop;
        this.transport = transport;
        this.sweeper = loop.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
        this.idleSweep = new IdleSweep(loop);
    }

    public int index() {
        return index;
    }

    public EventLoop eventLoop() {
        return loop;
    }

    /** The timer of this loop's idle client connections. */
    public IdleSweep idleSweep() {
        return idleSweep;
    }

    /** The pool of connections from this loop to {@code server}. */
    public BackendPool pool(ServerState server) {
        BackendPool p = pools.get(server);
        if (p == null) {
            p = new BackendPool(server, this);
            pools.put(server, p);
        }
        return p;
    }

    Bootstrap bootstrap(BackendPool pool) {
        return new Bootstrap()
                .group(loop)
                .channel(transport.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        HttpDecoderConfig decoder = new HttpDecoderConfig()
                                .setMaxInitialLineLength(MAX_RESPONSE_LINE)
                                .setMaxHeaderSize(MAX_RESPONSE_HEADERS)
                                .setMaxChunkSize(MAX_CHUNK)
                                .setHeadersFactory(UpstreamHeaders.RESPONSE)
                                .setTrailersFactory(UpstreamHeaders.TRAILER);
                        ch.pipeline().addLast(BackendConnection.HTTP_CODEC, new UpstreamHttpCodec(decoder));
                        ch.pipeline().addLast("backend", new BackendConnection(pool));
                    }
                });
    }

    boolean closing() {
        return closing;
    }

    private void sweep() {
        long now = System.nanoTime();
        pools.values().removeIf(p -> {
            p.sweep(now);
            if (p.server().retired() && p.idleCount() == 0 && p.queue().waiting() == 0) {
                p.closeAll();
                return true;
            }
            return false;
        });
    }

    /** Closes every idle connection and stops pooling; call on this loop when shutting down. */
    public void close() {
        closing = true;
        sweeper.cancel(false);
        idleSweep.close();
        pools.values().forEach(BackendPool::closeAll);
        pools.clear();
    }
}
