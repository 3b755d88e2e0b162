package dev.tandem.proxy.runtime;

import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The buckets of every latency histogram Tandem publishes. Micrometer's percentile histogram would publish
 * about 70 buckets between 1ms and 60s for each series, and there is one series per listener and site and
 * one per upstream server; these 15 fixed boundaries (a 1-2.5-5 ladder) answer the questions operators ask
 * ("how many requests took over 100ms?") at a fifth of the cost, and stay the same across versions so
 * that dashboards and alerts keep working.
 */
public final class LatencyHistogram {

    private static final long[] BOUNDARIES_MICROS = {
        1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000, 30_000_000, 60_000_000,
    };

    private LatencyHistogram() {
    }

    /** {@code builder} with Tandem's bucket boundaries (1ms to 60s) and no client-side percentiles. */
    public static Timer.Builder buckets(Timer.Builder builder) {
        Duration[] slos = new Duration[BOUNDARIES_MICROS.length];
        for (int i = 0; i < slos.length; i++) {
            slos[i] = Duration.ofNanos(BOUNDARIES_MICROS[i] * 1000);
        }
        return builder.serviceLevelObjectives(slos)
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60));
    }
}
