package dev.tandem.cluster.mirror.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import java.util.List;

/**
 * Cuts the stream into frames: a 4-byte length, then that many bytes. Small until the peer has proven it
 * holds the key (a stranger gets to make us buffer no more than a handshake), then {@link #authenticated()}.
 */
final class FrameDecoder extends ByteToMessageDecoder {

    static final int HANDSHAKE_MAX = 1024;
    static final int MAX = Messages.MAX_MESSAGE + FrameCipher.TAG;

    private int max = HANDSHAKE_MAX;

    void authenticated() {
        max = MAX;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < 4) {
            return;
        }
        int n = in.getInt(in.readerIndex());
        if (n < 0 || n > max) {
            in.skipBytes(in.readableBytes());
            throw new CorruptedFrameException("frame of " + n + " bytes (expected: at most " + max + ")");
        }
        if (in.readableBytes() < 4 + n) {
            return;
        }
        in.skipBytes(4);
        out.add(in.readRetainedSlice(n));
    }
}
