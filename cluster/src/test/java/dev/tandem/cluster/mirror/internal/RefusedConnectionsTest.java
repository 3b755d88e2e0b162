package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RefusedConnectionsTest {

    @Test
    void everyRefusalIsCountedAndLoggedAtMostOnceAMinutePerAddressAndReason() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        AtomicLong now = new AtomicLong();
        RefusedConnections r = new RefusedConnections(meters, now::get, Duration.ofMinutes(1));

        String first = r.refused("192.0.2.7", HandshakeAdmission.Verdict.STRANGER);
        assertNotNull(first);
        assertTrue(first.contains("192.0.2.7") && first.contains("stranger"), first);
        for (int i = 0; i < 999; i++) {
            assertNull(r.refused("192.0.2.7", HandshakeAdmission.Verdict.STRANGER));
        }
        // another address, another reason: a line of its own at once
        assertNotNull(r.refused("192.0.2.8", HandshakeAdmission.Verdict.STRANGER));
        assertNotNull(r.refused("10.0.0.12", HandshakeAdmission.Verdict.SOURCE_LIMIT));

        now.addAndGet(Duration.ofSeconds(61).toNanos());
        String later = r.refused("192.0.2.7", HandshakeAdmission.Verdict.STRANGER);
        assertTrue(later.contains("1000 refused for this reason in the last 61 s"), later);

        assertEquals(1002.0, meters.get("tandem_mirror_connections_refused_total").tag("reason", "stranger").counter().count());
        assertEquals(1.0, meters.get("tandem_mirror_connections_refused_total").tag("reason", "source_limit").counter().count());
    }

    @Test
    void theAddressesRememberedAreBounded() {
        AtomicLong now = new AtomicLong();
        RefusedConnections r = new RefusedConnections(new SimpleMeterRegistry(), now::get, Duration.ofMinutes(1));
        for (int i = 0; i < RefusedConnections.MAX_SOURCES; i++) {
            assertNotNull(r.refused("198.51.100." + i, HandshakeAdmission.Verdict.STRANGER));
        }
        // full: a new address is counted but not logged until the old ones have gone quiet
        assertNull(r.refused("203.0.113.1", HandshakeAdmission.Verdict.STRANGER));
        now.addAndGet(Duration.ofMinutes(2).toNanos());
        assertNotNull(r.refused("203.0.113.1", HandshakeAdmission.Verdict.STRANGER));
    }
}
