package dev.tandem.cluster.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PresenceScheduleTest {

    private static final long MS = 1_000_000L;

    @Test
    void thePeriodIsThreeAdvertIntervalsAndNeverMoreThanASecond() {
        assertEquals(Duration.ofMillis(300), PresenceSchedule.period(Duration.ofMillis(100)));
        assertEquals(Duration.ofMillis(999), PresenceSchedule.period(Duration.ofMillis(333)));
        assertEquals(Duration.ofSeconds(1), PresenceSchedule.period(Duration.ofMillis(400)));
        assertEquals(Duration.ofSeconds(1), PresenceSchedule.period(Duration.ofSeconds(1)));
    }

    @Test
    void dueAtTheStartThenAfterAPeriodWithoutAnyPacket() {
        PresenceSchedule s = new PresenceSchedule(Duration.ofMillis(300));
        assertFalse(s.due(0), "not before the start");
        assertEquals(Long.MAX_VALUE, s.nextDue());
        s.start(10 * MS);
        assertTrue(s.due(10 * MS));
        s.sent(10 * MS);
        assertFalse(s.due(309 * MS));
        assertTrue(s.due(310 * MS));
        assertEquals(310 * MS, s.nextDue());
    }

    @Test
    void anyAdvertSentPutsItOff() {
        PresenceSchedule s = new PresenceSchedule(Duration.ofMillis(300));
        s.start(0);
        // a master: an advert every 100 ms, never a presence
        for (long at = 0; at < 5_000 * MS; at += 100 * MS) {
            s.sent(at);
            assertFalse(s.due(at + 99 * MS));
        }
    }

    @Test
    void aPeersNewRunIsAnsweredAtOnceAndOnlyOnce() {
        PresenceSchedule s = new PresenceSchedule(Duration.ofMillis(300));
        s.start(0);
        s.sent(0);
        s.heard(100 * MS, "b", 41);
        assertTrue(s.due(100 * MS), "the first run heard of b");
        s.sent(100 * MS);
        s.heard(150 * MS, "b", 41);
        assertFalse(s.due(150 * MS), "the same run: nothing to answer");
        s.heard(200 * MS, "b", 42);
        assertTrue(s.due(200 * MS), "b restarted");
        s.sent(200 * MS);
        s.heard(250 * MS, "c", 7);
        assertTrue(s.due(250 * MS), "c's run");
    }

    @Test
    void heardBeforeTheStartCountsButIsNotAnsweredTwice() {
        PresenceSchedule s = new PresenceSchedule(Duration.ofMillis(300));
        s.heard(0, "b", 41);
        assertFalse(s.due(0));
        s.start(5 * MS);
        s.sent(5 * MS);
        s.heard(10 * MS, "b", 41);
        assertFalse(s.due(10 * MS), "the start's presence answered it");
    }
}
