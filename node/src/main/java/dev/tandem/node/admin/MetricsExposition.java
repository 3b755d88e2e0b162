package dev.tandem.node.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * {@code GET /metrics}: the Prometheus text format (0.0.4), or OpenMetrics 1.0 when the scraper says it
 * accepts it ({@code Accept: application/openmetrics-text}, as Prometheus does by default). Compression
 * (gzip on {@code Accept-Encoding}) is the admin listener's, for every route.
 */
final class MetricsExposition {

    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPEN_METRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private MetricsExposition() {
    }

    static AdminResponse scrape(PrometheusMeterRegistry meters, AdminRequest request) {
        String contentType = contentType(request.header("Accept"));
        return new AdminResponse(200, contentType, meters.scrape(contentType).getBytes(StandardCharsets.UTF_8));
    }

    /** The format to answer for an Accept header (null: none sent). */
    static String contentType(String accept) {
        return accept != null && accept.toLowerCase(Locale.ROOT).contains("application/openmetrics-text")
                ? OPEN_METRICS : PROMETHEUS_TEXT;
    }
}
