package dev.tandem.cluster.mirror.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.security.GeneralSecurityException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After the handshake: frames in are opened and parsed into {@link Messages.Message}s; plaintext messages out
 * are sealed into frames. A frame that does not open, or a message that does not parse, ends the connection
 * and is counted ({@code bad_frame}).
 */
final class CipherHandler extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(CipherHandler.class);

    private final FrameCipher sealing;
    private final FrameCipher opening;
    private final MirrorMetrics metrics;
    private final String peer;
    private final int protocol;
    private boolean failed;

    /** @param protocol the version of the messages the handshake agreed on */
    CipherHandler(Handshake.SessionKeys keys, MirrorMetrics metrics, String peer, int protocol) {
        this.protocol = protocol;
        this.sealing = FrameCipher.sealing(keys.sendKey(), keys.sendIv());
        this.opening = FrameCipher.opening(keys.receiveKey(), keys.receiveIv());
        this.metrics = metrics;
        this.peer = peer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (failed) {
            frame.release();
            return;
        }
        ByteBuf plain;
        try {
            plain = opening.open(frame);
        } catch (GeneralSecurityException | RuntimeException e) {
            fail(ctx, "a frame did not decrypt (" + e.getClass().getSimpleName() + ")");
            return;
        } finally {
            frame.release();
        }
        Messages.Message m;
        try {
            m = Messages.decode(plain, protocol);
        } catch (Messages.Malformed e) {
            fail(ctx, "malformed message: " + e.getMessage());
            return;
        } finally {
            plain.release();
        }
        ctx.fireChannelRead(m);
    }

    /** The version of the messages on this connection. */
    int protocol() {
        return protocol;
    }

    private void fail(ChannelHandlerContext ctx, String why) {
        failed = true;
        metrics.rejected(MirrorMetrics.BAD_FRAME);
        log.warn("mirror: connection with {} closed: {}", peer, why);
        ctx.close();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf plain)) {
            ctx.write(msg, promise);
            return;
        }
        ByteBuf frame;
        try {
            frame = sealing.seal(plain);
        } catch (GeneralSecurityException | RuntimeException e) {
            promise.tryFailure(e);
            return;
        } finally {
            plain.release();
        }
        ctx.write(frame, promise);
    }
}
