package dev.tandem.proxy.http;

import dev.tandem.proxy.upstream.LoopResources;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP/1.1 client connection asleep between requests: what stands in for the HTTP handlers (http-codec,
 * flow-control, chunked-write, proxy) while the client sends nothing, so that an idle keep-alive connection
 * holds only its channel, this handler and its place in the loop's {@link IdleSweep}, not a decoder, a proxy
 * handler and their timers. The proxy handler puts a connection to sleep once it has waited a while for its
 * next request with nothing of one received (see {@link IdleSweep#DORMANCY_DELAY_NANOS}).
 *
 * <p>The first bytes the client sends wake it: the HTTP handlers are added again after this one, the bytes
 * are handed to them (whatever they hold: one request, several pipelined ones, or the start of one), and this
 * handler leaves. The proxy handler takes over the timeout where it stood, so a connection that sleeps keeps
 * its deadline. Asleep, it closes at that deadline (the sweep's), at a drain (nothing is in flight), and at a
 * step-down when it had answered a request before, as an awake idle connection does.
 *
 * <p>Everything an idle connection keeps is multiplied by how many there are: this handler is also its own
 * entry in the sweep and its own close action (a {@link ChannelInboundHandler} written out rather than an
 * adapter, which would leave no room for the entry's fields), so a sleeper costs this one object and its
 * pipeline context.
 */
final class DormantConnection extends DueList.Entry implements ChannelInboundHandler, Runnable {

    private static final Logger log = LoggerFactory.getLogger(DormantConnection.class);
    private static final Runnable NOTHING = () -> { };

    private final ListenerContext listener;
    private final LoopResources loop;
    /** The connection has answered a request (a step-down closes it at once). */
    private final boolean reused;
    private ChannelHandlerContext ctx;

    DormantConnection(ListenerContext listener, LoopResources loop, boolean reused, long deadline) {
        // When the connection's keep-alive (or first-request) timeout ends, on the event loop's clock: due().
        super(deadline);
        this.listener = listener;
        this.loop = loop;
        this.reused = reused;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        sleep();
    }

    /**
     * Hosted by the connection's first handler ({@link ClientConnection#host}) instead of being a handler of its
     * own: on a plaintext connection nothing stands between the two, and the pipeline context this saves is as
     * large as this object.
     */
    void hostedBy(ChannelHandlerContext connection) {
        this.ctx = connection;
        sleep();
    }

    private void sleep() {
        loop.idleSweep().dormant(this, due());
        ClientConnection connection = ctx.pipeline().get(ClientConnection.class);
        if (connection != null) {
            // This handler itself is the action (it closes the connection): one object fewer per sleeper each.
            connection.onDrain(this);
            connection.onStepDown(reused ? this : NOTHING);
        }
        // The proxy handler asked for a read before it left; asking again costs nothing and makes sure of it.
        ctx.read();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        unlink();
    }

    /** When the connection's timeout ends (for tests). */
    long deadline() {
        return due();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        wake(msg);
    }

    /** The client sent {@code msg}: the HTTP handlers come back and take it, and this leaves. */
    void wake(Object msg) {
        unlink();
        ChannelPipeline p = ctx.pipeline();
        try {
            Http1Handlers.add(p, listener, ProxyHandler.resumed(listener, loop, reused, due()));
        } catch (RuntimeException e) {
            ReferenceCountUtil.release(msg);
            throw e;
        }
        // The handlers after this one (or after its host) now: the codec takes the bytes, and their read-complete
        // once this has left.
        ctx.fireChannelRead(msg);
        if (ctx.handler() == this && !ctx.isRemoved()) {
            p.remove(this);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        unlink();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRegistered(ChannelHandlerContext ctx) {
        ctx.fireChannelRegistered();
    }

    @Override
    public void channelUnregistered(ChannelHandlerContext ctx) {
        ctx.fireChannelUnregistered();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.fireChannelActive();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.fireChannelReadComplete();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("client {} connection error: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("client {} connection error", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    /** Its deadline passed. */
    @Override
    void fallDue() {
        run();
    }

    /** Closes the connection: its deadline passed, a drain, or a step-down (until it wakes). */
    @Override
    public void run() {
        if (!ctx.isRemoved()) {
            ctx.close();
        }
    }

    /** The connection closed while hosted. */
    void closed() {
        unlink();
    }
}
