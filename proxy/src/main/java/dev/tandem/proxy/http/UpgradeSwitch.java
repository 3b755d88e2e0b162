package dev.tandem.proxy.http;

import dev.tandem.proxy.upstream.BackendConnection;
import dev.tandem.proxy.upstream.FailureKind;
import dev.tandem.proxy.upstream.UpstreamServer;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's 101 Switching Protocols: the end of HTTP on both connections when it names the upgrade that was
 * offered ({@link UpgradeOffer}), a 502 otherwise. Apart from the {@link UpstreamEndpoint} because it is the
 * one answer that takes the connection out of the request path altogether, into a {@link Tunnel}.
 */
final class UpgradeSwitch {

    /** Logged as the proxy handler, as before its parts were split: operators' filters name it. */
    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);

    private final ConnectionState c;
    private final ExchangeTimers timers;
    private final ResponseWriter writer;
    private final UpstreamEndpoint endpoint;

    UpgradeSwitch(ConnectionState c, ExchangeTimers timers, ResponseWriter writer, UpstreamEndpoint endpoint) {
        this.c = c;
        this.timers = timers;
        this.writer = writer;
        this.endpoint = endpoint;
    }

    /** The server answered {@code e} with a 101 on {@code b}. */
    void switched(Exchange e, BackendConnection b, HttpResponse response) {
        if (e.upgrade != null && e.requestComplete
                && e.upgrade.acceptedBy(response.headers().getAll(HttpHeaderNames.UPGRADE))) {
            switchToTunnel(e, b, response);
        } else {
            refuseSwitch(e, response);
        }
    }

    /**
     * The server switched protocols for a request that offered none, or to one that was not offered: joining
     * the connections would hand the client's next bytes to it raw. The client gets a 502 and stays in HTTP;
     * the server's connection, no longer HTTP, is closed.
     */
    private void refuseSwitch(Exchange e, HttpResponse response) {
        log.warn("{} {}: {} answered 101 to '{}' for an upgrade offered as '{}': refused", e.method, e.uri,
                e.server.label(), response.headers().get(HttpHeaderNames.UPGRADE),
                e.upgrade == null ? "" : e.upgrade.upstream());
        c.metrics(e).upgradeRefused(UpgradeOffer.Refusal.RESPONSE.label());
        e.server.state().metrics().failure(FailureKind.INVALID_RESPONSE);
        endpoint.endUpstream(e, false);
        writer.respondError(e, HttpResponseStatus.BAD_GATEWAY, e.bodyExpected && !e.requestComplete);
    }

    /**
     * The server accepted the upgrade: the 101 goes to the client, then both connections leave HTTP and the
     * proxy handler steps out for a {@link Tunnel}. The server connection is never pooled again; the server
     * counts the tunnel as a request in flight until it closes.
     */
    private void switchToTunnel(Exchange e, BackendConnection b, HttpResponse response) {
        UpstreamServer server = e.server;
        timers.clientOwesNothing();
        timers.upstreamOwesNothing();
        timers.cancel();
        e.status = 101;
        e.responseStarted = true;
        e.responseComplete = true;
        e.source = "upstream";
        e.upstreamNanos = System.nanoTime() - e.upstreamStartNanos;
        server.state().metrics().response(101, e.upstreamNanos);
        server.state().health().passive().recordSuccess();
        HttpHeaders h = response.headers();
        String protocol = h.get(HttpHeaderNames.UPGRADE);
        HopByHopHeaders.strip(h);
        // the site's response rules, as on every answer it gives; the switch's own headers are set after them
        c.headerRules.response(e, h);
        h.set(HttpHeaderNames.UPGRADE, protocol);
        h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        e.backend = null;
        e.server = null;
        c.ex = null;
        writer.finish(e, 101);

        Channel backend = b.channel();
        long idleNanos = e.config.config().limits().tunnelIdleTimeout().toNanos();
        // The 101 is encoded as it is written, before the codec leaves the pipeline.
        c.ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS,
                Unpooled.EMPTY_BUFFER, h, EmptyHttpHeaders.INSTANCE));
        Tunnel tunnel = Tunnel.open(c.ctx.channel(), backend, idleNanos, server.state()::requestEnded);
        if (c.connection != null) {
            c.connection.onDrain(tunnel::close);
            // A tunnel has no response to say close on: a step-down leaves it to run until the drain limit.
            c.connection.onStepDown(() -> { });
        }
        ChannelPipeline p = c.ctx.pipeline();
        p.remove(HandlerNames.FLOW_CONTROL);
        p.remove(c.ctx.handler());
        p.remove(HandlerNames.HTTP_CODEC);
        b.detach();
        log.debug("client {} {} {}: upgraded to {} with {}", c.remote, e.method, e.uri, protocol, server.label());
        tunnel.start();
    }
}
