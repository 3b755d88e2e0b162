package dev.tandem.proxy.http;

import dev.tandem.conf.FixedResponse;
import dev.tandem.conf.HttpsRedirect;
import dev.tandem.conf.LimitsConfig;
import dev.tandem.conf.ListenerConfig;
import dev.tandem.conf.UpstreamConfig;
import dev.tandem.proxy.guard.Page;
import dev.tandem.proxy.guard.SitePages;
import dev.tandem.proxy.log.AccessLog;
import dev.tandem.proxy.log.AccessLogEntry;
import dev.tandem.proxy.log.RateLimitedLog;
import dev.tandem.proxy.routing.RoutePath;
import dev.tandem.proxy.runtime.RequestMetrics;
import dev.tandem.proxy.runtime.Route;
import dev.tandem.proxy.runtime.RuntimeConfig;
import dev.tandem.proxy.runtime.RuntimeListener;
import dev.tandem.proxy.runtime.Site;
import dev.tandem.proxy.statics.StaticExchange;
import dev.tandem.proxy.upstream.BackendConnection;
import dev.tandem.proxy.upstream.BackendListener;
import dev.tandem.proxy.upstream.BackendPool;
import dev.tandem.proxy.upstream.FailureKind;
import dev.tandem.proxy.upstream.LoopResources;
import dev.tandem.proxy.upstream.RendezvousHash;
import dev.tandem.proxy.upstream.RetryBackoff;
import dev.tandem.proxy.upstream.ServerQueue;
import dev.tandem.proxy.upstream.UpstreamFailure;
import dev.tandem.proxy.upstream.UpstreamGroup;
import dev.tandem.proxy.upstream.UpstreamServer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
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
import io.netty.util.AsciiString;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reverse proxy for one client connection: reads a request, picks a server, streams the request to it
 * and its response back, then takes the next request (keep-alive and pipelining are served one request at
 * a time, in order).
 *
 * <p>Both directions are streamed with backpressure. The client channel does not read by itself: a
 * {@link OneMessagePerRead} before this handler releases one decoded message per {@code read()}, and the
 * next body chunk is read only once the upstream connection can take it. The upstream connection reads
 * the response only while the client connection is writable.
 *
 * <p>Two timers say who owes the next move. The client timer runs while the client owes us bytes (the next
 * request, the rest of a body) or must make room for the response; the upstream timer runs while the
 * server owes us the response (read timeout) or room for the request body (write timeout). Neither runs
 * while the other side is the one holding things up, so a slow client never counts against a server.
 *
 * <p>Failures before the response starts are retried on another server when it is safe (README, "Retries"), or
 * answered with 502/503/504; once the response has started, the client connection is closed so that the
 * client sees a truncated response rather than a wrong one.
 *
 * <p>An HTTP/1.1 request that asks for an upgrade the proxy lets through (WebSocket, or what the site allows:
 * see {@link UpgradeOffer}) is sent with that {@code Upgrade} and {@code Connection: upgrade}; when the server
 * answers 101 naming it, both connections leave HTTP and become a {@link Tunnel}, and this handler steps out.
 * Any other 101 is answered 502 and its server connection closed.
 *
 * <p>On HTTP/2 ({@code stream} true) the same handler serves one stream, which the stream codec presents as
 * HTTP/1.1 messages, and these assumptions differ: the stream carries exactly one exchange (no keep-alive, no
 * pipelining, no {@code Connection} header; the response ends the stream, and an early response resets the
 * rest of the request); {@code :authority} arrives as {@code Host}; there is no upgrade; the client timer
 * waits for the body and the reading of the response, the connection's idle timeout lives on the connection;
 * and the connection is counted and drained as a whole (GOAWAY), not per stream. Flow control needs nothing
 * of its own: a stream's window opens as this handler reads (when the server can take the body), and the
 * stream channel turns unwritable when the client's window is spent, which stops reading the server exactly as
 * a full socket does.
 */
public final class ProxyHandler extends ChannelInboundHandlerAdapter implements BackendListener, ServerQueue.Waiter {

    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);
    private static final int CLIENT_CLOSED_REQUEST = 499;
    private static final AsciiString STRICT_TRANSPORT_SECURITY = AsciiString.cached("strict-transport-security");
    /** Headers the HTTP/2 stream codec adds for its own bookkeeping ({@code x-http2-stream-id}, ...). */
    private static final String HTTP2_EXTENSION_PREFIX = "x-http2-";
    private static final AsciiString HTTP2_SETTINGS = AsciiString.cached("http2-settings");
    /** What a request the queue could not hold is told: come back soon, the burst is likely over by then. */
    private static final AsciiString RETRY_AFTER_SECONDS = AsciiString.cached("1");
    private static final String QUEUE_FULL = "queue full";
    private static final String QUEUE_TIMEOUT = "queue timeout";

    /** What the client timer is waiting for. */
    private enum ClientWait { NONE, NEXT_REQUEST, CLIENT }

    /** What the upstream timer is waiting for. */
    private enum UpstreamWait { NONE, READ, WRITE }

    private final ListenerContext listener;
    private final LoopResources loop;
    /** This handler serves one HTTP/2 stream rather than an HTTP/1.x connection. */
    private final boolean stream;
    private final ChannelFutureListener responseWritten = this::onResponseWritten;
    private ChannelHandlerContext ctx;
    private InetSocketAddress remote;
    /** The forwarding headers of this connection's client, worked out once for all its requests. */
    private ForwardingHeaders forwarding;
    private RouteHeaderRules headerRules;
    /** The host of an HTTP/1.0 request without Host: the address and port the client connected to. */
    private String defaultHost;
    private long clientHash;
    private DeadlineTimer clientTimer;
    private DeadlineTimer upstreamTimer;
    private ClientWait clientWait = ClientWait.NONE;
    private UpstreamWait upstreamWait = UpstreamWait.NONE;
    private Exchange ex;
    private boolean firstRequest = true;
    /** A response has been written and the connection waits for (or reads) another request. */
    private boolean reused;
    /** The connection this handler answers on (an HTTP/1.x connection); null on an HTTP/2 stream. */
    private ClientConnection connection;
    /** Close the connection once the current response is written. */
    private boolean closeAfterResponse;
    /** Set when Tandem itself cuts off a client mid-exchange: the close that follows is not a client abort. */
    private boolean closingExchange;
    private boolean closed;
    private boolean started;
    /** The server the current exchange waits for a connection slot on, in this loop's queue for it; or null. */
    private UpstreamServer queuedFor;
    /** This HTTP/1.x connection's place in the loop's idle sweep while it waits for a request; null on a stream. */
    private final DueList.Entry idle;
    /** Woken from {@link DormantConnection}: the wait for the next request goes on until {@link #resumeDeadline}. */
    private boolean resumed;
    private long resumeDeadline;

    public ProxyHandler(ListenerContext listener, LoopResources loop) {
        this(listener, loop, false);
    }

    /** @param stream true for an HTTP/2 stream channel */
    ProxyHandler(ListenerContext listener, LoopResources loop, boolean stream) {
        this.listener = listener;
        this.loop = loop;
        this.stream = stream;
        this.idle = stream ? null : new DueList.Entry(this::sleep);
    }

    /**
     * The handler of an HTTP/1.x connection woken from {@link DormantConnection}: it waits for the request
     * whose bytes are arriving until the deadline the connection slept with.
     *
     * @param reused the connection had answered a request before it slept
     */
    static ProxyHandler resumed(ListenerContext listener, LoopResources loop, boolean reused, long deadline) {
        ProxyHandler h = new ProxyHandler(listener, loop, false);
        h.firstRequest = false;
        h.reused = reused;
        h.resumed = true;
        h.resumeDeadline = deadline;
        return h;
    }

    // ---- client connection lifecycle ----

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.clientTimer = new DeadlineTimer(ctx.executor(), this::onClientTimeout);
        this.upstreamTimer = new DeadlineTimer(ctx.executor(), this::onUpstreamTimeout);
        connection = stream ? null : ctx.pipeline().get(ClientConnection.class);
        if (connection != null) {
            connection.onDrain(this::drainIfIdle);
            connection.onStepDown(this::closeIfKeptIdle);
        }
        if (ctx.channel().isActive()) {
            // Added after the connection came up (behind TLS): channelActive has been and gone.
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (idle != null) {
            idle.unlink();
        }
    }

    private void start() {
        if (started) {
            return;
        }
        started = true;
        remote = (InetSocketAddress) ctx.channel().remoteAddress();
        forwarding = new ForwardingHeaders(remote);
        headerRules = new RouteHeaderRules(listener, forwarding);
        if (ctx.channel().localAddress() instanceof InetSocketAddress local) {
            defaultHost = NetUtil.toSocketAddressString(local);
        }
        clientHash = RendezvousHash.hashAddress(remote.getAddress().getAddress());
        awaitRequest();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        if (idle != null) {
            idle.unlink();
        }
        clientTimer.cancel();
        upstreamTimer.cancel();
        leaveQueue();
        Exchange e = ex;
        if (e != null) {
            ex = null;
            if (e.retryTimer != null) {
                e.retryTimer.cancel(false);
                e.retryTimer = null;
            }
            endUpstream(e, false);
            if (!closingExchange) {
                metrics(e).clientAborted();
            }
            finish(e, e.responseStarted ? e.status : CLIENT_CLOSED_REQUEST);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("client {} connection error: {}", remote, cause.toString());
        } else if (cause instanceof DecoderException) {
            // What a client sends cannot make a stack trace worth logging (a request the decoder gives up on).
            log.info("client {} sent what cannot be decoded: {}", remote, cause.getMessage());
        } else {
            log.warn("client {} connection error", remote, cause);
        }
        ctx.close();
    }

    /** The listener is draining: an idle connection closes now, a busy one after its response (its event loop). */
    private void drainIfIdle() {
        if (!closed && ex == null) {
            ctx.close();
        }
    }

    /**
     * This node gives up the address the client reached: a connection idle between requests closes now (the
     * client opens another, which finds the address's new holder); one that is busy, or new and not yet asked
     * anything, answers its next request with {@code Connection: close} (see {@link #draining()}).
     */
    private void closeIfKeptIdle() {
        if (!closed && ex == null && reused) {
            ctx.close();
        }
    }

    /** No more keep-alive: the listener drains, or the connection's address is being given up. */
    private boolean draining() {
        return listener.draining() || (connection != null && connection.closing());
    }

    private void awaitRequest() {
        if (stream) {
            // A stream is opened by its request's HEADERS: they are already here, nothing to wait for.
            ctx.read();
            return;
        }
        LimitsConfig limits = listener.config().config().limits();
        IdleSweep sweep = loop.idleSweep();
        long timeout = resumed ? Math.max(0, resumeDeadline - sweep.now())
                : (firstRequest ? limits.clientTimeout() : limits.keepaliveTimeout()).toNanos();
        resumed = false;
        setClientWait(ClientWait.NEXT_REQUEST, timeout);
        firstRequest = false;
        sweep.waiting(idle);
        ctx.read();
    }

    /**
     * The connection has waited a while for its next request (the loop's {@link IdleSweep} says when): unless
     * some of one has arrived, the HTTP handlers leave and a {@link DormantConnection} holds the connection, with
     * this wait's deadline, until the client sends again.
     */
    private void sleep() {
        if (closed || ex != null || clientWait != ClientWait.NEXT_REQUEST || !clientTimer.armed()) {
            return;
        }
        ChannelPipeline p = ctx.pipeline();
        ClientHttpCodec codec = p.get(ClientHttpCodec.class);
        OneMessagePerRead flow = p.get(OneMessagePerRead.class);
        if (codec == null || flow == null || codec.bufferedBytes() > 0 || codec.insideMessage()
                || codec.unanswered() > 0 || flow.held() > 0) {
            // Part of a request is here (or still to come): the connection is not idle, and its timer goes on.
            return;
        }
        long deadline = clientTimer.deadline();
        clientTimer.cancel();
        upstreamTimer.cancel();
        clientWait = ClientWait.NONE;
        DormantConnection dormant = new DormantConnection(listener, loop, reused, deadline);
        p.remove(this);
        p.remove(flow);
        if (p.get(HandlerNames.CHUNKED_WRITE) != null) {
            p.remove(HandlerNames.CHUNKED_WRITE);
        }
        if (listener.tls() == null && connection != null) {
            // Plaintext: the connection's first handler is next to the codec, and hosts the sleeper.
            p.remove(codec);
            connection.host(dormant);
        } else {
            // Behind TLS: the sleeper takes the codec's place, after the TLS handler, as a handler of its own.
            p.replace(codec, HandlerNames.DORMANT, dormant);
        }
    }

    private void onClientTimeout() {
        clientWait = ClientWait.NONE;
        Exchange e = ex;
        if (e == null) {
            ctx.close();
        } else if (!e.responseStarted && !e.requestComplete) {
            log.info("client {} too slow sending {} {}", remote, e.method, e.uri);
            endUpstream(e, false);
            respondError(e, HttpResponseStatus.REQUEST_TIMEOUT, true);
        } else {
            log.info("client {} too slow reading the response to {} {}", remote, e.method, e.uri);
            closingExchange = true;
            ctx.close();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Exchange e = ex;
        if (e != null && e.waitingForClientWritable && ctx.channel().isWritable() && e.backend != null) {
            e.waitingForClientWritable = false;
            updateTimers(e);
            e.backend.channel().read();
        }
    }

    // ---- requests from the client ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpRequest full && stream && !full.decoderResult().isFailure()) {
            // An HTTP/2 request whose HEADERS ended the stream: a head, then the end of an empty body, as from
            // HTTP/1.1 (the head alone is what goes upstream, and may go again on a retry).
            onRequest(new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(), full.headers()));
            onRequestContent(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
        } else if (msg instanceof HttpRequest request) {
            // A request that failed to decode may arrive whole, as a request that is also (empty) content.
            boolean failed = request.decoderResult().isFailure();
            try {
                onRequest(request);
            } catch (RuntimeException ex) {
                ReferenceCountUtil.release(msg);
                throw ex;
            }
            if (msg instanceof HttpContent content) {
                if (failed) {
                    content.release();
                } else {
                    onRequestContent(content);
                }
            }
        } else if (msg instanceof HttpContent content) {
            onRequestContent(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequest(HttpRequest request) {
        setClientWait(ClientWait.NONE, 0);
        if (idle != null) {
            idle.unlink();
        }
        if (ex != null || closeAfterResponse) {
            return;
        }
        long now = System.nanoTime();
        RuntimeConfig config = listener.config();
        Exchange e = new Exchange(config, config.runtimeListener(listener.name()), request, now,
                stream ? "HTTP/2.0" : request.protocolVersion().text(), listener.accessLog() != null);
        ex = e;
        if (stream) {
            fromHttp2(request);
        }

        if (request.decoderResult().isFailure()) {
            // Nothing of a request that failed to decode can be trusted, its framing headers least of all.
            Throwable cause = request.decoderResult().cause();
            HttpResponseStatus status = cause instanceof TooLongFrameException
                    ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE : HttpResponseStatus.BAD_REQUEST;
            log.info("client {} sent a bad request ({}): {}", remote, status.code(), cause.getMessage());
            respondError(e, status, true);
            return;
        }
        e.clientKeepAlive = !stream && HttpUtil.isKeepAlive(request) && !draining();
        e.chunked = HttpUtil.isTransferEncodingChunked(request);
        e.bodyExpected = e.chunked || HttpUtil.getContentLength(request, 0L) > 0;
        RequestTarget target = RequestTarget.check(request, config.config().limits(), stream ? null : defaultHost);
        if (target.status() != 0) {
            log.info("client {} request refused ({}): {}", remote, target.status(), target.reason());
            respondError(e, HttpResponseStatus.valueOf(target.status()), true);
            return;
        }
        e.expectContinue = request.headers().contains(HttpHeaderNames.EXPECT)
                && request.protocolVersion().equals(HttpVersion.HTTP_1_1);
        ListenerConfig options = e.listener != null ? e.listener.options() : null;
        if (options != null && options.redirectHttps().isPresent()) {
            redirectToHttps(e, request, target, options.redirectHttps().get());
            return;
        }
        Site site = config.route(target.host());
        e.site = site;
        serve(e, request, target);
    }

    /** Serves a request: by its site's routes, each request through its route's guard (see {@link #dispatch}). */
    private void serve(Exchange e, HttpRequest request, RequestTarget target) {
        Site site = e.site;
        if (!stream) {
            offerUpgrade(e, request, site);
        }
        if (site == null) {
            respondError(e, HttpResponseStatus.NOT_FOUND, e.bodyExpected);
            return;
        }
        dispatch(e, request, target, site);
    }

    // ---- within the site: its routes ----

    /**
     * Chooses the site's route by the request's normalized path (see {@link RoutePath}), lets the route's guard
     * look at it (the site's maintenance, then the access rules in force for the route: so a route's
     * {@code return} is behind them too), and hands it to what the route says: a fixed answer, the disk, or an
     * upstream.
     */
    private void dispatch(Exchange e, HttpRequest request, RequestTarget target, Site site) {
        e.target = target;
        String path = RoutePath.normalize(target.target());
        if (path == null) {
            if (!site.routes().isEmpty()) {
                // Which route such a path belongs to cannot be told; nginx answers it 400 too.
                log.info("client {} {} {}: a path that cannot be normalized (a NUL, or .. above the root)", remote,
                        e.method, e.uri);
                respondError(e, HttpResponseStatus.BAD_REQUEST, true);
                return;
            }
            path = RoutePath.pathOf(target.target());
        }
        Route route = site.route(path);
        e.route = route;
        e.path = path;
        if (route.requests() != null) {
            route.requests().increment();
        }
        if (route.guard().guards()) {
            route.guard().admit(new GuardStep(request, forwarding, e.config.config().forwarding(), ctx.executor(),
                    () -> ex == e && !closed, () -> answerRoute(e, request, target, site, route),
                    (status, page, extra) -> respond(e, status, page, extra, e.bodyExpected)));
            return;
        }
        answerRoute(e, request, target, site, route);
    }

    /** Hands a request its route's guard let through to what the route says. */
    private void answerRoute(Exchange e, HttpRequest request, RequestTarget target, Site site, Route route) {
        if (route.fixed() != null) {
            respondFixed(e, route.fixed());
            return;
        }
        if (route.files() != null && route.files().wants(request.method(), target.target())) {
            // A route's root serves the path the route was chosen by (nginx looks up $uri), its prefix replaced
            // when it says so (nginx alias); the site's own static path, older than routes, looks up the path as
            // sent and refuses dot segments in it.
            String lookup = route == site.own() ? target.target()
                    : RoutePath.target(route.replacePrefix() == null ? e.path : route.rewrite(e.path), target.target());
            route.files().serve(new StaticCall(e, request, target), request, lookup);
            return;
        }
        toUpstream(e, request, target);
    }

    /** A route's {@code return} or {@code redirect}: answered here, the request body (if any) left unread. */
    private void respondFixed(Exchange e, FixedResponse fixed) {
        setClientWait(ClientWait.NONE, 0);
        // A body is not read: the connection cannot carry another request after it.
        boolean close = closeAfterResponse || e.bodyExpected || !e.clientKeepAlive || draining();
        FullHttpResponse r = FixedResponses.of(fixed, headerRules.variables(e), close && !stream, e.isHead());
        if (r == null) {
            // $uri decoded a %0d%0a: such a Location would split the response.
            e.site.headerRuleDrops().increment();
            log.info("client {} {} {}: redirect refused, its Location would hold control characters", remote,
                    e.method, e.uri);
            respondError(e, HttpResponseStatus.BAD_REQUEST, true);
            return;
        }
        closeAfterResponse = close;
        headerRules.response(e, r.headers());
        addHsts(e, r.headers());
        e.status = r.status().code();
        e.responseStarted = true;
        e.responseComplete = true;
        e.source = "tandem";
        e.responseBytes = r.content().readableBytes();
        ctx.writeAndFlush(r).addListener(responseWritten);
    }

    private void toUpstream(Exchange e, HttpRequest request, RequestTarget target) {
        UpstreamGroup group = e.route != null ? e.route.upstream() : null;
        if (group == null) {
            respondError(e, HttpResponseStatus.NOT_FOUND, e.bodyExpected);
            return;
        }
        e.group = group;
        e.upstreamRequest = upstreamRequest(request, target, e.config);
        connect(e);
    }

    /** The request head as it goes upstream: HTTP/1.1, origin-form, hop-by-hop headers replaced by ours. */
    private HttpRequest upstreamRequest(HttpRequest request, RequestTarget target, RuntimeConfig config) {
        HttpHeaders h = request.headers();
        HopByHopHeaders.strip(h);
        UnderscoredHeaders.strip(h, config.config().forwarding().underscoresInHeaders());
        h.remove(HttpHeaderNames.EXPECT);
        // Meaningful only with an h2c upgrade, which never goes upstream (see UpgradeOffer).
        h.remove(HTTP2_SETTINGS);
        if (ex.upgrade != null) {
            // Hop-by-hop, but the one case where they must reach the server: the upgrade is its to accept.
            h.set(HttpHeaderNames.UPGRADE, ex.upgrade.upstream());
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        }
        Route route = ex.route;
        headerRules.request(ex, h);
        if (target.host() != null) {
            h.set(HttpHeaderNames.HOST, target.host());
        }
        forwarding.apply(h, listener.scheme(), target.host(), config.config().forwarding());
        if (ex.chunked) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
        // A rewritten target is built from the normalized path, encoded again, with the query as sent.
        request.setUri(route.replacePrefix() == null ? target.target()
                : RoutePath.target(route.rewrite(ex.path), target.target()));
        return request;
    }

    private void onRequestContent(HttpContent content) {
        Exchange e = ex;
        if (content.decoderResult().isFailure()) {
            // A broken chunk: the body cannot be delimited, so it must not reach the server as if it had ended.
            content.release();
            log.info("client {} sent a malformed body: {}", remote, content.decoderResult().cause().getMessage());
            if (e == null) {
                ctx.close();
            } else {
                endUpstream(e, false);
                respondError(e, HttpResponseStatus.BAD_REQUEST, true);
            }
            return;
        }
        if (e == null || e.requestComplete || e.responseComplete) {
            // The tail of a request already answered (an error page, or an early response).
            content.release();
            if (e == null && !closeAfterResponse) {
                ctx.read();
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
            TrailerFields.strip(((LastHttpContent) content).trailingHeaders(),
                    e.config.config().forwarding().underscoresInHeaders());
        } else {
            clientTimer.touch();
        }
        BackendConnection b = e.backend;
        if (b == null) {
            // Between attempts: only a request without a body is ever retried once sent, and the end of it is
            // all that can arrive here; the next attempt sends the head and the end.
            content.release();
            return;
        }
        Channel backend = b.channel();
        // A failed write surfaces as the connection's exceptionCaught, which fails the attempt.
        backend.writeAndFlush(content, backend.voidPromise());
        upstreamTimer.touch();
        if (!last) {
            if (backend.isWritable()) {
                ctx.read();
            } else {
                // The server is not taking the body as fast as the client sends it: wait, under the write timeout.
                e.waitingForBackendWritable = true;
            }
        }
        updateTimers(e);
    }

    // ---- choosing and reaching a server ----

    private void connect(Exchange e) {
        long now = System.nanoTime();
        UpstreamServer server = e.group.select(loop.index(), clientHash, e.attempts, now);
        if (server == null) {
            if (e.attempts.count() == 0) {
                long n = e.group.logLine("no server", now);
                if (n != RateLimitedLog.QUIET) {
                    log.warn("no server available in upstream '{}' for {} {}{}", e.group.name(), e.method, e.uri,
                            RateLimitedLog.repeats(n));
                }
                metrics(e).noServer(e.group.name());
                respondError(e, HttpResponseStatus.SERVICE_UNAVAILABLE, e.bodyExpected && !e.requestComplete);
            } else {
                respondError(e, HttpResponseStatus.valueOf(e.lastFailure.clientStatus()),
                        e.bodyExpected && !e.requestComplete);
            }
            return;
        }
        UpstreamConfig uc = e.group.config();
        switch (loop.pool(server.state()).queue().admit(this, server.config().maxConnections(), uc.queue(), now)) {
            case STARTED -> connectTo(e, server, true, now);
            case QUEUED -> queuedFor = server;
            case REFUSED -> overloaded(e, server, QUEUE_FULL);
        }
    }

    @Override
    public void slotGranted() {
        UpstreamServer server = queuedFor;
        queuedFor = null;
        Exchange e = ex;
        if (server == null || e == null || closed) {
            if (server != null) {
                server.state().requestEnded();
            }
            return;
        }
        connectTo(e, server, true, System.nanoTime());
    }

    @Override
    public void queueTimedOut() {
        UpstreamServer server = queuedFor;
        queuedFor = null;
        Exchange e = ex;
        if (server != null && e != null && !closed) {
            overloaded(e, server, QUEUE_TIMEOUT);
        }
    }

    /** The request waits no longer for {@code server}: 503 with Retry-After, so that clients come back later. */
    private void overloaded(Exchange e, UpstreamServer server, String reason) {
        e.upstreamLabel = server.label();
        e.overloaded = true;
        server.state().metrics().queueRefused(reason == QUEUE_TIMEOUT);
        long n = server.state().logLine(reason, System.nanoTime());
        if (n != RateLimitedLog.QUIET) {
            log.warn("{} {}: server {} in upstream '{}' at max_connections, {}: 503{}", e.method, e.uri, server.label(),
                    e.group.name(), reason, RateLimitedLog.repeats(n));
        }
        respondError(e, HttpResponseStatus.SERVICE_UNAVAILABLE, e.bodyExpected && !e.requestComplete);
    }

    private void leaveQueue() {
        UpstreamServer server = queuedFor;
        if (server != null) {
            queuedFor = null;
            loop.pool(server.state()).queue().cancel(this);
        }
    }

    /**
     * Sends {@code e} to {@code server}, on an idle pooled connection when {@code pooled} and one is there. The
     * caller has taken a connection slot on the server for it.
     *
     * @param now {@code System.nanoTime()}, read once for choosing the server, the pool and the upstream clock
     */
    private void connectTo(Exchange e, UpstreamServer server, boolean pooled, long now) {
        e.server = server;
        e.upstreamLabel = server.label();
        UpstreamConfig uc = e.group.config();
        BackendPool pool = loop.pool(server.state());
        BackendConnection idle = pooled ? pool.poll(uc.keepalive(), uc.idleTimeout().toNanos(), now) : null;
        if (idle != null) {
            sendHead(e, idle, now);
            return;
        }
        ChannelFuture f = pool.connect(server.address(), (int) Math.min(Integer.MAX_VALUE, uc.timeouts().connect().toMillis()));
        f.addListener((ChannelFutureListener) future -> {
            if (future.isSuccess()) {
                server.state().metrics().connected(System.nanoTime() - now);
            }
            onConnected(e, server, future);
        });
    }

    private void onConnected(Exchange e, UpstreamServer server, ChannelFuture future) {
        if (ex != e || e.server != server || e.backend != null) {
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
        sendHead(e, (BackendConnection) future.channel().pipeline().get("backend"), System.nanoTime());
    }

    /** @param now {@code System.nanoTime()}: when the upstream's part of the request's time starts */
    private void sendHead(Exchange e, BackendConnection b, long now) {
        e.backend = b;
        b.attach(this);
        e.upstreamStartNanos = now;
        e.responseProgress = false;
        Channel backend = b.channel();
        if (e.requestComplete) {
            // A retry of a request without a body: its end was already read.
            backend.write(e.upstreamRequest, backend.voidPromise());
            backend.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, backend.voidPromise());
        } else {
            backend.write(e.upstreamRequest, backend.voidPromise());
            if (e.expectContinue && !e.continueSent) {
                e.continueSent = true;
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
            }
            // Delivers the end of a request without a body at once; a body comes chunk by chunk.
            ctx.read();
            if (e.backend == b && !e.requestComplete) {
                // The head goes now rather than with the first chunk of a body the client may be slow to send.
                backend.flush();
            }
        }
        if (e.backend == b) {
            updateTimers(e);
            backend.read();
        }
    }

    // ---- the response from the server ----

    @Override
    public void onResponseHead(BackendConnection c, HttpResponse response) {
        Exchange e = ex;
        if (e == null || c != e.backend) {
            return;
        }
        e.responseProgress = true;
        int code = response.status().code();
        if (code == 101) {
            if (e.upgrade != null && e.requestComplete
                    && e.upgrade.acceptedBy(response.headers().getAll(HttpHeaderNames.UPGRADE))) {
                switchToTunnel(e, c, response);
            } else {
                refuseSwitch(e, response);
            }
            return;
        }
        if (code < 200) {
            // 100 Continue was handled here, and nothing else interim is passed on to HTTP/1 clients.
            e.inInterimResponse = true;
            return;
        }
        e.status = code;
        e.responseStarted = true;
        e.source = "upstream";
        e.server.state().metrics().firstByte(System.nanoTime() - e.upstreamStartNanos);
        Page replacement = e.site == null ? null : pages(e).forUpstream(code);
        if (replacement != null) {
            // error_pages with upstream: true: the server's body is read and dropped, the site's page goes instead.
            e.upstreamReplaced = replacement;
            e.backendKeepAlive = HopByHopHeaders.keepAlive(response.protocolVersion(), HopByHopHeaders.strip(response.headers()));
            updateTimers(e);
            return;
        }
        HttpHeaders h = response.headers();
        boolean hasLength = h.contains(HttpHeaderNames.CONTENT_LENGTH);
        e.backendKeepAlive = HopByHopHeaders.keepAlive(response.protocolVersion(), HopByHopHeaders.strip(h));
        headerRules.response(e, h);
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (!hasLength && !bodyless(e, code) && !stream) {
            if (e.clientVersion.equals(HttpVersion.HTTP_1_1)) {
                h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else {
                // An HTTP/1.0 client knows the end of a body of unknown length only by the close.
                closeAfterResponse = true;
            }
        }
        setConnectionHeader(e, h);
        addHsts(e, h);
        ctx.write(response, ctx.voidPromise());
        updateTimers(e);
    }

    private static boolean bodyless(Exchange e, int code) {
        return e.isHead() || code == 204 || code == 304;
    }

    private void setConnectionHeader(Exchange e, HttpHeaders h) {
        if (stream) {
            // The stream ends with this response; HTTP/2 has no Connection header (RFC 9113 section 8.2.2).
            closeAfterResponse = true;
            return;
        }
        // An answer that comes before the whole request body leaves the rest of the body unread on the
        // connection, which therefore cannot carry another request.
        boolean keepAlive = e.clientKeepAlive && e.requestComplete && !closeAfterResponse && !draining();
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
        e.responseProgress = true;
        boolean last = content instanceof LastHttpContent;
        if (e.inInterimResponse) {
            content.release();
            e.inInterimResponse = !last;
            return;
        }
        if (e.upstreamReplaced != null) {
            content.release();
            if (last) {
                replaceUpstreamResponse(e);
            }
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
        e.server.state().metrics().bytes(e.requestBodyBytes, e.responseBytes);
        e.server.state().health().passive().recordSuccess();
        if (!e.requestComplete) {
            // The server answered before the whole body arrived: the rest of it cannot be skipped safely.
            closeAfterResponse = true;
        }
        endUpstream(e, e.backendKeepAlive && e.requestComplete);
        ctx.writeAndFlush(content).addListener(responseWritten);
    }

    /** The end of an upstream response the site's page replaces: the server is done with, the page goes out. */
    private void replaceUpstreamResponse(Exchange e) {
        e.responseComplete = true;
        e.upstreamNanos = System.nanoTime() - e.upstreamStartNanos;
        e.server.state().metrics().response(e.status, e.upstreamNanos);
        e.server.state().health().passive().recordSuccess();
        if (!e.requestComplete) {
            closeAfterResponse = true;
        }
        endUpstream(e, e.backendKeepAlive && e.requestComplete);
        FullHttpResponse r = e.upstreamReplaced.response(HttpResponseStatus.valueOf(e.status), false, e.isHead());
        setConnectionHeader(e, r.headers());
        headerRules.response(e, r.headers());
        addHsts(e, r.headers());
        e.responseBytes = r.content().readableBytes();
        ctx.writeAndFlush(r).addListener(responseWritten);
    }

    @Override
    public void onReadComplete(BackendConnection c) {
        Exchange e = ex;
        if (e == null || c != e.backend) {
            return;
        }
        // Progress counts once per read of the server's connection rather than per message it held (the read
        // timer cannot fire in between); after the end of the response the exchange has let go of the server.
        if (e.responseProgress) {
            e.responseProgress = false;
            upstreamTimer.touch();
        }
        ctx.flush();
        if (ctx.channel().isWritable()) {
            c.channel().read();
        } else {
            // The client is not reading as fast as the server sends: stop reading the server until it does.
            e.waitingForClientWritable = true;
            updateTimers(e);
        }
    }

    @Override
    public void onWritabilityChanged(BackendConnection c) {
        Exchange e = ex;
        if (e != null && c == e.backend && e.waitingForBackendWritable && c.channel().isWritable()) {
            e.waitingForBackendWritable = false;
            updateTimers(e);
            ctx.read();
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
        UpstreamWait waited = upstreamWait;
        upstreamWait = UpstreamWait.NONE;
        Exchange e = ex;
        if (e != null && e.backend != null && !e.responseComplete) {
            attemptFailed(e, FailureKind.TIMEOUT, new UpstreamFailure("no progress within the upstream "
                    + (waited == UpstreamWait.WRITE ? "write" : "read") + " timeout"), false);
        }
    }

    /**
     * One attempt failed: count it against the server, then retry elsewhere when that is safe, else answer
     * with an error page, or cut the client off when part of the response is already on its way.
     *
     * @param reusedConnection the attempt ran on a kept-alive connection that served an earlier request
     */
    private void attemptFailed(Exchange e, FailureKind kind, Throwable cause, boolean reusedConnection) {
        UpstreamServer server = e.server;
        endUpstream(e, false);
        UpstreamConfig uc = e.group.config();
        // A kept-alive connection the server closed just as it was reused: the server dropped an idle connection,
        // it did not fail. Sent again on a new connection to the same server, and neither counted against the
        // server nor as an attempt.
        if (reusedConnection && kind == FailureKind.RESET && !e.responseStarted && e.resendable()) {
            log.debug("{} {}: kept-alive connection to {} was closed, sending again on a new one", e.method, e.uri,
                    server.label());
            // It held a slot a moment ago, and takes it again rather than queue behind requests that came later.
            server.state().requestStarted();
            connectTo(e, server, false, System.nanoTime());
            return;
        }
        e.lastFailure = kind;
        server.state().metrics().failure(kind);
        boolean blameless = reusedConnection && kind == FailureKind.RESET && !e.responseStarted;
        long now = System.nanoTime();
        if (!blameless && server.state().health().passive().recordFailure(now,
                uc.passive().maxFails(), uc.passive().failTimeout().toNanos())) {
            long n = server.state().logLine("taken out", now);
            if (n != RateLimitedLog.QUIET) {
                log.warn("server {} in upstream '{}' taken out for {} after {} failure(s){}", server.label(),
                        e.group.name(), uc.passive().failTimeout(), uc.passive().maxFails(), RateLimitedLog.repeats(n));
            }
        }
        if (e.responseStarted) {
            long n = server.state().logLine("cut short", now);
            if (n != RateLimitedLog.QUIET) {
                log.warn("{} {} from {}: response cut short ({}): {}{}", e.method, e.uri, server.label(), kind,
                        cause.toString(), RateLimitedLog.repeats(n));
            }
            closeAfterResponse = true;
            closingExchange = true;
            ctx.flush();
            ctx.close();
            return;
        }
        boolean safe = kind.beforeSend() || e.resendable();
        if (safe && e.attempts.count() <= uc.retries()) {
            long n = server.state().logLine(kind.retriedReason(), now);
            if (n != RateLimitedLog.QUIET) {
                log.info("{} {} failed on {} ({}: {}), retrying{}", e.method, e.uri, server.label(), kind,
                        cause.toString(), RateLimitedLog.repeats(n));
            }
            server.state().metrics().retried();
            if (kind == FailureKind.CONNECT || kind == FailureKind.RESET) {
                retryAfterBackoff(e);
            } else {
                connect(e);
            }
            return;
        }
        long n = server.state().logLine(kind.name(), now);
        if (n != RateLimitedLog.QUIET) {
            log.warn("{} {} failed on {} ({}): {}{}", e.method, e.uri, server.label(), kind, cause.toString(),
                    RateLimitedLog.repeats(n));
        }
        respondError(e, HttpResponseStatus.valueOf(kind.clientStatus()), e.bodyExpected && !e.requestComplete);
    }

    /**
     * A refusal or a reset is how an overloaded server sheds load: the retry waits a little, growing with each
     * failure, rather than add at once to what it could not take.
     */
    private void retryAfterBackoff(Exchange e) {
        long delay = RetryBackoff.delayNanos(e.attempts.count(), ThreadLocalRandom.current().nextDouble());
        e.retryTimer = ctx.executor().schedule(() -> {
            e.retryTimer = null;
            if (ex == e && !closed) {
                connect(e);
            }
        }, delay, TimeUnit.NANOSECONDS);
    }

    /** Lets go of the server: the connection goes back to its pool when {@code reusable}, else it is closed. */
    private void endUpstream(Exchange e, boolean reusable) {
        setUpstreamWait(UpstreamWait.NONE, 0);
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

    // ---- timers ----

    /** Points both timers at whoever owes the next move of {@code e}, which has a server connection. */
    private void updateTimers(Exchange e) {
        if (e.backend == null || e.responseComplete) {
            return;
        }
        boolean readingBody = !e.requestComplete && !e.waitingForBackendWritable;
        if (e.waitingForClientWritable || readingBody) {
            setClientWait(ClientWait.CLIENT, e.config.config().limits().clientTimeout().toNanos());
        } else {
            setClientWait(ClientWait.NONE, 0);
        }
        UpstreamConfig uc = e.group.config();
        if (e.waitingForBackendWritable) {
            setUpstreamWait(UpstreamWait.WRITE, uc.timeouts().write().toNanos());
        } else if ((e.requestComplete || e.responseStarted) && !e.waitingForClientWritable) {
            setUpstreamWait(UpstreamWait.READ, uc.timeouts().read().toNanos());
        } else {
            setUpstreamWait(UpstreamWait.NONE, 0);
        }
    }

    /** Arms the client timer for {@code wait}, unless it already waits for that (its deadline then stands). */
    private void setClientWait(ClientWait wait, long timeoutNanos) {
        if (wait == clientWait && (wait == ClientWait.NONE || clientTimer.armed())) {
            return;
        }
        clientWait = wait;
        if (wait == ClientWait.NONE) {
            clientTimer.disarm();
        } else {
            clientTimer.arm(timeoutNanos);
        }
    }

    private void setUpstreamWait(UpstreamWait wait, long timeoutNanos) {
        if (wait == upstreamWait && (wait == UpstreamWait.NONE || upstreamTimer.armed())) {
            return;
        }
        upstreamWait = wait;
        if (wait == UpstreamWait.NONE) {
            upstreamTimer.disarm();
        } else {
            upstreamTimer.arm(timeoutNanos);
        }
    }

    // ---- answering from disk ----

    /**
     * The static-file path's view of one exchange (see {@link StaticExchange}): everything the static side
     * needs from this connection, and nothing else, so the two evolve apart.
     */
    private final class StaticCall implements StaticExchange {

        private final Exchange e;
        private final HttpRequest request;
        private final RequestTarget target;

        StaticCall(Exchange e, HttpRequest request, RequestTarget target) {
            this.e = e;
            this.request = request;
            this.target = target;
        }

        @Override
        public ChannelHandlerContext ctx() {
            return ctx;
        }

        @Override
        public boolean active() {
            return ex == e && !closed;
        }

        @Override
        public boolean secure() {
            return listener.secure();
        }

        @Override
        public void fallback() {
            toUpstream(e, request, target);
        }

        @Override
        public void error(HttpResponseStatus status, String reason) {
            if (status.code() != HttpResponseStatus.NOT_FOUND.code()) {
                log.info("client {} {} {} answered {}: {}", remote, e.method, e.uri, status.code(), reason);
            }
            respondError(e, status, e.bodyExpected);
        }

        @Override
        public void respond(HttpResponse head, long bodyBytes) {
            if (e.bodyExpected) {
                // A GET with a body: the body is not read, so the connection cannot carry another request.
                closeAfterResponse = true;
            } else {
                // Without a body a request is whole with its head; its empty end is read and dropped after this.
                e.requestComplete = true;
            }
            setConnectionHeader(e, head.headers());
            headerRules.response(e, head.headers());
            addHsts(e, head.headers());
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
                setClientWait(ClientWait.CLIENT, e.config.config().limits().clientTimeout().toNanos());
            }
            last.addListener(responseWritten);
        }

        @Override
        public void progressed() {
            clientTimer.touch();
        }
    }

    // ---- answering ----

    /**
     * Answers {@code e} with an error page (its site's own for {@code status}, if it has one); {@code close} when
     * the connection cannot be reused after it.
     */
    private void respondError(Exchange e, HttpResponseStatus status, boolean close) {
        respond(e, status, e.site == null ? null : pages(e).page(status.code()), null, close);
    }

    /** The pages in force for {@code e} (which has a site): its route's, once it has one, else its site's. */
    private static SitePages pages(Exchange e) {
        return (e.route != null ? e.route.guard() : e.site.guard()).pages();
    }

    /**
     * Answers {@code e} with {@code page} (null: the built-in page of {@code status}) and {@code extra} headers.
     */
    private void respond(Exchange e, HttpResponseStatus status, Page sitePage, HttpHeaders extra, boolean close) {
        setClientWait(ClientWait.NONE, 0);
        if (e.responseStarted) {
            closingExchange = true;
            ctx.close();
            return;
        }
        if (close || !e.clientKeepAlive || draining()) {
            closeAfterResponse = true;
        }
        e.status = status.code();
        e.responseStarted = true;
        e.responseComplete = true;
        e.source = "tandem";
        FullHttpResponse page = sitePage != null ? sitePage.response(status, closeAfterResponse && !stream, e.isHead())
                : ErrorResponses.of(status, closeAfterResponse && !stream, e.isHead());
        if (e.overloaded) {
            page.headers().set(HttpHeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
        }
        if (extra != null) {
            page.headers().add(extra);
        }
        headerRules.response(e, page.headers());
        addHsts(e, page.headers());
        e.responseBytes = page.content().readableBytes();
        ctx.writeAndFlush(page).addListener(responseWritten);
    }

    private void onResponseWritten(ChannelFuture future) {
        Exchange e = ex;
        if (e == null) {
            return;
        }
        ex = null;
        finish(e, e.status);
        if (!future.isSuccess() || closeAfterResponse || closed || draining()) {
            // A response whose head left before the drain began still said keep-alive: close after it all the same.
            ctx.close();
        } else {
            reused = true;
            awaitRequest();
        }
    }

    // ---- HTTPS: redirect, HSTS ----

    /** {@code redirect_https}: 301 to the same host (without its port) and target over https. */
    private void redirectToHttps(Exchange e, HttpRequest request, RequestTarget target, HttpsRedirect redirect) {
        setClientWait(ClientWait.NONE, 0);
        if (target.host() == null) {
            respondError(e, HttpResponseStatus.BAD_REQUEST, true);
            return;
        }
        String host = hostWithoutPort(target.host());
        String location = "https://" + host + (redirect.port().isPresent() && redirect.port().getAsInt() != 443
                ? ":" + redirect.port().getAsInt() : "") + target.target();
        if (e.bodyExpected || !e.clientKeepAlive || draining()) {
            // A body is not read: the connection cannot carry another request after it.
            closeAfterResponse = true;
        }
        e.status = 301;
        e.responseStarted = true;
        e.responseComplete = true;
        e.source = "tandem";
        FullHttpResponse r = ErrorResponses.of(HttpResponseStatus.MOVED_PERMANENTLY, closeAfterResponse, e.isHead());
        r.headers().set(HttpHeaderNames.LOCATION, location);
        e.responseBytes = r.content().readableBytes();
        ctx.writeAndFlush(r).addListener(responseWritten);
    }

    private static String hostWithoutPort(String authority) {
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            return authority.substring(0, close + 1);
        }
        int colon = authority.indexOf(':');
        return colon < 0 ? authority : authority.substring(0, colon);
    }

    /** {@code hsts}: Strict-Transport-Security on every response of a TLS listener that has none of its own. */
    private void addHsts(Exchange e, HttpHeaders h) {
        if (!listener.secure()) {
            return;
        }
        ListenerConfig options = e.listener != null ? e.listener.options() : null;
        if (options != null && options.hsts().isPresent() && !h.contains(STRICT_TRANSPORT_SECURITY)) {
            h.set(STRICT_TRANSPORT_SECURITY, options.hsts().get().headerValue());
        }
    }

    // ---- HTTP/2 streams ----

    /**
     * The request as the stream codec made it, made like one from HTTP/1.1: without the codec's own
     * {@code x-http2-*} headers, and with one Host, {@code :authority}'s (the codec puts it first; RFC 9113
     * section 8.3.1 has it win over a Host header).
     */
    private static void fromHttp2(HttpRequest request) {
        HttpHeaders h = request.headers();
        List<String> drop = new ArrayList<>(3);
        for (Map.Entry<String, String> header : h) {
            if (header.getKey().regionMatches(true, 0, HTTP2_EXTENSION_PREFIX, 0, HTTP2_EXTENSION_PREFIX.length())) {
                drop.add(header.getKey());
            }
        }
        drop.forEach(h::remove);
        List<String> hosts = h.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1) {
            h.set(HttpHeaderNames.HOST, hosts.get(0));
        }
    }

    // ---- upgrades (WebSocket) ----

    /**
     * What of the client's upgrade goes upstream (see {@link UpgradeOffer}): {@code e.upgrade} when something
     * does; what was removed is counted. The request's own Upgrade goes with the other hop-by-hop headers.
     */
    private void offerUpgrade(Exchange e, HttpRequest request, Site site) {
        UpgradeOffer offer = UpgradeOffer.of(request.protocolVersion(), request.headers(), e.bodyExpected,
                site == null ? List.of() : site.config().allowUpgrades());
        e.upgrade = offer.upstream() != null ? offer : null;
        if (offer.refusal() != null) {
            log.debug("client {} {} {}: upgrade '{}' not passed on ({}), going on as HTTP/1.1{}", remote, e.method,
                    e.uri, request.headers().get(HttpHeaderNames.UPGRADE), offer.refusal().label(),
                    e.upgrade != null ? " or " + offer.upstream() : "");
            metrics(e).upgradeRefused(offer.refusal().label());
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
        metrics(e).upgradeRefused(UpgradeOffer.Refusal.RESPONSE.label());
        e.server.state().metrics().failure(FailureKind.INVALID_RESPONSE);
        endUpstream(e, false);
        respondError(e, HttpResponseStatus.BAD_GATEWAY, e.bodyExpected && !e.requestComplete);
    }

    /**
     * The server accepted the upgrade: the 101 goes to the client, then both connections leave HTTP and this
     * handler steps out for a {@link Tunnel}. The server connection is never pooled again; the server counts
     * the tunnel as a request in flight until it closes.
     */
    private void switchToTunnel(Exchange e, BackendConnection c, HttpResponse response) {
        UpstreamServer server = e.server;
        setClientWait(ClientWait.NONE, 0);
        setUpstreamWait(UpstreamWait.NONE, 0);
        clientTimer.cancel();
        upstreamTimer.cancel();
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
        h.set(HttpHeaderNames.UPGRADE, protocol);
        h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        e.backend = null;
        e.server = null;
        ex = null;
        finish(e, 101);

        Channel backend = c.channel();
        long idleNanos = e.config.config().limits().tunnelIdleTimeout().toNanos();
        // The 101 is encoded as it is written, before the codec leaves the pipeline.
        ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS,
                io.netty.buffer.Unpooled.EMPTY_BUFFER, h, io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE));
        Tunnel tunnel = Tunnel.open(ctx.channel(), backend, idleNanos, server.state()::requestEnded);
        if (connection != null) {
            connection.onDrain(tunnel::close);
            // A tunnel has no response to say close on: a step-down leaves it to run until the drain limit.
            connection.onStepDown(() -> { });
        }
        ChannelPipeline p = ctx.pipeline();
        p.remove(HandlerNames.FLOW_CONTROL);
        p.remove(this);
        p.remove(HandlerNames.HTTP_CODEC);
        c.detach();
        log.debug("client {} {} {}: upgraded to {} with {}", remote, e.method, e.uri, protocol, server.label());
        tunnel.start();
    }

    /** The meters of the listener and site {@code e} came in on. */
    private RequestMetrics metrics(Exchange e) {
        RuntimeListener on = e.listener;
        return on == null ? e.config.unrouted(listener.name()) : e.site != null ? e.site.metrics(on) : on.unrouted();
    }

    private void finish(Exchange e, int status) {
        long nanos = System.nanoTime() - e.startNanos;
        metrics(e).record(status, nanos);
        metrics(e).bytes(e.requestBodyBytes, e.responseBytes);
        AccessLog accessLog = listener.accessLog();
        if (accessLog != null) {
            accessLog.log(new AccessLogEntry(forwarding.client(), System.currentTimeMillis(),
                    e.method.name(), e.uri, e.protocol, status, e.responseBytes, e.referer, e.userAgent,
                    e.source, e.upstreamLabel, nanos, e.upstreamNanos));
        }
    }
}
