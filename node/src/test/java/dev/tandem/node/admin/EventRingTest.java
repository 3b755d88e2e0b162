package dev.tandem.node.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventRingTest {

    private static final Instant T = Instant.parse("2026-12-07T04:00:00Z");

    @Test
    void keepsTheLatestInOrderAndCountsWhatItDropped() {
        EventRing ring = new EventRing("lb1", 3);
        for (int i = 1; i <= 5; i++) {
            ring.add(T.plusSeconds(i), "health", "info", "web/a:1", "event " + i);
        }
        List<AdminEvent> kept = ring.after(0);
        assertEquals(List.of(3L, 4L, 5L), kept.stream().map(AdminEvent::seq).toList());
        assertEquals("event 5", kept.get(2).text());
        assertEquals("lb1", kept.get(0).node());
        assertEquals(2, ring.dropped());
    }

    @Test
    void givesWhatCameAfterASequenceNumber() {
        EventRing ring = new EventRing("lb1", 10);
        ring.add(T, "reload", "info", "config", "one");
        ring.add(T, "reload", "error", "config", "two");
        ring.add(T, "reload", "info", "config", "three");
        assertEquals(List.of("three"), ring.after(2).stream().map(AdminEvent::text).toList());
        assertEquals(List.of(), ring.after(3));
    }
}
