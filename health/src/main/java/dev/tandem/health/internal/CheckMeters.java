package dev.tandem.health.internal;

import dev.tandem.health.CheckOutcome;
import dev.tandem.health.CheckResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The meters of one checked server: {@code tandem_health_checks_total{upstream,server,outcome}} and the
 * {@code tandem_health_check_duration_seconds{upstream,server}} histogram. Registered when its checks start
 * and removed when they stop for good, so a check only increments.
 */
public final class CheckMeters {

    /**
     * The 15 boundaries of every Tandem latency histogram (proxy's LatencyHistogram: 1ms to 60s on a 1-2.5-5
     * ladder). Micrometer's percentile histogram would publish 69 per checked server, half of all series.
     */
    private static final Duration[] BUCKETS = {
        Duration.ofMillis(1), Duration.ofMillis(2).plusNanos(500_000), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60),
    };

    private final MeterRegistry registry;
    private final Map<CheckOutcome, Counter> outcomes = new EnumMap<>(CheckOutcome.class);
    private final Timer duration;

    public CheckMeters(MeterRegistry registry, String upstream, String server) {
        this.registry = registry;
        for (CheckOutcome o : CheckOutcome.values()) {
            outcomes.put(o, Counter.builder("tandem.health.checks")
                    .description("Active health checks, by outcome")
                    .tag("upstream", upstream).tag("server", server).tag("outcome", o.label())
                    .register(registry));
        }
        duration = Timer.builder("tandem.health.check.duration")
                .description("Time from the start of an active health check to its verdict")
                .tag("upstream", upstream).tag("server", server)
                .serviceLevelObjectives(BUCKETS)
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
    }

    void record(CheckResult result) {
        outcomes.get(result.outcome()).increment();
        duration.record(result.nanos(), TimeUnit.NANOSECONDS);
    }

    public void remove() {
        List<Meter> all = new ArrayList<>(outcomes.values());
        all.add(duration);
        all.forEach(registry::remove);
    }
}
