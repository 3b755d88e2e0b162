package dev.tandem.proxy.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The first handler of every client connection: counts it on its listener (and under the local address it
 * was accepted on) from accept to close, whatever protocol it ends up speaking, and knows what a drain and a
 * step-down mean for it now.
 *
 * <p>A listener drain (stop, a listener removed): until a protocol handler says otherwise (a TLS handshake
 * under way), it closes the connection; an HTTP/1.1 connection closes once idle, an HTTP/2 connection sends
 * GOAWAY and lets its streams finish, a WebSocket tunnel closes.
 *
 * <p>A step-down ({@link #closeWhenIdle}: this node gives up the address the connection was accepted on):
 * the connection is marked {@link #closing()}, which the response writer reads, and the protocol handler
 * decides what that means now: an HTTP/1.1 connection idle between requests closes at once, any other
 * HTTP/1.1 connection closes after its next response ({@code Connection: close}); an HTTP/2 connection sends
 * GOAWAY (streams in flight finish); a connection still in its TLS handshake is left to the protocol it
 * chooses, which reads the mark; a WebSocket tunnel is left alone (the drain limit ends it).
 */
public final class ClientConnection extends ChannelInboundHandlerAdapter {

    private static final Runnable NOTHING = () -> { };

    private final ListenerContext listener;
    private ChannelHandlerContext ctx;
    private Runnable onDrain;
    private Runnable onStepDown = NOTHING;
    /** The address this connection was accepted on; null until active (or when it is no IP address). */
    private InetAddress local;
    /** Set on the event loop by a step-down: no more keep-alive on this connection. */
    private boolean closing;
    /** A plaintext HTTP/1.1 connection asleep: what stands in for the handlers after this one, or null. */
    private DormantConnection sleeper;

    ClientConnection(ListenerContext listener) {
        this.listener = listener;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.onDrain = () -> ctx.channel().close();
    }

    /** What a drain does to this connection from now on; set on its event loop. */
    void onDrain(Runnable action) {
        this.onDrain = action;
    }

    /**
     * What a step-down does to this connection from now on; set on its event loop by the protocol handler as it
     * takes over. Runs at once when the connection was marked before (during its TLS handshake).
     */
    void onStepDown(Runnable action) {
        this.onStepDown = action;
        if (closing && ctx.channel().isOpen()) {
            action.run();
        }
    }

    /** True once the address this connection was accepted on is being given up (read on the event loop). */
    boolean closing() {
        return closing;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        SocketAddress a = ctx.channel().localAddress();
        local = a instanceof InetSocketAddress i ? i.getAddress() : null;
        listener.opened(this);
        ctx.fireChannelActive();
        if (listener.tls() != null) {
            // With AUTO_READ off, the handshake starts when someone reads: the TLS handlers read on from there.
            ctx.read();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        listener.closed(this);
        DormantConnection s = sleeper;
        if (s != null) {
            sleeper = null;
            s.closed();
        }
        ctx.fireChannelInactive();
    }

    /**
     * The connection falls asleep with nothing after this handler: {@code dormant} takes what the client sends
     * next (see {@link DormantConnection#hostedBy}). On the event loop.
     */
    void host(DormantConnection dormant) {
        sleeper = dormant;
        dormant.hostedBy(ctx);
    }

    /** True while asleep with its sleeper hosted here. */
    boolean asleep() {
        return sleeper != null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        DormantConnection s = sleeper;
        if (s == null) {
            ctx.fireChannelRead(msg);
        } else {
            sleeper = null;
            s.wake(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        DormantConnection s = sleeper;
        if (s == null) {
            ctx.fireExceptionCaught(cause);
        } else {
            s.exceptionCaught(ctx, cause);
        }
    }

    /** The local address this connection was accepted on, or null. */
    InetAddress local() {
        return local;
    }

    /** The listener is draining (any thread). */
    void drainSoon() {
        ctx.executor().execute(() -> {
            if (ctx.channel().isOpen()) {
                onDrain.run();
            }
        });
    }

    /** This node steps down for the connection's local address (any thread); see the class comment. */
    void closeWhenIdle() {
        ctx.executor().execute(() -> {
            // Once is enough: the mark stays, and whoever answers next reads it.
            if (!closing && ctx.channel().isOpen()) {
                closing = true;
                onStepDown.run();
            }
        });
    }

    /**
     * Cuts the connection whatever it is doing (any thread): closed from the head of the pipeline, so that no
     * handler (TLS close_notify, HTTP/2 GOAWAY and its wait for streams) stands in the way.
     */
    void closeNow() {
        ctx.close();
    }
}
