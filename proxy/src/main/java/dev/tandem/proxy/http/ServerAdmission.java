package dev.tandem.proxy.http;

import dev.tandem.conf.UpstreamConfig;
import dev.tandem.proxy.log.RateLimitedLog;
import dev.tandem.proxy.upstream.ServerQueue;
import dev.tandem.proxy.upstream.UpstreamServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Choosing a server for an exchange and a connection slot on it: the balancer's pick, then the server's
 * {@code max_connections} through this loop's queue for it, where the exchange may wait up to the queue
 * timeout (README, "Connection limits and the queue"). One per client connection, which is the queue's
 * waiter; the exchange goes on at {@link UpstreamEndpoint#connectTo} once it has a slot, or is answered 503
 * here.
 */
final class ServerAdmission implements ServerQueue.Waiter {

    /** Logged as the proxy handler, as before its parts were split: operators' filters name it. */
    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);
    private static final String QUEUE_FULL = "queue full";
    private static final String QUEUE_TIMEOUT = "queue timeout";
    private static final String NO_LIVE_SERVER = "no live server";

    private final ConnectionState c;
    private final UpstreamEndpoint endpoint;
    private final ResponseWriter writer;
    /** The server the current exchange waits for a connection slot on, in this loop's queue for it; or null. */
    private UpstreamServer queuedFor;

    ServerAdmission(ConnectionState c, UpstreamEndpoint endpoint, ResponseWriter writer) {
        this.c = c;
        this.endpoint = endpoint;
        this.writer = writer;
    }

    /** Picks a server for {@code e} (another one on a retry) and sends it there once a slot is free. */
    void connect(Exchange e) {
        long now = System.nanoTime();
        UpstreamServer server = e.group.select(c.loop.index(), c.clientHash, e.attempts, now);
        if (server == null) {
            if (e.attempts.count() == 0 && e.group.anyUpIgnoringPassive()) {
                noLiveServer(e, now);
            } else if (e.attempts.count() == 0) {
                long n = e.group.logLine("no server", now);
                if (n != RateLimitedLog.QUIET) {
                    log.warn("no server available in upstream '{}' for {} {}{}", e.group.name(), e.method, e.uri,
                            RateLimitedLog.repeats(n));
                }
                c.metrics(e).noServer(e.group.name());
                writer.respondError(e, HttpResponseStatus.SERVICE_UNAVAILABLE, e.bodyExpected && !e.requestComplete);
            } else {
                writer.respondError(e, HttpResponseStatus.valueOf(e.lastFailure.clientStatus()),
                        e.bodyExpected && !e.requestComplete);
            }
            return;
        }
        UpstreamConfig uc = e.group.config();
        switch (c.loop.pool(server.state()).queue().admit(this, server.config().maxConnections(), uc.queue(), now)) {
            case STARTED -> endpoint.connectTo(e, server, true, now);
            case QUEUED -> queuedFor = server;
            case REFUSED -> overloaded(e, server, QUEUE_FULL);
        }
    }

    /**
     * Every server that may take traffic serves a passive penalty and none is due for a probe: nginx's "no live
     * upstreams", a 502 at once, the answer the request would most likely have got after a connection attempt.
     */
    private void noLiveServer(Exchange e, long now) {
        long n = e.group.logLine(NO_LIVE_SERVER, now);
        if (n != RateLimitedLog.QUIET) {
            log.warn("no live server in upstream '{}' for {} {}: every one is taken out by passive failures, "
                    + "answered 502 until a probe gets through{}", e.group.name(), e.method, e.uri,
                    RateLimitedLog.repeats(n));
        }
        c.metrics(e).noLiveServer(e.group.name());
        writer.respondError(e, HttpResponseStatus.BAD_GATEWAY, e.bodyExpected && !e.requestComplete);
    }

    @Override
    public void slotGranted() {
        UpstreamServer server = queuedFor;
        queuedFor = null;
        Exchange e = c.ex;
        if (server == null || e == null || c.closed) {
            if (server != null) {
                server.state().requestEnded();
            }
            return;
        }
        endpoint.connectTo(e, server, true, System.nanoTime());
    }

    @Override
    public void queueTimedOut() {
        UpstreamServer server = queuedFor;
        queuedFor = null;
        Exchange e = c.ex;
        if (server != null && e != null && !c.closed) {
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
        writer.respondError(e, HttpResponseStatus.SERVICE_UNAVAILABLE, e.bodyExpected && !e.requestComplete);
    }

    /** The connection has closed: a place it holds in a queue is given up. */
    void leaveQueue() {
        UpstreamServer server = queuedFor;
        if (server != null) {
            queuedFor = null;
            c.loop.pool(server.state()).queue().cancel(this);
        }
    }
}
