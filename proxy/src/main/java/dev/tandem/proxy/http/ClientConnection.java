package dev.tandem.proxy.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The first handler of every client connection: counts it on its listener from accept to close, whatever
 * protocol it ends up speaking, and knows what a drain means for it now. Until a protocol handler says
 * otherwise (a TLS handshake under way), a drain closes the connection; an HTTP/1.1 connection closes once
 * idle, an HTTP/2 connection sends GOAWAY and lets its streams finish, a WebSocket tunnel closes.
 */
public final class ClientConnection extends ChannelInboundHandlerAdapter {

    private final ListenerContext listener;
    private ChannelHandlerContext ctx;
    private Runnable onDrain;

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

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
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
        ctx.fireChannelInactive();
    }

    /** The listener is draining (any thread). */
    void drainSoon() {
        ctx.executor().execute(() -> {
            if (ctx.channel().isOpen()) {
                onDrain.run();
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
