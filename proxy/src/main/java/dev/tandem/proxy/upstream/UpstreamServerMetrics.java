package dev.tandem.proxy.upstream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

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

    public UpstreamServerMetrics(MeterRegistry registry, String upstream, String server) {
        for (int c = 1; c <= 5; c++) {
            responsesByClass[c] = Counter.builder("tandem.upstream.requests")
                    .description("Responses received from upstream servers, by status class")
                    .tag("upstream", upstream).tag("server", server).tag("status_class", c + "xx")
                    .register(registry);
        }
        connectFailures = failure(registry, upstream, server, "connect");
        timeouts = failure(registry, upstream, server, "timeout");
        resets = failure(registry, upstream, server, "reset");
        responseTime = Timer.builder("tandem.upstream.response")
                .description("Time from sending a request to an upstream server to the end of its response")
                .tag("upstream", upstream).tag("server", server)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
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
