package dev.tandem.proxy.http;

import dev.tandem.proxy.guard.Page;
import dev.tandem.proxy.runtime.RuntimeConfig;
import dev.tandem.proxy.runtime.Route;
import dev.tandem.proxy.runtime.RuntimeListener;
import dev.tandem.proxy.runtime.Site;
import dev.tandem.proxy.upstream.Attempts;
import dev.tandem.proxy.upstream.BackendConnection;
import dev.tandem.proxy.upstream.FailureKind;
import dev.tandem.proxy.upstream.UpstreamGroup;
import dev.tandem.proxy.upstream.UpstreamServer;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * One request on a client connection, from its head to the end of its response: what was asked, where it
 * went, and how far each direction got. Shared by the parts of the connection's request path (see
 * {@link ProxyHandler}) on its event loop.
 */
final class Exchange {

    final RuntimeConfig config;
    /** The listener as {@link #config} compiled it; null for a listener that config no longer has (draining). */
    final RuntimeListener listener;
    final long startNanos;
    final HttpMethod method;
    final String uri;
    final HttpVersion clientVersion;
    /** As the access log shows it: {@code HTTP/1.1}, or {@code HTTP/2.0} for a stream. */
    final String protocol;
    /** For the access log: null when there is none to write to. */
    final String referer;
    final String userAgent;
    final Attempts attempts = new Attempts();

    /** The client wants the connection kept open after this response. */
    boolean clientKeepAlive;
    /** The request body comes chunked ({@code Transfer-Encoding: chunked}). */
    boolean chunked;
    /** The client announced a body (Content-Length > 0 or chunked). */
    boolean bodyExpected;
    boolean expectContinue;
    /** The 100 Continue the client expects has been sent (once, whichever attempt sends the head). */
    boolean continueSent;
    Site site;
    /** The route of the site that took the request (the site's own when none of its routes did); null: no site. */
    Route route;
    /** The normalized decoded path the route was chosen by ({@code $uri}). */
    String path;
    /** What the request asked for, checked; null until it passed the checks. */
    RequestTarget target;
    /** The request's variables, made when a rule first needs them. */
    RequestVariables variables;
    UpstreamGroup group;
    /** The upgrade that goes upstream with the request (HTTP/1.1 {@code Upgrade}), or null. */
    UpgradeOffer upgrade;
    /** The request as it goes upstream (headers rewritten); written again on a retry. */
    HttpRequest upstreamRequest;

    /** The client's LastHttpContent has been read. */
    boolean requestComplete;
    long requestBodyBytes;

    UpstreamServer server;
    BackendConnection backend;
    long upstreamStartNanos = -1;
    long upstreamNanos = -1;
    boolean waitingForBackendWritable;
    boolean waitingForClientWritable;
    boolean backendKeepAlive;
    /** A read of the server's connection under way brought part of the response (a head or content). */
    boolean responseProgress;
    /** Skipping a 1xx interim response from the server, up to its end. */
    boolean inInterimResponse;
    FailureKind lastFailure;
    /** A retry waiting out its backoff. */
    ScheduledFuture<?> retryTimer;
    /** Answered 503 because the server's queue could not hold the request: the answer says when to come back. */
    boolean overloaded;

    /** The site's page that replaces the upstream's response being read (its body is dropped), or null. */
    Page upstreamReplaced;

    boolean responseStarted;
    boolean responseComplete;
    int status;
    long responseBytes;
    String source = "tandem";
    String upstreamLabel;

    /** @param logged there is an access log: keep what it writes of the request */
    Exchange(RuntimeConfig config, RuntimeListener listener, HttpRequest request, long startNanos, String protocol,
             boolean logged) {
        this.protocol = protocol;
        this.config = config;
        this.listener = listener;
        this.startNanos = startNanos;
        this.method = request.method();
        this.uri = request.uri();
        this.clientVersion = request.protocolVersion();
        this.referer = logged ? request.headers().get(HttpHeaderNames.REFERER) : null;
        this.userAgent = logged ? request.headers().get(HttpHeaderNames.USER_AGENT) : null;
    }

    boolean isHead() {
        return HttpMethod.HEAD.equals(method);
    }

    /** GET, HEAD, OPTIONS, PUT and DELETE may be sent again after the server may have seen them. */
    boolean idempotent() {
        return HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method) || HttpMethod.OPTIONS.equals(method)
                || HttpMethod.PUT.equals(method) || HttpMethod.DELETE.equals(method);
    }

    /**
     * True when the request can be sent again after a server may have seen it: an idempotent method without a
     * body. A body is streamed, not kept, so once any of it may have gone to one server it cannot go to another.
     */
    boolean resendable() {
        return idempotent() && !bodyExpected;
    }
}
