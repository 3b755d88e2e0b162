package dev.tandem.proxy.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Requests answered on one listener for one site: counts by status class and by exact code, a latency
 * histogram, body bytes received and sent, clients that left before their response was complete, and the
 * upgrades refused to its clients, by reason.
 */
public final class RequestMetrics {

    /** Why an upgrade was refused: a protocol not allowed, a request with a body, a 101 for another protocol. */
    public static final List<String> UPGRADE_REFUSALS = List.of("protocol", "body", "response");

    private final Counter[] byClass = new Counter[6];
    private final Timer duration;
    private final Counter[] upgradesRefused = new Counter[UPGRADE_REFUSALS.size()];
    private final StatusCodeCounters byCode;
    private final Counter bytesReceived;
    private final Counter bytesSent;
    private final Counter clientAborts;
    private final MeterRegistry registry;
    private final Tags tags;
    private final Map<String, Counter> noServer = new ConcurrentHashMap<>();
    private final Map<String, Counter> noLiveServer = new ConcurrentHashMap<>();

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
        this.registry = registry;
        this.tags = Tags.of("listener", listener, "site", site);
        byCode = new StatusCodeCounters(registry, "tandem.responses",
                "Responses answered, by listener, site and exact status code (499: the client left first)", tags);
        bytesReceived = Counter.builder("tandem.received.bytes")
                .description("Request body bytes received from clients, by listener and site")
                .tags(tags).register(registry);
        bytesSent = Counter.builder("tandem.sent.bytes")
                .description("Response body bytes sent to clients, by listener and site")
                .tags(tags).register(registry);
        clientAborts = Counter.builder("tandem.client.aborts")
                .description("Requests whose client closed the connection before the response was complete")
                .tags(tags).register(registry);
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
        byCode.increment(status);
        duration.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Body bytes of one exchange: received from the client, sent to it. */
    public void bytes(long received, long sent) {
        if (received > 0) {
            bytesReceived.increment(received);
        }
        if (sent > 0) {
            bytesSent.increment(sent);
        }
    }

    /** A request answered 503 because no server of {@code upstream} was available (all down, drained or full). */
    public void noServer(String upstream) {
        noServer.computeIfAbsent(upstream, u -> Counter.builder("tandem.upstream.unavailable")
                .description("Requests answered 503 because no server of the upstream was available")
                .tags(tags).tag("upstream", u).register(registry)).increment();
    }

    /**
     * A request answered 502 at once, with no connection attempt, because every server of {@code upstream} that
     * may take traffic was serving a passive penalty and none was due for a probe (nginx's "no live upstreams").
     */
    public void noLiveServer(String upstream) {
        noLiveServer.computeIfAbsent(upstream, u -> Counter.builder("tandem.upstream.no.live.server")
                .description("Requests answered 502 without a connection attempt: every server of the upstream was "
                        + "taken out by passive failures")
                .tags(tags).tag("upstream", u).register(registry)).increment();
    }

    /** The client closed its connection before its response was complete. */
    public void clientAborted() {
        clientAborts.increment();
    }
}
