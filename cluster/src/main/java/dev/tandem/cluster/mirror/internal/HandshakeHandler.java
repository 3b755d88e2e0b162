package dev.tandem.cluster.mirror.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link Handshake} on a new connection, on either side, within a time limit. A peer that fails it
 * (no key, an unknown node name, not the mirror protocol, too slow) is counted as {@code unauthenticated} and
 * disconnected; one that passes gets the encrypted pipeline from the {@link Authenticated} callback.
 */
final class HandshakeHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(HandshakeHandler.class);

    /**
     * True on a dialed connection while its hello awaits the listener's answer (and this side has not given up
     * on it): a connection closed in that state was closed by the listener unanswered, which is what a listener
     * of an older protocol does with a hello it does not speak. (Read when the close future completes, which may
     * be before {@link #channelInactive}.)
     */
    static final AttributeKey<Boolean> HELLO_UNANSWERED = AttributeKey.valueOf("tandem.mirror.helloUnanswered");

    /** Told of a peer that proved itself, on the channel's event loop; installs what follows the cipher. */
    interface Authenticated {
        void authenticated(Channel channel, String peer);
    }

    private final Handshake handshake;
    private final boolean client;
    private final String expectedPeer;
    private final Set<String> peers;
    private final MirrorMetrics metrics;
    private final Duration timeout;
    private final Authenticated then;
    private ScheduledFuture<?> timer;
    private int step;
    private boolean done;

    /**
     * @param expectedPeer on the dialing side, the node dialed (the listener must say it is that node)
     * @param peers        on the listening side, the nodes that may dial (every node but this one)
     */
    HandshakeHandler(byte[] mirrorKey, String self, boolean client, String expectedPeer, Set<String> peers,
                     MirrorMetrics metrics, Duration timeout, Authenticated then) {
        this(mirrorKey, self, client, expectedPeer, peers, metrics, timeout, Handshake.PROTOCOL, then);
    }

    /** @param offer on the dialing side, the protocol its hello offers */
    HandshakeHandler(byte[] mirrorKey, String self, boolean client, String expectedPeer, Set<String> peers,
                     MirrorMetrics metrics, Duration timeout, int offer, Authenticated then) {
        this.handshake = new Handshake(mirrorKey, client, self, offer);
        this.client = client;
        this.expectedPeer = expectedPeer;
        this.peers = peers;
        this.metrics = metrics;
        this.timeout = timeout;
        this.then = then;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        timer = ctx.executor().schedule(() -> refuse(ctx, "no handshake within " + timeout.toMillis() + " ms"),
                timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (client) {
            ByteBuf out = frame(ctx);
            handshake.writeClientHello(out);
            ctx.channel().attr(HELLO_UNANSWERED).set(Boolean.TRUE);
            send(ctx, out);
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (done) {
            in.release();
            return;
        }
        try {
            if (client) {
                ctx.channel().attr(HELLO_UNANSWERED).set(Boolean.FALSE);
                String peer = handshake.readServerHello(in);
                if (!peer.equals(expectedPeer)) {
                    throw new Handshake.Refused("the listener says it is " + peer + ", not " + expectedPeer);
                }
                ByteBuf out = frame(ctx);
                handshake.writeClientFinish(out);
                send(ctx, out);
                succeed(ctx, peer);
            } else if (step++ == 0) {
                String peer = handshake.readClientHello(in);
                if (!peers.contains(peer)) {
                    throw new Handshake.Refused("'" + peer + "' is not another node of cluster.nodes");
                }
                ByteBuf out = frame(ctx);
                handshake.writeServerHello(out);
                send(ctx, out);
            } else {
                handshake.readClientFinish(in);
                succeed(ctx, handshake.peer());
            }
        } catch (Handshake.Refused e) {
            refuse(ctx, e.getMessage());
        } catch (IndexOutOfBoundsException e) {
            refuse(ctx, "malformed handshake");
        } finally {
            in.release();
        }
    }

    private void succeed(ChannelHandlerContext ctx, String peer) {
        done = true;
        if (timer != null) {
            timer.cancel(false);
        }
        Handshake.SessionKeys keys = handshake.keys();
        ctx.pipeline().get(FrameDecoder.class).authenticated();
        if (handshake.protocol() < Handshake.PROTOCOL) {
            log.info("mirror: {} {} speaks protocol {} (an older release): links and owners are not exchanged with it",
                    client ? "connection to" : "connection from", peer, handshake.protocol());
        }
        ctx.pipeline().replace(this, "cipher", new CipherHandler(keys, metrics, peer, handshake.protocol()));
        then.authenticated(ctx.channel(), peer);
    }

    private void refuse(ChannelHandlerContext ctx, String why) {
        if (done) {
            return;
        }
        done = true;
        ctx.channel().attr(HELLO_UNANSWERED).set(Boolean.FALSE);
        if (timer != null) {
            timer.cancel(false);
        }
        metrics.rejected(MirrorMetrics.UNAUTHENTICATED);
        log.warn("mirror: {} {} refused: {}", client ? "connection to" : "connection from",
                ctx.channel().remoteAddress(), why);
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (client && !done) {
            // This node's own dial cut in its handshake (a reset: the peer's process dying as it accepted): nothing
            // the peer sent was refused, so it is no rejection to count; PeerLink tells what the cut means.
            done = true;
            if (timer != null) {
                timer.cancel(false);
            }
            ctx.channel().attr(HELLO_UNANSWERED).set(Boolean.FALSE);
            log.info("mirror: connection to {} cut in its handshake: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
            return;
        }
        refuse(ctx, cause.toString());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
        }
        if (!done && !client) {
            // A dialer gone before it proved the key (a cut hello, a port scan) is refused input like any other:
            // counted, so that what a flood sends adds up; not logged, which is the refusals' and the timer's job.
            done = true;
            metrics.rejected(MirrorMetrics.UNAUTHENTICATED);
        }
        ctx.fireChannelInactive();
    }

    private static ByteBuf frame(ChannelHandlerContext ctx) {
        return ctx.alloc().buffer(FrameDecoder.HANDSHAKE_MAX).writeInt(0);
    }

    private static void send(ChannelHandlerContext ctx, ByteBuf out) {
        out.setInt(0, out.readableBytes() - 4);
        ctx.writeAndFlush(out);
    }
}
