package dev.tandem.proxy.http;

import dev.tandem.proxy.runtime.RequestMetrics;
import dev.tandem.proxy.runtime.RuntimeListener;
import dev.tandem.proxy.upstream.LoopResources;
import dev.tandem.proxy.upstream.RendezvousHash;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;

/**
 * One client connection (or HTTP/2 stream) as the parts of the request path share it: the
 * {@link ProxyHandler} that owns it, the {@link RequestReceiver}, the {@link UpstreamEndpoint} and the
 * {@link ResponseWriter}. What outlives a request lives here; what belongs to one request lives in its
 * {@link Exchange}. Everything is touched on the connection's event loop only, so nothing here is guarded.
 */
final class ConnectionState {

    final ListenerContext listener;
    final LoopResources loop;
    /** This connection is one HTTP/2 stream rather than an HTTP/1.x connection. */
    final boolean stream;
    /** The context of the connection's {@link ProxyHandler}: what every part writes, reads and closes through. */
    final ChannelHandlerContext ctx;
    /** The connection this handler answers on (an HTTP/1.x connection); null on an HTTP/2 stream. */
    final ClientConnection connection;
    InetSocketAddress remote;
    /** The forwarding headers of this connection's client, worked out once for all its requests. */
    ForwardingHeaders forwarding;
    RouteHeaderRules headerRules;
    /** The host of an HTTP/1.0 request without Host: the address and port the client connected to. */
    String defaultHost;
    long clientHash;
    /** The request being served; null between requests. */
    Exchange ex;
    /** Close the connection once the current response is written. */
    boolean closeAfterResponse;
    /** Set when Tandem itself cuts off a client mid-exchange: the close that follows is not a client abort. */
    boolean closingExchange;
    boolean closed;

    ConnectionState(ListenerContext listener, LoopResources loop, boolean stream, ChannelHandlerContext ctx) {
        this.listener = listener;
        this.loop = loop;
        this.stream = stream;
        this.ctx = ctx;
        this.connection = stream ? null : ctx.pipeline().get(ClientConnection.class);
    }

    /** What is known once the connection is up: who the client is, once for all its requests. */
    void start() {
        remote = (InetSocketAddress) ctx.channel().remoteAddress();
        forwarding = new ForwardingHeaders(remote);
        headerRules = new RouteHeaderRules(listener, forwarding);
        if (ctx.channel().localAddress() instanceof InetSocketAddress local) {
            defaultHost = NetUtil.toSocketAddressString(local);
        }
        clientHash = RendezvousHash.hashAddress(remote.getAddress().getAddress());
    }

    /** {@code e} is still the request being served on an open connection (an answer that comes later checks). */
    boolean serving(Exchange e) {
        return ex == e && !closed;
    }

    /** No more keep-alive: the listener drains, or the connection's address is being given up. */
    boolean draining() {
        return listener.draining() || (connection != null && connection.closing());
    }

    /** The meters of the listener and site {@code e} came in on. */
    RequestMetrics metrics(Exchange e) {
        RuntimeListener on = e.listener;
        return on == null ? e.config.unrouted(listener.name()) : e.site != null ? e.site.metrics(on) : on.unrouted();
    }
}
