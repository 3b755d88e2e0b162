package dev.tandem.proxy.http;

import dev.tandem.conf.UpstreamConfig;
import dev.tandem.proxy.log.RateLimitedLog;
import dev.tandem.proxy.upstream.BackendConnection;
import dev.tandem.proxy.upstream.BackendListener;
import dev.tandem.proxy.upstream.BackendPool;
import dev.tandem.proxy.upstream.FailureKind;
import dev.tandem.proxy.upstream.RetryBackoff;
import dev.tandem.proxy.upstream.UpstreamFailure;
import dev.tandem.proxy.upstream.UpstreamGroup;
import dev.tandem.proxy.upstream.UpstreamServer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exchange with a server, for one client connection: the request head as it goes upstream, a pooled
 * connection on the client's event loop (a slot taken by {@link ServerAdmission}), the body streamed to it and
 * the response streamed back through the {@link ResponseWriter}, each direction read only as the other can
 * take it, and failures: counted against the server, retried elsewhere when safe (README, "Retries"), else
 * answered 502/503/504, or the client cut off once part of the response is on its way (a truncated response
 * rather than a wrong one).
 */
final class UpstreamEndpoint implements BackendListener {

    /** Logged as the proxy handler, as before its parts were split: operators' filters name it. */
    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);

    private final ConnectionState c;
    private final ExchangeTimers timers;
    private final ResponseWriter writer;
    private final ServerAdmission admission;
    private final UpgradeSwitch upgrades;

    UpstreamEndpoint(ConnectionState c, ExchangeTimers timers, ResponseWriter writer) {
        this.c = c;
        this.timers = timers;
        this.writer = writer;
        this.admission = new ServerAdmission(c, this, writer);
        this.upgrades = new UpgradeSwitch(c, timers, writer, this);
    }

    // ---- the request ----

    /** Sends {@code e} to its route's upstream; 404 for a route that has none. */
    void toUpstream(Exchange e, HttpRequest request, RequestTarget target) {
        UpstreamGroup group = e.route != null ? e.route.upstream() : null;
        if (group == null) {
            writer.respondError(e, HttpResponseStatus.NOT_FOUND, e.bodyExpected);
            return;
        }
        e.group = group;
        e.upstreamRequest = UpstreamRequestHead.of(c, e, request, target);
        admission.connect(e);
    }

    /** A piece of the request body (checked by the receiver), on to the server; the next read as it can take it. */
    void forwardBody(Exchange e, HttpContent content, boolean last) {
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
        timers.touchUpstream();
        if (!last) {
            if (backend.isWritable()) {
                c.ctx.read();
            } else {
                // The server is not taking the body as fast as the client sends it: wait, under the write timeout.
                e.waitingForBackendWritable = true;
            }
        }
        timers.update(e);
    }

    // ---- reaching the server ----

    /**
     * Sends {@code e} to {@code server}, on an idle pooled connection when {@code pooled} and one is there. The
     * caller has taken a connection slot on the server for it.
     *
     * @param now {@code System.nanoTime()}, read once for choosing the server, the pool and the upstream clock
     */
    void connectTo(Exchange e, UpstreamServer server, boolean pooled, long now) {
        e.server = server;
        e.upstreamLabel = server.label();
        UpstreamConfig uc = e.group.config();
        BackendPool pool = c.loop.pool(server.state());
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
        if (c.ex != e || e.server != server || e.backend != null) {
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
                c.ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
            }
            // Delivers the end of a request without a body at once; a body comes chunk by chunk.
            c.ctx.read();
            if (e.backend == b && !e.requestComplete) {
                // The head goes now rather than with the first chunk of a body the client may be slow to send.
                backend.flush();
            }
        }
        if (e.backend == b) {
            timers.update(e);
            backend.read();
        }
    }

    // ---- the response from the server ----

    @Override
    public void onResponseHead(BackendConnection b, HttpResponse response) {
        Exchange e = c.ex;
        if (e == null || b != e.backend) {
            return;
        }
        e.responseProgress = true;
        int code = response.status().code();
        if (code == 101) {
            upgrades.switched(e, b, response);
            return;
        }
        if (code < 200) {
            // 100 Continue was handled here, and nothing else interim is passed on to HTTP/1 clients.
            e.inInterimResponse = true;
            return;
        }
        e.server.state().metrics().firstByte(System.nanoTime() - e.upstreamStartNanos);
        writer.upstreamHead(e, response);
        timers.update(e);
    }

    @Override
    public void onResponseContent(BackendConnection b, HttpContent content) {
        Exchange e = c.ex;
        if (e == null || b != e.backend) {
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
            // error_pages with upstream: true: the server's body is read and dropped, the site's page goes instead.
            content.release();
            if (last) {
                responseEnded(e);
                writer.replaceUpstreamResponse(e);
            }
            return;
        }
        e.responseBytes += content.content().readableBytes();
        if (!last) {
            writer.upstreamContent(content);
            return;
        }
        e.server.state().metrics().bytes(e.requestBodyBytes, e.responseBytes);
        responseEnded(e);
        writer.upstreamEnd(e, content);
    }

    /** The server has sent the whole response: counted as its success, and the exchange lets go of it. */
    private void responseEnded(Exchange e) {
        e.responseComplete = true;
        e.upstreamNanos = System.nanoTime() - e.upstreamStartNanos;
        e.server.state().metrics().response(e.status, e.upstreamNanos);
        if (e.attempts.lastWasProbe()) {
            // Sent while passive accounting had the server out: it is back, and takes traffic again at once.
            e.server.state().health().passive().probeSucceeded();
        } else {
            e.server.state().health().passive().recordSuccess();
        }
        endUpstream(e, e.backendKeepAlive && e.requestComplete);
    }

    @Override
    public void onReadComplete(BackendConnection b) {
        Exchange e = c.ex;
        if (e == null || b != e.backend) {
            return;
        }
        // Progress counts once per read of the server's connection rather than per message it held (the read
        // timer cannot fire in between); after the end of the response the exchange has let go of the server.
        if (e.responseProgress) {
            e.responseProgress = false;
            timers.touchUpstream();
        }
        c.ctx.flush();
        if (c.ctx.channel().isWritable()) {
            b.channel().read();
        } else {
            // The client is not reading as fast as the server sends: stop reading the server until it does.
            e.waitingForClientWritable = true;
            timers.update(e);
        }
    }

    /** The client can take more of the response: reading the server resumes if it waited for that. */
    void clientWritable(Exchange e) {
        if (e.waitingForClientWritable && e.backend != null) {
            e.waitingForClientWritable = false;
            timers.update(e);
            e.backend.channel().read();
        }
    }

    @Override
    public void onWritabilityChanged(BackendConnection b) {
        Exchange e = c.ex;
        if (e != null && b == e.backend && e.waitingForBackendWritable && b.channel().isWritable()) {
            e.waitingForBackendWritable = false;
            timers.update(e);
            c.ctx.read();
        }
    }

    // ---- failures ----

    @Override
    public void onFailure(BackendConnection b, FailureKind kind, Throwable cause) {
        Exchange e = c.ex;
        if (e == null || b != e.backend) {
            return;
        }
        attemptFailed(e, kind, cause, b.reused());
    }

    /** The upstream timer ran out: the server made no progress within its read (or write) timeout. */
    void timedOut(boolean writing) {
        Exchange e = c.ex;
        if (e != null && e.backend != null && !e.responseComplete) {
            attemptFailed(e, FailureKind.TIMEOUT, new UpstreamFailure("no progress within the upstream "
                    + (writing ? "write" : "read") + " timeout"), false);
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
            c.closeAfterResponse = true;
            c.closingExchange = true;
            c.ctx.flush();
            c.ctx.close();
            return;
        }
        if (kind == FailureKind.CONNECT) {
            e.attempts.lastRefused();
        }
        boolean safe = kind.beforeSend() || e.resendable();
        // The retry's server is chosen after the backoff, but when the one that just refused is all there is, the
        // client gets its answer now rather than after a wait and no further attempt.
        if (safe && e.attempts.count() <= uc.retries() && e.group.mayRetry(e.attempts)) {
            long n = server.state().logLine(kind.retriedReason(), now);
            if (n != RateLimitedLog.QUIET) {
                log.info("{} {} failed on {} ({}: {}), retrying{}", e.method, e.uri, server.label(), kind,
                        cause.toString(), RateLimitedLog.repeats(n));
            }
            server.state().metrics().retried();
            if (kind == FailureKind.CONNECT || kind == FailureKind.RESET) {
                retryAfterBackoff(e);
            } else {
                admission.connect(e);
            }
            return;
        }
        long n = server.state().logLine(kind.name(), now);
        if (n != RateLimitedLog.QUIET) {
            log.warn("{} {} failed on {} ({}): {}{}", e.method, e.uri, server.label(), kind, cause.toString(),
                    RateLimitedLog.repeats(n));
        }
        writer.respondError(e, HttpResponseStatus.valueOf(kind.clientStatus()), e.bodyExpected && !e.requestComplete);
    }

    /**
     * A refusal or a reset is how an overloaded server sheds load: the retry waits a little, growing with each
     * failure, rather than add at once to what it could not take.
     */
    private void retryAfterBackoff(Exchange e) {
        long delay = RetryBackoff.delayNanos(e.attempts.count(), ThreadLocalRandom.current().nextDouble());
        e.retryTimer = c.ctx.executor().schedule(() -> {
            e.retryTimer = null;
            if (c.serving(e)) {
                admission.connect(e);
            }
        }, delay, TimeUnit.NANOSECONDS);
    }

    // ---- letting go ----

    /** Lets go of the server: the connection goes back to its pool when {@code reusable}, else it is closed. */
    void endUpstream(Exchange e, boolean reusable) {
        timers.upstreamOwesNothing();
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

    /** The client connection has closed: a place in a queue is given up. */
    void leaveQueue() {
        admission.leaveQueue();
    }

    /** The client connection closed under {@code e}: a retry waiting out its backoff is dropped, the server let go. */
    void abandon(Exchange e) {
        if (e.retryTimer != null) {
            e.retryTimer.cancel(false);
            e.retryTimer = null;
        }
        endUpstream(e, false);
    }
}
