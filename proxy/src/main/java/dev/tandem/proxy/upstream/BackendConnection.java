package dev.tandem.proxy.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;

/**
 * One connection to an upstream server, the last handler of its pipeline. While a request owns it, it
 * hands what it reads to that request's {@link BackendListener}; while it sits idle in its pool anything
 * it reads is a protocol error and closes it.
 */
public final class BackendConnection extends ChannelInboundHandlerAdapter {

    /** The name of the HTTP codec in a server connection's pipeline. */
    static final String HTTP_CODEC = "http";

    private final BackendPool pool;
    private Channel channel;
    private BackendListener listener;
    private long idleSince;
    private boolean reused;
    /** Counted among the server's open connections: from channelActive until closed or detached. */
    private boolean counted;

    BackendConnection(BackendPool pool) {
        this.pool = pool;
    }

    public Channel channel() {
        return channel;
    }

    public ServerState server() {
        return pool.server();
    }

    /** True when this connection served an earlier request: a failure may just mean the server closed it idle. */
    public boolean reused() {
        return reused;
    }

    /** Hands the connection to a request. */
    public void attach(BackendListener listener) {
        this.listener = listener;
    }

    /**
     * Ends the request's ownership. A connection that finished a clean exchange and may be kept alive goes
     * back to its pool; anything else is closed.
     */
    public void release(boolean reusable) {
        listener = null;
        if (reusable && channel.isActive()) {
            reused = true;
            pool.offer(this);
        } else {
            channel.close();
        }
    }

    /**
     * Takes this connection out of HTTP for good (a {@code 101 Switching Protocols}): the request lets go of it,
     * and it never returns to a pool. The caller puts its own handler at the end of the pipeline first, then
     * calls this, which removes the HTTP codec and this handler; bytes the codec read past the 101 go on to the
     * caller's handler.
     */
    public Channel detach() {
        listener = null;
        uncount();
        channel.pipeline().remove(this);
        channel.pipeline().remove(HTTP_CODEC);
        return channel;
    }

    long idleSince() {
        return idleSince;
    }

    void idleSince(long nanoTime) {
        this.idleSince = nanoTime;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        BackendListener l = listener;
        if (l == null) {
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        if (!(msg instanceof HttpObject)) {
            // Raw bytes: the server switched protocols (101) for a request that did not ask to.
            ReferenceCountUtil.release(msg);
            listener = null;
            ctx.close();
            l.onFailure(this, FailureKind.INVALID_RESPONSE, new UpstreamFailure("101 Switching Protocols without an Upgrade request"));
            return;
        }
        DecoderResult result = ((HttpObject) msg).decoderResult();
        if (result.isFailure()) {
            ReferenceCountUtil.release(msg);
            listener = null;
            ctx.close();
            l.onFailure(this, FailureKind.INVALID_RESPONSE, result.cause());
            return;
        }
        if (msg instanceof FullHttpResponse full) {
            // Split so that the listener sees every response as a head and its content.
            l.onResponseHead(this, new DefaultHttpResponse(full.protocolVersion(), full.status(), full.headers()));
            msg = new DefaultLastHttpContent(full.content(), full.trailingHeaders());
        } else if (msg instanceof HttpResponse response) {
            l.onResponseHead(this, response);
        }
        if (msg instanceof HttpContent content) {
            BackendListener current = listener;
            if (current != null) {
                current.onResponseContent(this, content);
            } else {
                content.release();
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        BackendListener l = listener;
        if (l != null) {
            l.onReadComplete(this);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        BackendListener l = listener;
        if (l != null) {
            l.onWritabilityChanged(this);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        counted = true;
        pool.server().metrics().connectionOpened();
        ctx.fireChannelActive();
    }

    private void uncount() {
        if (counted) {
            counted = false;
            pool.server().metrics().connectionClosed();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        uncount();
        pool.remove(this);
        BackendListener l = listener;
        if (l != null) {
            listener = null;
            l.onFailure(this, FailureKind.RESET, new UpstreamFailure("upstream closed the connection"));
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        BackendListener l = listener;
        listener = null;
        ctx.close();
        if (l != null) {
            l.onFailure(this, FailureKind.RESET, cause);
        }
    }
}
