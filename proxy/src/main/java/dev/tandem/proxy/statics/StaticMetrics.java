package dev.tandem.proxy.statics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The static-file meters of one site ({@code tandem_static_*_total{site}}). Registering is idempotent, so a
 * reload that keeps the site keeps counting on the same meters.
 */
final class StaticMetrics {

    private final Counter hits;
    private final Counter misses;
    private final Counter fallbacks;
    private final Counter notModified;
    private final Counter bytes;

    StaticMetrics(MeterRegistry registry, String site) {
        hits = Counter.builder("tandem.static.hits")
                .description("Requests answered from disk: a file (200, 206, 304, 412, 416) or a directory redirect")
                .tag("site", site).register(registry);
        misses = Counter.builder("tandem.static.misses")
                .description("Requests that tried the disk and found nothing to serve")
                .tag("site", site).register(registry);
        fallbacks = Counter.builder("tandem.static.fallbacks")
                .description("Misses passed on to the site's upstream")
                .tag("site", site).register(registry);
        notModified = Counter.builder("tandem.static.not.modified")
                .description("Static requests answered 304 Not Modified")
                .tag("site", site).register(registry);
        bytes = Counter.builder("tandem.static.bytes")
                .description("Bytes of file bodies sent in full from disk")
                .tag("site", site).register(registry);
    }

    void hit() {
        hits.increment();
    }

    void miss() {
        misses.increment();
    }

    void fallback() {
        fallbacks.increment();
    }

    void notModified() {
        notModified.increment();
    }

    void bytes(long n) {
        bytes.increment(n);
    }
}
