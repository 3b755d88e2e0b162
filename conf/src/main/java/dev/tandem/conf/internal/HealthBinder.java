package dev.tandem.conf.internal;

import dev.tandem.conf.Defaults;
import dev.tandem.conf.HealthConfig;
import dev.tandem.conf.HttpCheckConfig;
import dev.tandem.conf.StatusRange;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@code upstreams.*.health}: an HTTP or TCP check with its timing. */
final class HealthBinder {

    private static final Duration POSITIVE = Duration.ofMillis(1);
    private static final String STATUS = "a status code 100-599 or a range such as 200-399";

    private HealthBinder() {
    }

    /** Empty when there is no health section; a broken one yields defaults after its errors are reported. */
    static Optional<HealthConfig> bind(YamlValue value) {
        return value.object("http", "tcp", "interval", "timeout", "rise", "fall").map(HealthBinder::health);
    }

    private static HealthConfig health(YamlObject o) {
        YamlValue httpValue = o.get("http");
        Optional<HttpCheckConfig> http = httpValue.object("method", "path", "host", "expect_status", "expect_body")
                .map(HealthBinder::http);
        YamlValue tcpValue = o.get("tcp");
        tcpValue.bool().ifPresent(tcp -> {
            if (!tcp) {
                tcpValue.fail("true; to turn active checks off, remove health");
            } else if (httpValue.isPresent()) {
                tcpValue.fail("either http or tcp, not both");
            }
        });
        Duration interval = o.get("interval").duration(POSITIVE).orElse(Defaults.HEALTH_INTERVAL);
        Duration timeout = o.get("timeout").duration(POSITIVE).orElse(interval);
        int rise = o.get("rise").integer(1, Integer.MAX_VALUE).orElse(Defaults.RISE);
        int fall = o.get("fall").integer(1, Integer.MAX_VALUE).orElse(Defaults.FALL);
        return new HealthConfig(http, interval, timeout, rise, fall);
    }

    private static HttpCheckConfig http(YamlObject o) {
        String method = o.get("method").as("an HTTP method in capitals, e.g. GET or HEAD", HealthBinder::method)
                .orElse(Defaults.HEALTH_METHOD);
        String path = o.get("path").as("a path starting with /", HealthBinder::path).orElse(Defaults.HEALTH_PATH);
        Optional<String> host = o.get("host").as("a host name, optionally with :port", Addresses::hostHeader);
        List<StatusRange> expectStatus = expectStatus(o.get("expect_status"));
        Optional<String> expectBody = o.get("expect_body").string("a string the body must contain");
        return new HttpCheckConfig(method, path, host, expectStatus, expectBody);
    }

    private static String method(String text) {
        if (text.isEmpty() || !text.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
            throw new IllegalArgumentException(text + " (expected: an HTTP method in capitals, e.g. GET or HEAD)");
        }
        return text;
    }

    private static String path(String text) {
        if (!text.startsWith("/") || text.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
            throw new IllegalArgumentException(text + " (expected: a path starting with /, without spaces)");
        }
        return text;
    }

    /** One code or range, or a list of them. */
    private static List<StatusRange> expectStatus(YamlValue value) {
        if (!value.isPresent()) {
            return List.of(Defaults.HEALTH_EXPECT_STATUS);
        }
        List<YamlValue> items = value.isList()
                ? value.list(STATUS).orElse(List.of()) : List.of(value);
        if (items.isEmpty()) {
            value.fail(STATUS);
        }
        List<StatusRange> ranges = new ArrayList<>();
        for (YamlValue item : items) {
            item.as(STATUS, HealthBinder::statusRange).ifPresent(ranges::add);
        }
        return ranges.isEmpty() ? List.of(Defaults.HEALTH_EXPECT_STATUS) : ranges;
    }

    private static StatusRange statusRange(String text) {
        String s = text.trim();
        int dash = s.indexOf('-', 1);
        try {
            int from = Integer.parseInt(dash < 0 ? s : s.substring(0, dash).trim());
            int to = dash < 0 ? from : Integer.parseInt(s.substring(dash + 1).trim());
            if (from >= 100 && to <= 599 && from <= to) {
                return new StatusRange(from, to);
            }
        } catch (NumberFormatException e) {
            // reported below, like a value out of range
        }
        throw new IllegalArgumentException(text + " (expected: " + STATUS + ")");
    }
}
