package dev.tandem.proxy.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Requests answered on one listener for one site: counts by status class and a latency histogram, and the
 * upgrades refused to its clients, by reason.
 */
public final class RequestMetrics {

    /** Why an upgrade was refused: a protocol not allowed, a request with a body, a 101 for another protocol. */
    public static final List<String> UPGRADE_REFUSALS = List.of("protocol", "body", "response");

    private final Counter[] byClass = new Counter[6];
    private final Timer duration;
    private final Counter[] upgradesRefused = new Counter[UPGRADE_REFUSALS.size()];

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
        for (int i = 0; i < upgradesRefused.length; i++) {
            upgradesRefused[i] = Counter.builder("tandem.upgrades.refused")
                    .description("Upgrades (Upgrade: ...) not let through, by listener, site and reason")
                    .tag("listener", listener).tag("site", site).tag("reason", UPGRADE_REFUSALS.get(i))
                    .register(registry);
        }
    }

    /** @param reason one of {@link #UPGRADE_REFUSALS} */
    public void upgradeRefused(String reason) {
        upgradesRefused[UPGRADE_REFUSALS.indexOf(reason)].increment();
    }

    public void record(int status, long nanos) {
        int c = status / 100;
        if (c >= 1 && c <= 5) {
            byClass[c].increment();
        }
        duration.record(nanos, TimeUnit.NANOSECONDS);
    }
}
