package dev.tandem.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client connection and a server connection joined after a {@code 101 Switching Protocols} (WebSocket and
 * other upgrades): bytes are relayed both ways as they come, until either side closes or nothing has moved
 * either way for {@code limits.tunnel_idle_timeout}. Each side reads only while the other can take what it
 * reads (read after write, as in Netty's proxy example), so a slow reader slows the writer down instead of
 * filling memory. The server connection is never pooled again.
 */
final class Tunnel {

    private static final Logger log = LoggerFactory.getLogger(Tunnel.class);

    private final Channel client;
    private final Channel backend;
    private final Runnable onClose;
    private final DeadlineTimer idle;
    private final Relay fromClient;
    private final Relay fromBackend;
    private boolean closed;

    private Tunnel(Channel client, Channel backend, long idleTimeoutNanos, Runnable onClose) {
        this.client = client;
        this.backend = backend;
        this.onClose = onClose;
        this.idle = new DeadlineTimer(client.eventLoop(), this::onIdle);
        this.fromClient = new Relay(backend);
        this.fromBackend = new Relay(client);
        idle.arm(idleTimeoutNanos);
    }

    /**
     * Joins the two connections (on their shared event loop). Each pipeline gets a relay at its end; the
     * caller then removes the HTTP handlers, whose undecoded bytes (sent right after the upgrade) flow into the
     * relays.
     *
     * @param onClose runs once, when the tunnel closes
     */
    static Tunnel open(Channel client, Channel backend, long idleTimeoutNanos, Runnable onClose) {
        Tunnel t = new Tunnel(client, backend, idleTimeoutNanos, onClose);
        client.pipeline().addLast(HandlerNames.TUNNEL, t.fromClient);
        backend.pipeline().addLast(HandlerNames.TUNNEL, t.fromBackend);
        return t;
    }

    /** Starts relaying, once both pipelines hold only their transport (and TLS) handlers and the relay. */
    void start() {
        client.read();
        backend.read();
        if (!client.isActive() || !backend.isActive()) {
            close();
        }
    }

    private void onIdle() {
        log.debug("tunnel {} <-> {} idle: closing", client.remoteAddress(), backend.remoteAddress());
        close();
    }

    /** Closes both sides once what was already written has gone. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        idle.cancel();
        client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        backend.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        onClose.run();
    }

    /** Reads one side and writes what it reads to the other. */
    private final class Relay extends ChannelInboundHandlerAdapter {

        private final Channel peer;
        /** This side stopped reading because the peer could not take more. */
        private boolean paused;

        Relay(Channel peer) {
            this.peer = peer;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf && !closed) {
                idle.touch();
                // A write that fails surfaces on the peer's pipeline, whose relay closes the tunnel.
                peer.write(buf, peer.voidPromise());
            } else {
                // The end of the 101 response as the HTTP decoder emitted it, or bytes after the close.
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (closed) {
                return;
            }
            peer.flush();
            if (peer.isWritable()) {
                ctx.read();
            } else {
                paused = true;
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            Relay other = this == fromClient ? fromBackend : fromClient;
            if (ctx.channel().isWritable() && other.paused && !closed) {
                other.paused = false;
                peer.read();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("tunnel {} <-> {}: {}", client.remoteAddress(), backend.remoteAddress(), cause.toString());
            close();
        }
    }
}
