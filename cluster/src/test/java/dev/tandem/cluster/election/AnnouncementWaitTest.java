package dev.tandem.cluster.election;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.wire.Advert;
import org.junit.jupiter.api.Test;

/** When a master that stepped aside stops answering ARP for the VIP, on a clock the test moves. */
class AnnouncementWaitTest {

    private static final long MS = 1_000_000L;
    private static final long LIMIT = 5_000 * MS;
    private long seq;

    private Advert advert(String from, int priority, int flags) {
        return new Advert(from, "10.0.0.10", priority, 100, 1, ++seq, flags);
    }

    private Advert announced(String from) {
        return advert(from, 250, Advert.MASTER | Advert.ANNOUNCED);
    }

    private Advert notAnnounced(String from) {
        return advert(from, 250, Advert.MASTER);
    }

    /**
     * A healed partition: the advert that made this node step aside said ANNOUNCED, sent by a master that had not
     * heard of this node's mastership yet. Going quiet on it left a neighbour that asked before the master's new
     * round with no answer.
     */
    @Test
    void anAnnouncementFromBeforeTheMasterHeardOfThisNodeIsNotEnough() {
        AnnouncementWait w = new AnnouncementWait(LIMIT);
        w.begin(0);
        assertFalse(w.heard("a", announced("a")), "the advert this node stepped aside on");
        assertFalse(w.heard("a", announced("a")), "nor the next one, sent before a heard the claim");
        assertTrue(w.waiting());
        assertFalse(w.heard("a", notAnnounced("a")), "a heard the claim");
        assertTrue(w.heard("a", announced("a")), "a announced since");
        assertFalse(w.waiting());
    }

    @Test
    void aMasterThatHadNotAnnouncedWhenThisNodeSteppedAsideEndsTheWaitWithItsFirstAnnouncement() {
        AnnouncementWait w = new AnnouncementWait(LIMIT);
        w.begin(0);
        assertFalse(w.heard("a", notAnnounced("a")), "a takeover, a link back: the advert stepped aside on");
        assertTrue(w.heard("a", announced("a")));
    }

    @Test
    void onlyTheSameMastersAdvertsCountAndOnlyAsMaster() {
        AnnouncementWait w = new AnnouncementWait(LIMIT);
        w.begin(0);
        assertFalse(w.heard("c", notAnnounced("c")));
        assertFalse(w.heard("a", announced("a")), "c's advert says nothing of a's rounds");
        assertFalse(w.heard("a", advert("a", 0, Advert.MASTER | Advert.MAINTENANCE)), "priority 0: a hands over");
        assertFalse(w.heard("a", advert("a", 0, Advert.DRAINING)));
        assertFalse(w.heard("a", announced("a")));
        assertTrue(w.waiting());
    }

    @Test
    void aNewStepAsideForgetsWhatTheLastOneSaw() {
        AnnouncementWait w = new AnnouncementWait(LIMIT);
        w.begin(0);
        w.heard("a", notAnnounced("a"));
        w.end();
        assertFalse(w.heard("a", announced("a")), "not waiting");
        w.begin(10_000 * MS);
        assertFalse(w.heard("a", announced("a")));
        assertTrue(w.waiting());
    }

    @Test
    void withoutTheAnnouncementTheWaitEndsAtItsLimit() {
        AnnouncementWait w = new AnnouncementWait(LIMIT);
        w.begin(1_000 * MS);
        w.heard("a", announced("a")); // a master of the release before never clears the flag
        assertFalse(w.expired(1_000 * MS + LIMIT));
        assertTrue(w.waiting());
        assertTrue(w.expired(1_000 * MS + LIMIT + 1));
        assertFalse(w.waiting());
        assertFalse(w.expired(1_000 * MS + 2 * LIMIT), "over once");
    }
}
