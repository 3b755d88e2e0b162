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
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
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
