package dev.tandem.proxy.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * The keep-alive timeout of an HTTP/2 connection: one that has had no traffic for that long and has no
 * stream open is closed gracefully (GOAWAY). Streams under way have their own timeouts in the proxy handler.
 */
final class Http2IdleTimeout extends IdleStateHandler {

    private final Http2FrameCodec codec;

    Http2IdleTimeout(long timeoutNanos, Http2FrameCodec codec) {
        super(0, 0, timeoutNanos, TimeUnit.NANOSECONDS);
        this.codec = codec;
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        if (codec.connection().numActiveStreams() == 0) {
            ctx.channel().close();
        }
    }
}
