package dev.tandem.proxy.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class StatusCodeCountersTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final StatusCodeCounters counters = new StatusCodeCounters(registry, "tandem.responses", "responses",
            Tags.of("listener", "http", "site", "*"));

    @Test
    void aCounterPerCodeSeenAndNoneForCodesNeverSeen() {
        counters.increment(200);
        counters.increment(200);
        counters.increment(503);
        counters.increment(499);
        assertEquals(2.0, registry.get("tandem.responses").tags("code", "200", "listener", "http", "site", "*").counter().count());
        assertEquals(1.0, registry.get("tandem.responses").tag("code", "503").counter().count());
        assertEquals(1.0, registry.get("tandem.responses").tag("code", "499").counter().count());
        assertNull(registry.find("tandem.responses").tag("code", "404").counter());
        assertEquals(3, registry.find("tandem.responses").counters().size());
    }

    @Test
    void codesOutsideHttpsRangeAreNotCounted() {
        counters.increment(99);
        counters.increment(600);
        counters.increment(-1);
        assertEquals(0, registry.find("tandem.responses").counters().size());
    }

    @Test
    void removeUnregistersEveryCode() {
        counters.increment(200);
        counters.increment(502);
        counters.remove();
        assertEquals(0, registry.find("tandem.responses").counters().size());
    }
}
