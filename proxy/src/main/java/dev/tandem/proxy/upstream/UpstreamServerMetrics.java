package dev.tandem.proxy.upstream;

import dev.tandem.proxy.runtime.LatencyHistogram;
import dev.tandem.proxy.runtime.StatusCodeCounters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Meters of one upstream server, registered once when the server first appears so the request path only
 * increments them.
 */
public final class UpstreamServerMetrics {

    private final Counter[] responsesByClass = new Counter[6];
    private final Counter connectFailures;
    private final Counter timeouts;
    private final Counter resets;
    private final Timer responseTime;
    private final Counter queueFull;
    private final Counter queueTimeouts;
    private final Timer connectTime;
    private final Timer firstByteTime;
    private final StatusCodeCounters byCode;
    private final Counter bytesSent;
    private final Counter bytesReceived;
    private final Counter retries;
    private final Counter connectionsOpened;
    private final Counter connectionsReused;
    /** Connections open to the server (in a pool or serving a request), and those idle in a pool; any loop. */
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger idle = new AtomicInteger();
    private final List<Meter> registered = new ArrayList<>();
    private final String upstream;
    private final String server;

    public UpstreamServerMetrics(MeterRegistry registry, String upstream, String server) {
        this.upstream = upstream;
        this.server = server;
        for (int c = 1; c <= 5; c++) {
            responsesByClass[c] = Counter.builder("tandem.upstream.requests")
                    .description("Responses received from upstream servers, by status class")
                    .tag("upstream", upstream).tag("server", server).tag("status_class", c + "xx")
                    .register(registry);
            registered.add(responsesByClass[c]);
        }
        connectFailures = failure(registry, upstream, server, "connect");
        timeouts = failure(registry, upstream, server, "timeout");
        resets = failure(registry, upstream, server, "reset");
        responseTime = LatencyHistogram.buckets(Timer.builder("tandem.upstream.response")
                .description("Time from sending a request to an upstream server to the end of its response")
                .tag("upstream", upstream).tag("server", server))
                .register(registry);
        registered.add(connectFailures);
        registered.add(timeouts);
        registered.add(resets);
        registered.add(responseTime);
        queueFull = queueRefused(registry, upstream, server, "full");
        queueTimeouts = queueRefused(registry, upstream, server, "timeout");
        registered.add(queueFull);
        registered.add(queueTimeouts);
        Tags tags = Tags.of("upstream", upstream, "server", server);
        connectTime = LatencyHistogram.buckets(Timer.builder("tandem.upstream.connect")
                .description("Time to open a new connection to an upstream server (TCP connect)")
                .tags(tags)).register(registry);
        firstByteTime = LatencyHistogram.buckets(Timer.builder("tandem.upstream.first.byte")
                .description("Time from sending a request to an upstream server to the head of its response")
                .tags(tags)).register(registry);
        byCode = new StatusCodeCounters(registry, "tandem.upstream.responses",
                "Responses received from upstream servers, by exact status code", tags);
        bytesSent = Counter.builder("tandem.upstream.sent.bytes")
                .description("Request body bytes sent to an upstream server").tags(tags).register(registry);
        bytesReceived = Counter.builder("tandem.upstream.received.bytes")
                .description("Response body bytes received from an upstream server").tags(tags).register(registry);
        retries = Counter.builder("tandem.upstream.retries")
                .description("Failed attempts at an upstream server that were tried again on another server")
                .tags(tags).register(registry);
        connectionsOpened = Counter.builder("tandem.upstream.connections.opened")
                .description("New connections opened to an upstream server").tags(tags).register(registry);
        connectionsReused = Counter.builder("tandem.upstream.connections.reused")
                .description("Requests sent on a kept-alive connection taken from the pool").tags(tags).register(registry);
        registered.add(connectTime);
        registered.add(firstByteTime);
        registered.add(bytesSent);
        registered.add(bytesReceived);
        registered.add(retries);
        registered.add(connectionsOpened);
        registered.add(connectionsReused);
        registered.add(Gauge.builder("tandem.upstream.connections", idle, AtomicInteger::get)
                .description("Connections to an upstream server: idle in a keep-alive pool, or in use by a request")
                .tags(tags).tag("state", "idle").strongReference(true).register(registry));
        registered.add(Gauge.builder("tandem.upstream.connections", this, m -> Math.max(0, m.open.get() - m.idle.get()))
                .description("Connections to an upstream server: idle in a keep-alive pool, or in use by a request")
                .tags(tags).tag("state", "in_use").strongReference(true).register(registry));
    }

    private static Counter queueRefused(MeterRegistry registry, String upstream, String server, String reason) {
        return Counter.builder("tandem.upstream.queue.refused")
                .description("Requests answered 503 because the server was at max_connections: its queue was full, "
                        + "or they waited queue.timeout")
                .tag("upstream", upstream).tag("server", server).tag("reason", reason)
                .register(registry);
    }

    /** A request was answered 503 by the queue: {@code timedOut} after waiting, else because the queue was full. */
    public void queueRefused(boolean timedOut) {
        (timedOut ? queueTimeouts : queueFull).increment();
    }

    /** Registers gauges of what {@code state} says now: requests in flight, the weight in force, drained. */
    void watch(MeterRegistry registry, ServerState state) {
        registered.add(Gauge.builder("tandem.upstream.in.flight", state, ServerState::inFlight)
                .description("Requests in flight to an upstream server")
                .tag("upstream", upstream).tag("server", server).strongReference(true).register(registry));
        registered.add(Gauge.builder("tandem.upstream.queued", state, ServerState::queued)
                .description("Requests waiting for a connection slot on an upstream server (at max_connections)")
                .tag("upstream", upstream).tag("server", server).strongReference(true).register(registry));
        registered.add(Gauge.builder("tandem.upstream.server.weight", state, ServerState::weight)
                .description("Weight in force for an upstream server (a runtime override, else the configured weight)")
                .tag("upstream", upstream).tag("server", server).strongReference(true).register(registry));
        registered.add(Gauge.builder("tandem.upstream.server.drained", state, s -> s.drained() ? 1 : 0)
                .description("1 while an operator has drained an upstream server, else 0")
                .tag("upstream", upstream).tag("server", server).strongReference(true).register(registry));
    }

    /** Responses received from this server so far. */
    public long responses() {
        long n = 0;
        for (int c = 1; c <= 5; c++) {
            n += (long) responsesByClass[c].count();
        }
        return n;
    }

    /** Failed attempts (connect, timeout, reset) so far. */
    public long failures() {
        return (long) (connectFailures.count() + timeouts.count() + resets.count());
    }

    /** Unregisters every meter of this server. */
    void remove(MeterRegistry registry) {
        registered.forEach(registry::remove);
        byCode.remove();
    }

    private static Counter failure(MeterRegistry registry, String upstream, String server, String reason) {
        return Counter.builder("tandem.upstream.failures")
                .description("Failed attempts to exchange with an upstream server, by reason")
                .tag("upstream", upstream).tag("server", server).tag("reason", reason)
                .register(registry);
    }

    public void response(int status, long nanos) {
        int c = status / 100;
        if (c >= 1 && c <= 5) {
            responsesByClass[c].increment();
        }
        byCode.increment(status);
        responseTime.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Body bytes of one completed exchange: sent to the server, received from it. */
    public void bytes(long sent, long received) {
        if (sent > 0) {
            bytesSent.increment(sent);
        }
        if (received > 0) {
            bytesReceived.increment(received);
        }
    }

    /** A new connection to the server was established after {@code nanos}. */
    public void connected(long nanos) {
        connectTime.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The head of the server's response came {@code nanos} after the request was sent. */
    public void firstByte(long nanos) {
        firstByteTime.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** An attempt at this server failed and the request was tried again on another. */
    public void retried() {
        retries.increment();
    }

    void connectionOpened() {
        open.incrementAndGet();
        connectionsOpened.increment();
    }

    void connectionClosed() {
        open.decrementAndGet();
    }

    void connectionReused() {
        connectionsReused.increment();
    }

    void idleChanged(int delta) {
        idle.addAndGet(delta);
    }

    public void failure(FailureKind kind) {
        switch (kind) {
            case CONNECT -> connectFailures.increment();
            case TIMEOUT, CONNECT_TIMEOUT -> timeouts.increment();
            case RESET, INVALID_RESPONSE -> resets.increment();
        }
    }
}
