package dev.tandem.proxy.upstream;

import dev.tandem.proxy.runtime.LatencyHistogram;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;

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
        responseTime.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    public void failure(FailureKind kind) {
        switch (kind) {
            case CONNECT -> connectFailures.increment();
            case TIMEOUT, CONNECT_TIMEOUT -> timeouts.increment();
            case RESET, INVALID_RESPONSE -> resets.increment();
        }
    }
}
