package dev.tandem.proxy.statics;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * What the static-file path needs from the client connection that asked: the connection owns the request
 * lifecycle (keep-alive, the next request, the access log), the static path only decides and writes. Every
 * method is called on the connection's event loop.
 */
public interface StaticExchange {

    /** The client connection's context: responses are written through it. */
    ChannelHandlerContext ctx();

    /**
     * Whether the request is still waiting for this answer. False once the client has gone (or the connection
     * moved on): a lookup that finishes late then writes nothing and keeps nothing.
     */
    boolean active();

    /** The connection encrypts what it sends, so bodies go as chunks read into buffers, not as file regions. */
    boolean secure();

    /** Nothing on disk for this request: pass it to the site's upstream, exactly as if it were not static. */
    void fallback();

    /** Answers with Tandem's own error page ({@code reason} goes to the log). */
    void error(HttpResponseStatus status, String reason);

    /**
     * Announces the response that is about to be written: the connection records its status and body size
     * and sets its {@code Connection} header. The caller writes {@code head} right after, then the body, then
     * passes the future of the last write to {@link #written}.
     */
    void respond(HttpResponse head, long bodyBytes);

    /** The future of the response's last write: when it completes, the connection takes its next request. */
    void written(ChannelFuture last);

    /**
     * Part of a body has left: the client is reading. A connection times out a client that stops reading
     * a large body (which can take a long time to send, but must keep moving).
     */
    void progressed();
}
