package dev.tandem.proxy.http;

import dev.tandem.conf.ListenerConfig;
import dev.tandem.proxy.guard.Page;
import dev.tandem.proxy.guard.SitePages;
import dev.tandem.proxy.log.AccessLog;
import dev.tandem.proxy.log.AccessLogEntry;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

/**
 * The client's side of every answer, whoever made it (the server, the disk, Tandem): the headers every
 * response gets (the route's header rules, HSTS, {@code Connection}), whether the connection is kept after it,
 * Tandem's own pages, and, once a response has been written, its metrics and access log line and the
 * connection's next step. In one place so that an answer from the server and one from Tandem cannot come to
 * differ in those rules.
 */
final class ResponseWriter {

    private static final AsciiString STRICT_TRANSPORT_SECURITY = AsciiString.cached("strict-transport-security");
    /** What a request the queue could not hold is told: come back soon, the burst is likely over by then. */
    private static final AsciiString RETRY_AFTER_SECONDS = AsciiString.cached("1");

    private final ConnectionState c;
    private final ExchangeTimers timers;
    /** The connection's next step after a response it can be kept for: wait for the next request. */
    private final Runnable keptAlive;
    private final ChannelFutureListener responseWritten = this::onResponseWritten;
    /** What the encoder may add to the end of a body (chunk framing, trailers) beyond its content, and then some. */
    private static final int ROOM_FOR_FRAMING = 1024;

    ResponseWriter(ConnectionState c, ExchangeTimers timers, Runnable keptAlive) {
        this.c = c;
        this.timers = timers;
        this.keptAlive = keptAlive;
    }

    // ---- Tandem's own answers ----

    /**
     * Answers {@code e} with an error page (its site's own for {@code status}, if it has one); {@code close} when
     * the connection cannot be reused after it.
     */
    void respondError(Exchange e, HttpResponseStatus status, boolean close) {
        respond(e, status, e.site == null ? null : pages(e).page(status.code()), null, close);
    }

    /** The pages in force for {@code e} (which has a site): its route's, once it has one, else its site's. */
    static SitePages pages(Exchange e) {
        return (e.route != null ? e.route.guard() : e.site.guard()).pages();
    }

    /**
     * Answers {@code e} with {@code page} (null: the built-in page of {@code status}) and {@code extra} headers.
     */
    void respond(Exchange e, HttpResponseStatus status, Page sitePage, HttpHeaders extra, boolean close) {
        timers.clientOwesNothing();
        if (e.responseStarted) {
            c.closingExchange = true;
            c.ctx.close();
            return;
        }
        if (close || !e.clientKeepAlive || c.draining()) {
            c.closeAfterResponse = true;
        }
        e.status = status.code();
        e.responseStarted = true;
        e.responseComplete = true;
        e.source = "tandem";
        FullHttpResponse page = sitePage != null ? sitePage.response(status, c.closeAfterResponse && !c.stream, e.isHead())
                : ErrorResponses.of(status, c.closeAfterResponse && !c.stream, e.isHead());
        if (e.overloaded) {
            page.headers().set(HttpHeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
        }
        if (extra != null) {
            page.headers().add(extra);
        }
        c.headerRules.response(e, page.headers());
        addHsts(e, page.headers());
        e.responseBytes = page.content().readableBytes();
        send(page);
    }

    /** Writes a whole response of {@code e}'s, whose exchange ends once it is written. */
    void send(FullHttpResponse r) {
        c.ctx.writeAndFlush(r).addListener(responseWritten);
    }

    /** The exchange ends once {@code last}, the end of a response written some other way, has been written. */
    void endsWith(ChannelFuture last) {
        last.addListener(responseWritten);
    }

    // ---- the server's answer ----

    /**
     * The head of the server's response, with the headers this side's rules call for; or, when the site has a
     * page for its status ({@code error_pages} with {@code upstream: true}), nothing yet: the server's body is
     * read and dropped and the page goes at its end ({@link #replaceUpstreamResponse}).
     */
    void upstreamHead(Exchange e, HttpResponse response) {
        int code = response.status().code();
        e.status = code;
        e.responseStarted = true;
        e.source = "upstream";
        Page replacement = e.site == null ? null : pages(e).forUpstream(code);
        if (replacement != null) {
            e.upstreamReplaced = replacement;
            e.backendKeepAlive = HopByHopHeaders.keepAlive(response.protocolVersion(), HopByHopHeaders.strip(response.headers()));
            return;
        }
        HttpHeaders h = response.headers();
        boolean hasLength = h.contains(HttpHeaderNames.CONTENT_LENGTH);
        e.backendKeepAlive = HopByHopHeaders.keepAlive(response.protocolVersion(), HopByHopHeaders.strip(h));
        c.headerRules.response(e, h);
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (!hasLength && !bodyless(e, code) && !c.stream) {
            if (e.clientVersion.equals(HttpVersion.HTTP_1_1)) {
                h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else {
                // An HTTP/1.0 client knows the end of a body of unknown length only by the close.
                c.closeAfterResponse = true;
            }
        }
        setConnectionHeader(e, h);
        addHsts(e, h);
        c.ctx.write(response, c.ctx.voidPromise());
    }

    private static boolean bodyless(Exchange e, int code) {
        return e.isHead() || code == 204 || code == 304;
    }

    /** A piece of the server's body, not its end: on its way, flushed when the read of the server ends. */
    void upstreamContent(HttpContent content) {
        c.ctx.write(content, c.ctx.voidPromise());
    }

    /** The end of the server's response, which ends the exchange once written. */
    void upstreamEnd(Exchange e, HttpContent last) {
        if (!e.requestComplete) {
            // The server answered before the whole body arrived: the rest of it cannot be skipped safely.
            c.closeAfterResponse = true;
        }
        if (c.closeAfterResponse || c.closed || c.draining()
                || c.ctx.channel().bytesBeforeUnwritable() <= last.content().readableBytes() + ROOM_FOR_FRAMING) {
            c.ctx.writeAndFlush(last).addListener(responseWritten);
            return;
        }
        // The connection is kept and its buffer has room for the end (a small response, mostly): the exchange
        // ends now, as it does when a write completes at once, and the next request is read without waiting
        // for the write's completion, nor a promise made for it. A write that fails closes the connection.
        c.ctx.writeAndFlush(last, c.ctx.voidPromise());
        responseWritten(true);
    }

    /** The end of an upstream response the site's page replaces: the page goes out in its place. */
    void replaceUpstreamResponse(Exchange e) {
        if (!e.requestComplete) {
            c.closeAfterResponse = true;
        }
        FullHttpResponse r = e.upstreamReplaced.response(HttpResponseStatus.valueOf(e.status), false, e.isHead());
        setConnectionHeader(e, r.headers());
        c.headerRules.response(e, r.headers());
        addHsts(e, r.headers());
        e.responseBytes = r.content().readableBytes();
        send(r);
    }

    // ---- headers every response gets ----

    /** Whether the connection is kept after {@code e}'s response, said in its {@code Connection} header. */
    void setConnectionHeader(Exchange e, HttpHeaders h) {
        if (c.stream) {
            // The stream ends with this response; HTTP/2 has no Connection header (RFC 9113 section 8.2.2).
            c.closeAfterResponse = true;
            return;
        }
        // An answer that comes before the whole request body leaves the rest of the body unread on the
        // connection, which therefore cannot carry another request.
        boolean keepAlive = e.clientKeepAlive && e.requestComplete && !c.closeAfterResponse && !c.draining();
        if (!keepAlive) {
            c.closeAfterResponse = true;
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (e.clientVersion.equals(HttpVersion.HTTP_1_0)) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    /** {@code hsts}: Strict-Transport-Security on every response of a TLS listener that has none of its own. */
    void addHsts(Exchange e, HttpHeaders h) {
        if (!c.listener.secure()) {
            return;
        }
        ListenerConfig options = e.listener != null ? e.listener.options() : null;
        if (options != null && options.hsts().isPresent() && !h.contains(STRICT_TRANSPORT_SECURITY)) {
            h.set(STRICT_TRANSPORT_SECURITY, options.hsts().get().headerValue());
        }
    }

    // ---- after the answer ----

    private void onResponseWritten(ChannelFuture future) {
        responseWritten(future.isSuccess());
    }

    /** The response of the exchange under way has been written ({@code success}) or could not be. */
    private void responseWritten(boolean success) {
        Exchange e = c.ex;
        if (e == null) {
            return;
        }
        c.ex = null;
        finish(e, e.status);
        if (!success || c.closeAfterResponse || c.closed || c.draining()) {
            // A response whose head left before the drain began still said keep-alive: close after it all the same.
            c.ctx.close();
        } else {
            keptAlive.run();
        }
    }

    /** The exchange is over, answered {@code status}: its metrics, and its access log line. */
    void finish(Exchange e, int status) {
        long nanos = System.nanoTime() - e.startNanos;
        c.metrics(e).record(status, nanos);
        c.metrics(e).bytes(e.requestBodyBytes, e.responseBytes);
        AccessLog accessLog = c.listener.accessLog();
        if (accessLog != null) {
            accessLog.log(new AccessLogEntry(c.forwarding.client(), System.currentTimeMillis(),
                    e.method.name(), e.uri, e.protocol, status, e.responseBytes, e.referer, e.userAgent,
                    e.source, e.upstreamLabel, nanos, e.upstreamNanos));
        }
    }
}
