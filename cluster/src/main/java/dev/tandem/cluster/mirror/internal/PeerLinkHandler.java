package dev.tandem.cluster.mirror.internal;

import dev.tandem.cluster.transport.GoneCheck;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the peer sends back on a {@link PeerLink}'s connection: the files it wants, the end of a round, its
 * summary. Anything else closes the connection.
 *
 * <p>Also how a connection's end is told apart: one closed here ({@link #closeHere}: a timeout, a bad frame, the
 * link stopping) says nothing of the peer, while one the peer closed or reset may mean its process is gone
 * ({@link PeerDialer#peerClosed}).
 */
final class PeerLinkHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(PeerLink.class);

    /** Set on a connection this side closes: its close says nothing of the peer. */
    private static final AttributeKey<Boolean> CLOSED_HERE = AttributeKey.valueOf(PeerLink.class, "closedHere");

    private final PeerLink link;
    private final String peer;
    private final MirrorEngine engine;

    PeerLinkHandler(PeerLink link, String peer, MirrorEngine engine) {
        this.link = link;
        this.peer = peer;
        this.engine = engine;
    }

    /** Closes {@code ch} from this side: its close is no sign of the peer's. */
    static void closeHere(Channel ch) {
        ch.attr(CLOSED_HERE).set(true);
        ch.close();
    }

    /** Whether {@code ch} was closed with {@link #closeHere}. */
    static boolean closedHere(Channel ch) {
        return Boolean.TRUE.equals(ch.attr(CLOSED_HERE).get());
    }

    /** Whether {@code cause}, which ends a connection, came from the peer's side: a reset, or writing to a closed one. */
    static boolean fromPeer(Throwable cause) {
        return GoneCheck.reset(cause);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Messages.Want w) {
            link.wanted(ctx.channel(), w.items());
        } else if (msg instanceof Messages.Done d) {
            engine.peerDone(peer, link.isFullRound(d.round()));
        } else if (msg instanceof Messages.Summary s) {
            engine.summary(peer, s);
        } else {
            ReferenceCountUtil.release(msg);
            engine.metrics().rejected(MirrorMetrics.BAD_FRAME);
            log.warn("mirror: {} sent {} on our connection: closing it", peer, msg.getClass().getSimpleName());
            closeHere(ctx.channel());
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            link.writable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException) {
            engine.metrics().rejected(MirrorMetrics.BAD_FRAME);
            log.warn("mirror: connection to {} closed: {}", peer, cause.getMessage());
        } else if (cause instanceof IOException || cause instanceof ReadTimeoutException) {
            log.info("mirror: connection to {}: {}", peer, cause.toString());
        } else {
            log.warn("mirror: connection to {} failed", peer, cause);
        }
        if (fromPeer(cause)) {
            ctx.close();
        } else {
            // a timeout, a bad frame: this side gives up on a peer that may be alive
            closeHere(ctx.channel());
        }
    }
}
