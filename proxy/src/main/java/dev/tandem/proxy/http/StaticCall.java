package dev.tandem.proxy.http;

import dev.tandem.proxy.statics.StaticExchange;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The static-file path's view of one exchange (see {@link StaticExchange}): everything the static side
 * needs from this connection, and nothing else, so the two evolve apart. The disk is the endpoint here, as the
 * server is for {@link UpstreamEndpoint}; the answer's headers and what follows it are the
 * {@link ResponseWriter}'s.
 */
final class StaticCall implements StaticExchange {

    /** Logged as the proxy handler, as before its parts were split: operators' filters name it. */
    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);

    private final ConnectionState c;
    private final ExchangeTimers timers;
    private final ResponseWriter writer;
    private final UpstreamEndpoint endpoint;
    private final Exchange e;
    private final HttpRequest request;
    private final RequestTarget target;

    StaticCall(ConnectionState c, ExchangeTimers timers, ResponseWriter writer, UpstreamEndpoint endpoint,
               Exchange e, HttpRequest request, RequestTarget target) {
        this.c = c;
        this.timers = timers;
        this.writer = writer;
        this.endpoint = endpoint;
        this.e = e;
        this.request = request;
        this.target = target;
    }

    @Override
    public ChannelHandlerContext ctx() {
        return c.ctx;
    }

    @Override
    public boolean active() {
        return c.serving(e);
    }

    @Override
    public boolean secure() {
        return c.listener.secure();
    }

    @Override
    public void fallback() {
        endpoint.toUpstream(e, request, target);
    }

    @Override
    public void error(HttpResponseStatus status, String reason) {
        if (status.code() != HttpResponseStatus.NOT_FOUND.code()) {
            log.info("client {} {} {} answered {}: {}", c.remote, e.method, e.uri, status.code(), reason);
        }
        writer.respondError(e, status, e.bodyExpected);
    }

    @Override
    public void respond(HttpResponse head, long bodyBytes) {
        if (e.bodyExpected) {
            // A GET with a body: the body is not read, so the connection cannot carry another request.
            c.closeAfterResponse = true;
        } else {
            // Without a body a request is whole with its head; its empty end is read and dropped after this.
            e.requestComplete = true;
        }
        writer.setConnectionHeader(e, head.headers());
        c.headerRules.response(e, head.headers());
        writer.addHsts(e, head.headers());
        e.status = head.status().code();
        e.responseStarted = true;
        e.responseComplete = true;
        e.responseBytes = bodyBytes;
        e.source = "disk";
    }

    @Override
    public void written(ChannelFuture last) {
        if (!last.isDone()) {
            // A body still leaving: the client must keep reading it, as with a proxied response.
            timers.awaitClient(e.config.config().limits().clientTimeout().toNanos());
        }
        writer.endsWith(last);
    }

    @Override
    public void progressed() {
        timers.touchClient();
    }
}
