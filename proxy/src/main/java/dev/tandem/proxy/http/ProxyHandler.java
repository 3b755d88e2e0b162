package dev.tandem.proxy.http;

import dev.tandem.conf.LimitsConfig;
import dev.tandem.proxy.upstream.LoopResources;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reverse proxy for one client connection: reads a request, has it answered, then takes the next request
 * (keep-alive and pipelining are served one request at a time, in order). This handler owns the connection:
 * its start and end, the wait for each request (and the sleep that ends a long one, see
 * {@link DormantConnection}), the drain and step-down, the client timer's expiry. What becomes of a request
 * is the job of three parts, one each per connection, as in Zuul's request path: the {@link RequestReceiver}
 * (the checks, the site and route, the guard, Tandem's own answers), the {@link UpstreamEndpoint} (the
 * server: pool, queue, retries, timeouts; the disk's is {@link StaticCall}) and the {@link ResponseWriter}
 * (the headers every answer gets, keep-alive or close, error pages, the answer's metrics and access log).
 * They share the connection's {@link ConnectionState} and its {@link ExchangeTimers}; all of it runs on the
 * connection's event loop, so none of it takes a lock.
 *
 * <p>Both directions are streamed with backpressure. The client channel does not read by itself: a
 * {@link OneMessagePerRead} before this handler releases one decoded message per {@code read()}, and the
 * next body chunk is read only once the upstream connection can take it. The upstream connection reads
 * the response only while the client connection is writable.
 *
 * <p>An HTTP/1.1 request that asks for an upgrade the proxy lets through (WebSocket, or what the site allows:
 * see {@link UpgradeOffer}) is sent with that {@code Upgrade} and {@code Connection: upgrade}; when the server
 * answers 101 naming it, both connections leave HTTP and become a {@link Tunnel}, and this handler steps out
 * ({@link UpgradeSwitch}). Any other 101 is answered 502 and its server connection closed.
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
public final class ProxyHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);
    private static final int CLIENT_CLOSED_REQUEST = 499;

    private final ListenerContext listener;
    private final LoopResources loop;
    /** This handler serves one HTTP/2 stream rather than an HTTP/1.x connection. */
    private final boolean stream;
    /** This HTTP/1.x connection's place in the loop's idle sweep while it waits for a request; null on a stream. */
    private final DueList.Entry idle;
    private ConnectionState c;
    private ExchangeTimers timers;
    private ResponseWriter writer;
    private UpstreamEndpoint endpoint;
    private RequestReceiver receiver;
    private boolean firstRequest = true;
    /** A response has been written and the connection waits for (or reads) another request. */
    private boolean reused;
    private boolean started;
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
        // The parts of the request path, one set per connection (or stream), made once it has a context.
        c = new ConnectionState(listener, loop, stream, ctx);
        timers = new ExchangeTimers(ctx.executor(), this::onClientTimeout, writing -> endpoint.timedOut(writing));
        writer = new ResponseWriter(c, timers, this::nextRequest);
        endpoint = new UpstreamEndpoint(c, timers, writer);
        receiver = new RequestReceiver(c, timers, endpoint, writer);
        if (c.connection != null) {
            c.connection.onDrain(this::drainIfIdle);
            c.connection.onStepDown(this::closeIfKeptIdle);
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
        c.start();
        awaitRequest();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        c.closed = true;
        if (idle != null) {
            idle.unlink();
        }
        timers.cancel();
        endpoint.leaveQueue();
        Exchange e = c.ex;
        if (e != null) {
            c.ex = null;
            endpoint.abandon(e);
            if (!c.closingExchange) {
                c.metrics(e).clientAborted();
            }
            writer.finish(e, e.responseStarted ? e.status : CLIENT_CLOSED_REQUEST);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("client {} connection error: {}", c.remote, cause.toString());
        } else if (cause instanceof DecoderException) {
            // What a client sends cannot make a stack trace worth logging (a request the decoder gives up on).
            log.info("client {} sent what cannot be decoded: {}", c.remote, cause.getMessage());
        } else {
            log.warn("client {} connection error", c.remote, cause);
        }
        ctx.close();
    }

    /** The listener is draining: an idle connection closes now, a busy one after its response (its event loop). */
    private void drainIfIdle() {
        if (!c.closed && c.ex == null) {
            c.ctx.close();
        }
    }

    /**
     * This node gives up the address the client reached: a connection idle between requests closes now (the
     * client opens another, which finds the address's new holder); one that is busy, or new and not yet asked
     * anything, answers its next request with {@code Connection: close} (see {@link ConnectionState#draining()}).
     */
    private void closeIfKeptIdle() {
        if (!c.closed && c.ex == null && reused) {
            c.ctx.close();
        }
    }

    /** A response has been written and the connection is kept: on to the next request. */
    private void nextRequest() {
        reused = true;
        awaitRequest();
    }

    private void awaitRequest() {
        if (stream) {
            // A stream is opened by its request's HEADERS: they are already here, nothing to wait for.
            c.ctx.read();
            return;
        }
        LimitsConfig limits = listener.config().config().limits();
        IdleSweep sweep = loop.idleSweep();
        long timeout = resumed ? Math.max(0, resumeDeadline - sweep.now())
                : (firstRequest ? limits.clientTimeout() : limits.keepaliveTimeout()).toNanos();
        resumed = false;
        timers.awaitRequest(timeout);
        firstRequest = false;
        sweep.waiting(idle);
        c.ctx.read();
    }

    /**
     * The connection has waited a while for its next request (the loop's {@link IdleSweep} says when): unless
     * some of one has arrived, the HTTP handlers leave and a {@link DormantConnection} holds the connection, with
     * this wait's deadline, until the client sends again.
     */
    private void sleep() {
        if (c.closed || c.ex != null || !timers.awaitingRequest()) {
            return;
        }
        ChannelPipeline p = c.ctx.pipeline();
        ClientHttpCodec codec = p.get(ClientHttpCodec.class);
        OneMessagePerRead flow = p.get(OneMessagePerRead.class);
        if (codec == null || flow == null || codec.bufferedBytes() > 0 || codec.insideMessage()
                || codec.unanswered() > 0 || flow.held() > 0) {
            // Part of a request is here (or still to come): the connection is not idle, and its timer goes on.
            return;
        }
        long deadline = timers.clientDeadline();
        timers.cancelForSleep();
        DormantConnection dormant = new DormantConnection(listener, loop, reused, deadline);
        p.remove(this);
        p.remove(flow);
        if (p.get(HandlerNames.CHUNKED_WRITE) != null) {
            p.remove(HandlerNames.CHUNKED_WRITE);
        }
        if (listener.tls() == null && c.connection != null) {
            // Plaintext: the connection's first handler is next to the codec, and hosts the sleeper.
            p.remove(codec);
            c.connection.host(dormant);
        } else {
            // Behind TLS: the sleeper takes the codec's place, after the TLS handler, as a handler of its own.
            p.replace(codec, HandlerNames.DORMANT, dormant);
        }
    }

    private void onClientTimeout() {
        Exchange e = c.ex;
        if (e == null) {
            c.ctx.close();
        } else if (!e.responseStarted && !e.requestComplete) {
            log.info("client {} too slow sending {} {}", c.remote, e.method, e.uri);
            endpoint.endUpstream(e, false);
            writer.respondError(e, HttpResponseStatus.REQUEST_TIMEOUT, true);
        } else {
            log.info("client {} too slow reading the response to {} {}", c.remote, e.method, e.uri);
            c.closingExchange = true;
            c.ctx.close();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Exchange e = c.ex;
        if (e != null && ctx.channel().isWritable()) {
            endpoint.clientWritable(e);
        }
    }

    // ---- requests from the client ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpRequest full && stream && !full.decoderResult().isFailure()) {
            // An HTTP/2 request whose HEADERS ended the stream: a head, then the end of an empty body, as from
            // HTTP/1.1 (the head alone is what goes upstream, and may go again on a retry).
            onRequest(new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(), full.headers()));
            receiver.onRequestContent(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
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
                    receiver.onRequestContent(content);
                }
            }
        } else if (msg instanceof HttpContent content) {
            receiver.onRequestContent(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    /** A request head: the wait for it is over, whatever becomes of it. */
    private void onRequest(HttpRequest request) {
        timers.clientOwesNothing();
        if (idle != null) {
            idle.unlink();
        }
        receiver.onRequest(request);
    }
}
