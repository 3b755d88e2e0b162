package dev.tandem.cluster.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One peer's side of the {@link PresenceLink}: keeps a connection to it, and tells when its process is gone.
 *
 * A connection counts as up once the peer's greeting arrives (its first word). Dials that fail are tried again
 * after a back-off (100 ms doubling to 2 s); what a close or a failed dial means is {@link GoneCheck}'s to say.
 *
 * <p>Threading: all state lives on the cluster's loop.
 */
final class PresenceDial {

    private static final Logger log = LoggerFactory.getLogger(PresenceLink.class);

    private final String peer;
    private final InetSocketAddress address;
    private final InetAddress from;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final Consumer<String> gone;

    private final GoneCheck check = new GoneCheck(PresenceLink.RECHECK_EVERY);
    private boolean stopped;
    private long backoff = PresenceLink.MIN_BACKOFF_MS;
    private ScheduledFuture<?> retry;
    private Channel channel;
    /** A connection is up and greeted; read by status and tests from other threads. */
    private volatile boolean up;

    PresenceDial(String peer, InetSocketAddress address, InetAddress from, Bootstrap template, EventLoop loop,
                 Consumer<String> gone) {
        this.peer = peer;
        this.address = address;
        this.from = from;
        this.loop = loop;
        this.gone = gone;
        this.bootstrap = template.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new Greeting());
            }
        });
    }

    void connect() {
        retry = null;
        if (stopped) {
            return;
        }
        ChannelFuture f = bootstrap.clone().localAddress(new InetSocketAddress(from, 0)).connect(address);
        channel = f.channel();
        f.addListener(x -> {
            if (!f.isSuccess()) {
                log.debug("cluster: presence of {} at {}: {}", peer, address, String.valueOf(f.cause()));
                next(check.dialFailed(f.cause()));
            }
        });
    }

    /** Whether a connection to the peer is up and was greeted. Any thread. */
    boolean up() {
        return up;
    }

    void stop() {
        stopped = true;
        if (retry != null) {
            retry.cancel(false);
            retry = null;
        }
        if (channel != null) {
            channel.close();
        }
    }

    /** The peer greeted: alive. The next drop is dialed again after the shortest back-off. */
    private void greeted() {
        up = true;
        check.answered();
        backoff = PresenceLink.MIN_BACKOFF_MS;
    }

    /** A connection closed, not by this side's stop: greeted before, or cut before its greeting. */
    private void closed(boolean wasGreeted) {
        up = false;
        if (!stopped) {
            next(wasGreeted ? check.closedByPeer(System.nanoTime()) : check.cutBeforeAWord());
        }
    }

    private void next(GoneCheck.Next next) {
        if (stopped) {
            return;
        }
        switch (next) {
            case DIAL_NOW -> {
                backoff = PresenceLink.MIN_BACKOFF_MS;
                connect();
            }
            case PROBE -> retry = loop.schedule(this::connect, GoneCheck.PROBE_SPACING.toMillis(), TimeUnit.MILLISECONDS);
            case GONE -> {
                log.info("cluster: {} closed its presence connection and refuses the next: its process is gone", peer);
                gone.accept(peer);
                scheduleRetry();
            }
            case BACK_OFF -> scheduleRetry();
        }
    }

    private void scheduleRetry() {
        if (retry != null) {
            return;
        }
        long delay = backoff;
        backoff = Math.min(PresenceLink.MAX_BACKOFF_MS, backoff * 2);
        retry = loop.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }

    /** Waits for the peer's greeting; drops anything else. */
    private final class Greeting extends ChannelInboundHandlerAdapter {
        private boolean hello;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (!hello && msg instanceof ByteBuf in && PresenceLink.greeted(in)) {
                    hello = true;
                    greeted();
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closed(hello);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
