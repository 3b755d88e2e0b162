package dev.tandem.proxy.http;

import dev.tandem.conf.LimitsConfig;
import dev.tandem.conf.UpstreamConfig;
import dev.tandem.proxy.log.AccessLog;
import dev.tandem.proxy.log.AccessLogEntry;
import dev.tandem.proxy.runtime.RequestMetrics;
import dev.tandem.proxy.runtime.RuntimeConfig;
import dev.tandem.proxy.runtime.Site;
import dev.tandem.proxy.upstream.BackendConnection;
import dev.tandem.proxy.upstream.BackendListener;
import dev.tandem.proxy.upstream.BackendPool;
import dev.tandem.proxy.upstream.FailureKind;
import dev.tandem.proxy.upstream.LoopResources;
import dev.tandem.proxy.upstream.RendezvousHash;
import dev.tandem.proxy.upstream.UpstreamServer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reverse proxy for one client connection: reads a request, picks a server, streams the request to it
 * and its response back, then takes the next request (keep-alive and pipelining are served one request at
 * a time, in order).
 *
 * <p>Both directions are streamed with backpressure. The client channel does not read by itself: a
 * {@code FlowControlHandler} before this handler releases one decoded message per {@code read()}, and the
 * next body chunk is read only once the upstream connection can take it. The upstream connection reads
 * the response only while the client connection is writable.
 *
 * <p>Failures before the response starts are retried on another server when DESIGN.md says it is safe, or
 * answered with 502/503/504; once the response has started, the client connection is closed so that the
 * client sees a truncated response rather than a wrong one.
 */
public final class ProxyHandler extends ChannelInboundHandlerAdapter implements BackendListener {

    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);
    private static final int CLIENT_CLOSED_REQUEST = 499;

    private final ListenerContext listener;
    private final LoopResources loop;
    private final ChannelFutureListener responseWritten = this::onResponseWritten;
    private ChannelHandlerContext ctx;
    private InetSocketAddress remote;
    private long clientHash;
    private DeadlineTimer clientTimer;
    private DeadlineTimer upstreamTimer;
    private Exchange ex;
    private boolean firstRequest = true;
    /** Close the connection once the current response is written. */
    private boolean closeAfterResponse;
    private boolean closed;
    /** A read() asked of the client connection has not delivered a message yet. */
    private boolean clientReadPending;

    public ProxyHandler(ListenerContext listener, LoopResources loop) {
        this.listener = listener;
        this.loop = loop;
    }

    // ---- client connection lifecycle ----

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.clientTimer = new DeadlineTimer(ctx.executor(), this::onClientTimeout);
        this.upstreamTimer = new DeadlineTimer(ctx.executor(), this::onUpstreamTimeout);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        remote = (InetSocketAddress) ctx.channel().remoteAddress();
        clientHash = RendezvousHash.hashAddress(remote.getAddress().getAddress());
        listener.opened(this);
        awaitRequest();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        listener.closed(this);
        clientTimer.cancel();
        upstreamTimer.cancel();
        Exchange e = ex;
        if (e != null) {
            ex = null;
            endUpstream(e, false);
            finish(e, e.responseStarted ? e.status : CLIENT_CLOSED_REQUEST);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("client {} connection error: {}", remote, cause.toString());
        } else {
            log.warn("client {} connection error", remote, cause);
        }
        ctx.close();
    }

    /**
     * Asks the client connection for its next message. The FlowControlHandler hands on one message per
     * read(), but a read that decodes to nothing (a request head split over two TCP segments, the size line
     * of a chunk) ends in channelReadComplete and the demand is forgotten: {@link #channelReadComplete}
     * asks again while nothing came.
     */
    private void readClient() {
        clientReadPending = true;
        ctx.read();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Reaches here with a read still pending only when the read cycle ended without a message for us.
        if (clientReadPending && !closed) {
            ctx.read();
        }
    }

    /** The listener is draining: an idle connection closes now, a busy one after its response (any thread). */
    void drainSoon() {
        ctx.executor().execute(() -> {
            if (!closed && ex == null) {
                ctx.close();
            }
        });
    }

    /** Closes the connection whatever it is doing (any thread). */
    void closeNow() {
        ctx.channel().close();
    }

    private void awaitRequest() {
        LimitsConfig limits = listener.config().config().limits();
        clientTimer.arm((firstRequest ? limits.clientTimeout() : limits.keepaliveTimeout()).toNanos());
        firstRequest = false;
        readClient();
    }

    private void onClientTimeout() {
        Exchange e = ex;
        if (e == null) {
            ctx.close();
        } else if (!e.responseStarted && !e.requestComplete) {
            log.info("client {} too slow sending {} {}", remote, e.method, e.uri);
            endUpstream(e, false);
            respondError(e, HttpResponseStatus.REQUEST_TIMEOUT, true);
        } else {
            ctx.close();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Exchange e = ex;
        if (e != null && e.waitingForClientWritable && ctx.channel().isWritable() && e.backend != null) {
            e.waitingForClientWritable = false;
            clientTimer.disarm();
            e.backend.channel().read();
        }
    }

    // ---- requests from the client ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        clientReadPending = false;
        if (msg instanceof HttpContent content) {
            // A request that failed to decode arrives whole, as a request that is also content.
            if (msg instanceof HttpRequest request) {
                try {
                    onRequest(request);
                } catch (RuntimeException ex) {
                    content.release();
                    throw ex;
                }
            }
            onRequestContent(content);
        } else if (msg instanceof HttpRequest request) {
            onRequest(request);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequest(HttpRequest request) {
        clientTimer.disarm();
        if (ex != null || closeAfterResponse) {
            return;
        }
        long now = System.nanoTime();
        RuntimeConfig config = listener.config();
        Exchange e = new Exchange(config, request, now);
        ex = e;
        e.clientKeepAlive = HttpUtil.isKeepAlive(request) && !listener.draining();
        e.bodyExpected = HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;

        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            HttpResponseStatus status = cause instanceof TooLongFrameException
                    ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE : HttpResponseStatus.BAD_REQUEST;
            log.info("client {} sent a bad request ({}): {}", remote, status.code(), cause.getMessage());
            respondError(e, status, true);
            return;
        }
        RequestTarget target = RequestTarget.check(request, config.config().limits());
        if (target.status() != 0) {
            log.info("client {} request refused ({}): {}", remote, target.status(), target.reason());
            respondError(e, HttpResponseStatus.valueOf(target.status()), true);
            return;
        }
        e.expectContinue = request.headers().contains(HttpHeaderNames.EXPECT)
                && request.protocolVersion().equals(HttpVersion.HTTP_1_1);

        Site site = config.route(target.host());
        e.site = site;
        if (site == null || site.upstream() == null) {
            respondError(e, HttpResponseStatus.NOT_FOUND, e.bodyExpected);
            return;
        }
        e.group = site.upstream();
        e.upstreamRequest = upstreamRequest(request, target, config);
        connect(e);
    }

    /** The request head as it goes upstream: HTTP/1.1, origin-form, hop-by-hop headers replaced by ours. */
    private HttpRequest upstreamRequest(HttpRequest request, RequestTarget target, RuntimeConfig config) {
        HttpHeaders h = request.headers();
        boolean chunked = HttpUtil.isTransferEncodingChunked(request);
        HopByHopHeaders.strip(h);
        h.remove(HttpHeaderNames.EXPECT);
        if (target.host() != null) {
            h.set(HttpHeaderNames.HOST, target.host());
        }
        ForwardingHeaders.apply(h, remote, listener.scheme(), target.host(), config.config().forwarding());
        if (chunked) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
        request.setUri(target.target());
        return request;
    }

    private void onRequestContent(HttpContent content) {
        Exchange e = ex;
        if (e == null || e.requestComplete || e.responseComplete) {
            // The tail of a request already answered (an error page, or an early response).
            content.release();
            if (e == null && !closeAfterResponse) {
                readClient();
            }
            return;
        }
        boolean last = content instanceof LastHttpContent;
        e.requestBodyBytes += content.content().readableBytes();
        if (e.requestBodyBytes > e.config.config().limits().maxBodyBytes()) {
            content.release();
            log.info("client {} body over max_body_bytes for {} {}", remote, e.method, e.uri);
            endUpstream(e, false);
            respondError(e, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, true);
            return;
        }
        if (last) {
            e.requestComplete = true;
            clientTimer.disarm();
        } else {
            clientTimer.touch();
        }
        BackendConnection b = e.backend;
        if (b == null) {
            // Between attempts: nothing to send to. Only reached when the body had started, which rules out
            // a retry, so the exchange is already being answered.
            content.release();
            return;
        }
        Channel backend = b.channel();
        // A failed write surfaces as the connection's exceptionCaught, which fails the attempt.
        backend.writeAndFlush(content, backend.voidPromise());
        upstreamTimer.touch();
        if (last) {
            return;
        }
        if (backend.isWritable()) {
            readClient();
        } else {
            // The server is not taking the body as fast as the client sends it: wait, under the write timeout.
            e.waitingForBackendWritable = true;
            upstreamTimer.arm(e.group.config().timeouts().write().toNanos());
        }
    }

    // ---- choosing and reaching a server ----

    private void connect(Exchange e) {
        long now = System.nanoTime();
        UpstreamServer server = e.group.select(loop.index(), clientHash, e.attempts, now);
        if (server == null) {
            if (e.attempts.count() == 0) {
                log.warn("no server available in upstream '{}' for {} {}", e.group.name(), e.method, e.uri);
                respondError(e, HttpResponseStatus.SERVICE_UNAVAILABLE, e.bodyExpected && !e.requestComplete);
            } else {
                respondError(e, HttpResponseStatus.valueOf(e.lastFailure.clientStatus()),
                        e.bodyExpected && !e.requestComplete);
            }
            return;
        }
        e.server = server;
        e.upstreamLabel = server.label();
        server.state().requestStarted();
        UpstreamConfig uc = e.group.config();
        BackendPool pool = loop.pool(server.state());
        BackendConnection idle = pool.poll(uc.keepalive(), uc.idleTimeout().toNanos(), now);
        if (idle != null) {
            sendHead(e, idle);
            return;
        }
        ChannelFuture f = pool.connect(server.address(), (int) Math.min(Integer.MAX_VALUE, uc.timeouts().connect().toMillis()));
        f.addListener((ChannelFutureListener) future -> onConnected(e, server, future));
    }

    private void onConnected(Exchange e, UpstreamServer server, ChannelFuture future) {
        if (ex != e || e.server != server) {
            // The client left or the exchange moved on while connecting.
            if (future.isSuccess()) {
                future.channel().close();
            }
            return;
        }
        if (!future.isSuccess()) {
            Throwable cause = future.cause();
            attemptFailed(e, cause instanceof ConnectTimeoutException ? FailureKind.CONNECT_TIMEOUT : FailureKind.CONNECT,
                    cause, false);
            return;
        }
        sendHead(e, (BackendConnection) future.channel().pipeline().get("backend"));
    }

    private void sendHead(Exchange e, BackendConnection b) {
        e.backend = b;
        b.attach(this);
        e.upstreamStartNanos = System.nanoTime();
        Channel backend = b.channel();
        UpstreamConfig uc = e.group.config();
        upstreamTimer.arm(uc.timeouts().read().toNanos());
        if (e.requestComplete) {
            // A retry of a request without a body: its end was already read.
            backend.write(e.upstreamRequest, backend.voidPromise());
            backend.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, backend.voidPromise());
        } else {
            backend.write(e.upstreamRequest, backend.voidPromise());
            if (e.expectContinue && e.attempts.count() == 1) {
                backend.flush();
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
            }
            clientTimer.arm(e.config.config().limits().clientTimeout().toNanos());
            readClient();
        }
        backend.read();
    }

    // ---- the response from the server ----

    @Override
    public void onResponseHead(BackendConnection c, HttpResponse response) {
        Exchange e = ex;
        if (e == null || c != e.backend) {
            return;
        }
        upstreamTimer.touch();
        int code = response.status().code();
        if (code < 200) {
            // 100 Continue was handled here, and nothing else interim is passed on to HTTP/1 clients.
            e.inInterimResponse = true;
            return;
        }
        e.status = code;
        e.responseStarted = true;
        e.source = "upstream";
        e.backendKeepAlive = HttpUtil.isKeepAlive(response);
        HttpHeaders h = response.headers();
        boolean hasLength = h.contains(HttpHeaderNames.CONTENT_LENGTH);
        HopByHopHeaders.strip(h);
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (!hasLength && !bodyless(e, code)) {
            if (e.clientVersion.equals(HttpVersion.HTTP_1_1)) {
                h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else {
                // An HTTP/1.0 client knows the end of a body of unknown length only by the close.
                closeAfterResponse = true;
            }
        }
        setConnectionHeader(e, h);
        ctx.write(response, ctx.voidPromise());
    }

    private static boolean bodyless(Exchange e, int code) {
        return e.isHead() || code == 204 || code == 304;
    }

    private void setConnectionHeader(Exchange e, HttpHeaders h) {
        boolean keepAlive = e.clientKeepAlive && !closeAfterResponse && !listener.draining();
        if (!keepAlive) {
            closeAfterResponse = true;
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (e.clientVersion.equals(HttpVersion.HTTP_1_0)) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    @Override
    public void onResponseContent(BackendConnection c, HttpContent content) {
        Exchange e = ex;
        if (e == null || c != e.backend) {
            content.release();
            return;
        }
        upstreamTimer.touch();
        boolean last = content instanceof LastHttpContent;
        if (e.inInterimResponse) {
            content.release();
            e.inInterimResponse = !last;
            return;
        }
        e.responseBytes += content.content().readableBytes();
        if (!last) {
            ctx.write(content, ctx.voidPromise());
            return;
        }
        e.responseComplete = true;
        e.upstreamNanos = System.nanoTime() - e.upstreamStartNanos;
        e.server.state().metrics().response(e.status, e.upstreamNanos);
        e.server.state().health().passive().recordSuccess();
        if (!e.requestComplete) {
            // The server answered before the whole body arrived: the rest of it cannot be skipped safely.
            closeAfterResponse = true;
        }
        endUpstream(e, e.backendKeepAlive && e.requestComplete);
        ctx.writeAndFlush(content).addListener(responseWritten);
    }

    @Override
    public void onReadComplete(BackendConnection c) {
        Exchange e = ex;
        if (e == null || c != e.backend) {
            return;
        }
        ctx.flush();
        if (ctx.channel().isWritable()) {
            c.channel().read();
        } else {
            // The client is not reading as fast as the server sends: stop reading the server until it does.
            e.waitingForClientWritable = true;
            clientTimer.arm(e.config.config().limits().clientTimeout().toNanos());
        }
    }

    @Override
    public void onWritabilityChanged(BackendConnection c) {
        Exchange e = ex;
        if (e != null && c == e.backend && e.waitingForBackendWritable && c.channel().isWritable()) {
            e.waitingForBackendWritable = false;
            upstreamTimer.arm(e.group.config().timeouts().read().toNanos());
            readClient();
        }
    }

    @Override
    public void onFailure(BackendConnection c, FailureKind kind, Throwable cause) {
        Exchange e = ex;
        if (e == null || c != e.backend) {
            return;
        }
        attemptFailed(e, kind, cause, c.reused());
    }

    private void onUpstreamTimeout() {
        Exchange e = ex;
        if (e != null && e.backend != null && !e.responseComplete) {
            attemptFailed(e, FailureKind.TIMEOUT, new IOException("no progress within the upstream timeout"), false);
        }
    }

    /**
     * One attempt failed: count it against the server, then retry elsewhere when that is safe, else answer
     * with an error page, or cut the client off when part of the response is already on its way.
     */
    private void attemptFailed(Exchange e, FailureKind kind, Throwable cause, boolean staleKeepAlive) {
        UpstreamServer server = e.server;
        endUpstream(e, false);
        e.lastFailure = kind;
        server.state().metrics().failure(kind);
        UpstreamConfig uc = e.group.config();
        // A kept-alive connection closed by the server between requests is not the server's fault.
        boolean blameless = staleKeepAlive && kind == FailureKind.RESET && !e.responseStarted;
        if (!blameless && server.state().health().passive().recordFailure(System.nanoTime(),
                uc.passive().maxFails(), uc.passive().failTimeout().toNanos())) {
            log.warn("server {} in upstream '{}' taken out for {} after {} failure(s)", server.label(),
                    e.group.name(), uc.passive().failTimeout(), uc.passive().maxFails());
        }
        if (e.responseStarted) {
            log.warn("{} {} from {}: response cut short ({}): {}", e.method, e.uri, server.label(), kind, cause.toString());
            closeAfterResponse = true;
            ctx.flush();
            ctx.close();
            return;
        }
        boolean safe = kind.beforeSend() || (e.idempotent() && e.requestBodyBytes == 0);
        if (safe && e.attempts.count() <= uc.retries()) {
            log.info("{} {} failed on {} ({}: {}), retrying", e.method, e.uri, server.label(), kind, cause.toString());
            connect(e);
            return;
        }
        log.warn("{} {} failed on {} ({}): {}", e.method, e.uri, server.label(), kind, cause.toString());
        respondError(e, HttpResponseStatus.valueOf(kind.clientStatus()), e.bodyExpected && !e.requestComplete);
    }

    /** Lets go of the server: the connection goes back to its pool when {@code reusable}, else it is closed. */
    private void endUpstream(Exchange e, boolean reusable) {
        upstreamTimer.disarm();
        BackendConnection b = e.backend;
        if (b != null) {
            e.backend = null;
            b.release(reusable);
        }
        if (e.server != null) {
            e.server.state().requestEnded();
            e.server = null;
        }
        e.waitingForBackendWritable = false;
        e.waitingForClientWritable = false;
    }

    // ---- answering ----

    /** Answers {@code e} with an error page; {@code close} when the connection cannot be reused after it. */
    private void respondError(Exchange e, HttpResponseStatus status, boolean close) {
        clientTimer.disarm();
        if (e.responseStarted) {
            ctx.close();
            return;
        }
        if (close || !e.clientKeepAlive || listener.draining()) {
            closeAfterResponse = true;
        }
        e.status = status.code();
        e.responseStarted = true;
        e.responseComplete = true;
        e.source = "tandem";
        ctx.writeAndFlush(ErrorResponses.of(status, closeAfterResponse, e.isHead())).addListener(responseWritten);
    }

    private void onResponseWritten(ChannelFuture future) {
        Exchange e = ex;
        if (e == null) {
            return;
        }
        ex = null;
        finish(e, e.status);
        if (!future.isSuccess() || closeAfterResponse || closed || listener.draining()) {
            // A response whose head left before the drain began still said keep-alive: close after it all the same.
            ctx.close();
        } else {
            awaitRequest();
        }
    }

    private void finish(Exchange e, int status) {
        long nanos = System.nanoTime() - e.startNanos;
        Site site = e.site;
        RequestMetrics metrics = site != null ? site.metrics().get(listener.name()) : null;
        (metrics != null ? metrics : e.config.unrouted(listener.name())).record(status, nanos);
        AccessLog accessLog = listener.accessLog();
        if (accessLog != null) {
            accessLog.log(new AccessLogEntry(remote.getAddress().getHostAddress(), System.currentTimeMillis(),
                    e.method.name(), e.uri, e.clientVersion.text(), status, e.responseBytes, e.referer, e.userAgent,
                    e.source, e.upstreamLabel, nanos, e.upstreamNanos));
        }
    }
}
