package dev.tandem.proxy.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * Hands the next handler exactly one decoded message per {@code read()} it asks for, however many the decoder
 * produced from one socket read (a request head and its empty end, or several pipelined requests); the rest
 * wait here, in order. With {@code AUTO_READ} off this turns "read the socket" into "give me the next message",
 * which is what lets the proxy pull a request body chunk by chunk.
 *
 * <p>A read is satisfied only by a message: a socket read that ends without one (a request head split over
 * several reads) leaves the read outstanding and reads on. Netty's {@code FlowControlHandler} stopped doing
 * that in 4.2.15 (netty/netty#17050) and stalls such a request for good.
 */
final class OneMessagePerRead extends ChannelDuplexHandler {

    private final ArrayDeque<Object> queue = new ArrayDeque<>(4);
    private boolean readPending;

    /** How many decoded messages wait here for a read. */
    int held() {
        return queue.size();
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (ctx.channel().config().isAutoRead()) {
            drain(ctx);
            ctx.read();
            return;
        }
        Object next = queue.poll();
        if (next != null) {
            ctx.fireChannelRead(next);
            ctx.fireChannelReadComplete();
        } else {
            readPending = true;
            ctx.read();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (readPending || ctx.channel().config().isAutoRead()) {
            readPending = false;
            ctx.fireChannelRead(msg);
        } else {
            queue.add(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (readPending) {
            // The socket read produced no whole message yet: keep reading until one arrives.
            ctx.read();
        } else {
            ctx.fireChannelReadComplete();
        }
    }

    private void drain(ChannelHandlerContext ctx) {
        Object msg;
        while ((msg = queue.poll()) != null) {
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    private void release() {
        Object msg;
        while ((msg = queue.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }
}
