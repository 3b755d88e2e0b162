package dev.tandem.proxy.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/** Requests answered on one listener for one site: counts by status class and a latency histogram. */
public final class RequestMetrics {

    private final Counter[] byClass = new Counter[6];
    private final Timer duration;

    public RequestMetrics(MeterRegistry registry, String listener, String site) {
        for (int c = 1; c <= 5; c++) {
            byClass[c] = Counter.builder("tandem.requests")
                    .description("Requests answered, by listener, site and status class")
                    .tag("listener", listener).tag("site", site).tag("status_class", c + "xx")
                    .register(registry);
        }
        duration = LatencyHistogram.buckets(Timer.builder("tandem.request.duration")
                .description("Time from a request's head to the end of its response")
                .tag("listener", listener).tag("site", site))
                .register(registry);
    }

    public void record(int status, long nanos) {
        int c = status / 100;
        if (c >= 1 && c <= 5) {
            byClass[c].increment();
        }
        duration.record(nanos, TimeUnit.NANOSECONDS);
    }
}
