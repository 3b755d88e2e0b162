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
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One peer's side of the {@link PresenceLink}: keeps a connection to it, and tells when its process is gone.
 *
 * <ul>
 * <li>A connection counts as up once the peer's greeting arrives. Dials that fail are tried again after a
 * back-off (100 ms doubling to 2 s).</li>
 * <li>A connection up that the peer closes (a FIN or a reset; never one closed here) is dialed again at once, at
 * most once per {@link PresenceLink#RECHECK_AT_MOST_EVERY_MS}. That dial refused: the peer's process is gone. That
 * dial accepted and cut before the greeting (the listening socket of a process going away): dialed again, up to
 * {@link PresenceLink#PROBES} times {@link PresenceLink#PROBE_SPACING_MS} apart. Greeted: alive.</li>
 * <li>A refusal with no connection up before tells nothing (the peer not started yet, or a firewall).</li>
 * </ul>
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

    private boolean stopped;
    private long backoff = PresenceLink.MIN_BACKOFF_MS;
    private ScheduledFuture<?> retry;
    private Channel channel;
    /** The connection up was closed from the peer's side: the dials that follow tell whether its process is gone. */
    private boolean checkGone;
    private int probesLeft;
    /** When a dial last went at once after such a close ({@link System#nanoTime()}), or 0 never. */
    private long recheckedAt;
    private boolean rechecked;
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
            if (f.isSuccess()) {
                return;
            }
            log.debug("cluster: presence of {} at {}: {}", peer, address, String.valueOf(f.cause()));
            if (checkGone && refused(f.cause())) {
                checkGone = false;
                log.info("cluster: {} closed its presence connection and refuses the next: its process is gone", peer);
                gone.accept(peer);
            } else if (probeAgain()) {
                return;
            }
            checkGone = false;
            scheduleRetry();
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

    private static boolean refused(Throwable cause) {
        return cause instanceof ConnectException c
                && String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT).contains("refused");
    }

    /** The peer greeted: alive. The next drop is dialed again after the shortest back-off. */
    private void greeted() {
        up = true;
        checkGone = false;
        backoff = PresenceLink.MIN_BACKOFF_MS;
    }

    /** A connection closed, not by this side's stop: greeted before, or cut before its greeting. */
    private void closed(boolean wasGreeted) {
        up = false;
        if (stopped) {
            return;
        }
        if (!wasGreeted) {
            if (!probeAgain()) {
                checkGone = false;
                scheduleRetry();
            }
            return;
        }
        long now = System.nanoTime();
        if (!rechecked || now - recheckedAt >= TimeUnit.MILLISECONDS.toNanos(PresenceLink.RECHECK_AT_MOST_EVERY_MS)) {
            rechecked = true;
            recheckedAt = now;
            checkGone = true;
            probesLeft = PresenceLink.PROBES - 1;
            backoff = PresenceLink.MIN_BACKOFF_MS;
            connect();
        } else {
            scheduleRetry();
        }
    }

    /** While a peer's close is being told apart, dials again shortly if the dials left allow it. */
    private boolean probeAgain() {
        if (!checkGone || probesLeft <= 0 || stopped || retry != null) {
            return false;
        }
        probesLeft--;
        retry = loop.schedule(this::connect, PresenceLink.PROBE_SPACING_MS, TimeUnit.MILLISECONDS);
        return true;
    }

    private void scheduleRetry() {
        if (stopped || retry != null) {
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
