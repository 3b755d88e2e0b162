package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Files found without a version by a node with no record of versions: which wait, and which become its own. */
class NoHistoryTest {

    private static EntryKey k(String rel) {
        return new EntryKey("www", rel);
    }

    @Test
    void aNodeWithItsStateMakesEditsAtOnce() {
        NoHistory h = new NoHistory(false);
        assertFalse(h.hold(k("new.html")));
        assertFalse(h.waiting(k("new.html")));
        assertEquals(List.of(), h.fullRoundOver());
    }

    @Test
    void withoutHistoryFilesWaitAndThoseNoPeerOfferedBecomeOwnAfterAFullRound() {
        NoHistory h = new NoHistory(true);
        assertTrue(h.hold(k("deleted-by-the-cluster.html")));
        assertTrue(h.hold(k("added-by-a-person.html")));
        assertTrue(h.hold(k("same.html")));
        assertTrue(h.hold(k("same.html")), "asked again (the next scan): still waiting");
        assertEquals(3, h.waiting("www"));
        assertEquals(0, h.waiting("etc"));
        h.offered(k("deleted-by-the-cluster.html"));
        h.offered(k("same.html"));
        h.settled(k("same.html"));
        assertEquals(List.of(k("added-by-a-person.html")), h.fullRoundOver());
        assertFalse(h.active());
        assertTrue(h.waiting(k("deleted-by-the-cluster.html")), "its tombstone decides (held, or under way)");
        assertFalse(h.waiting(k("added-by-a-person.html")));
        assertEquals(1, h.waiting("www"));
        assertFalse(h.hold(k("later.html")), "after the round a file without a version is a new file");
        assertTrue(h.hold(k("deleted-by-the-cluster.html")), "one still waiting keeps waiting");
        assertEquals(List.of(), h.fullRoundOver(), "once");
    }

    @Test
    void aFileGoneWhileItWaitsWaitsNoMore() {
        NoHistory h = new NoHistory(true);
        h.hold(k("a.html"));
        h.settled(k("a.html"));
        h.settled(k("a.html"));
        assertEquals(0, h.waiting("www"));
        assertEquals(List.of(), h.fullRoundOver());
    }
}
