package dev.tandem.proxy.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.upstream.ServerRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The meters a request records into are compiled per listener and site, under the names and tags the README's Metrics tables publish. */
class RuntimeListenerTest {

    private static final String CONFIG = """
            listeners:
              - { name: front, bind: 127.0.0.1:0 }
              - { name: back, bind: 127.0.0.1:0 }
            sites:
              - { hosts: [a.example], upstream: web }
              - { hosts: [b.example], upstream: web }
            upstreams:
              web:
                servers: [{ address: 127.0.0.1:9 }]
            """;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private double requests(String listener, String site) {
        return meters.get("tandem.requests").tag("listener", listener).tag("site", site).tag("status_class", "2xx")
                .counter().count();
    }

    @Test
    void eachListenerAndSiteRecordsIntoItsOwnSeries() throws Exception {
        Snapshot snapshot = new Snapshot(ConfigLoader.parse("t.yaml", CONFIG, Path.of("/tmp")), "h", 1, "t.yaml");
        RuntimeConfig config = RuntimeConfig.compile(snapshot, new ServerRegistry(meters), meters, 1);
        RuntimeListener front = config.runtimeListener("front");
        RuntimeListener back = config.runtimeListener("back");
        assertEquals("back", back.options().name());
        assertEquals(back.options(), config.listener("back"));
        assertNull(config.runtimeListener("gone"));

        config.route("b.example").metrics(back).record(200, 1_000_000);
        config.route("a.example").metrics(front).record(204, 1_000_000);
        config.route("a.example").metrics(front).record(200, 1_000_000);
        front.unrouted().record(200, 1_000_000);

        assertEquals(1, requests("back", "b.example"));
        assertEquals(0, requests("front", "b.example"));
        assertEquals(2, requests("front", "a.example"));
        assertEquals(0, requests("back", "a.example"));
        assertEquals(1, requests("front", "-"));
        assertEquals(front.unrouted(), config.unrouted("front"));
        assertEquals(3, meters.get("tandem.request.duration").tag("listener", "front").timers().stream()
                .mapToLong(t -> t.count()).sum());
    }
}
