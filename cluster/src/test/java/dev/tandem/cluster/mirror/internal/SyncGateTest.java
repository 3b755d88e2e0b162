package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The first sync at start and the catch-up gate at any time, on a clock the test moves. */
class SyncGateTest {

    private final AtomicLong now = new AtomicLong(10_000);
    private final SyncGate gate = new SyncGate(List.of("lb2", "lb3"), now::get);

    private static Map<String, MirrorTable.RootDigest> digest(String d) {
        return Map.of("www", new MirrorTable.RootDigest(d, 3, 30, 1));
    }

    private static Messages.Summary summary(long generation, String d) {
        return new Messages.Summary(1, generation, digest(d));
    }

    @Test
    void theFirstSyncNeedsBothDirectionsWithOnePeer() {
        assertNull(gate.start());
        gate.linkUp("lb2");
        gate.sessionOpened("lb2");
        assertNull(gate.peerHasAll("lb2"));
        assertNull(gate.hasAllOf("lb3"), "the other direction with another peer is not enough");
        assertEquals("synced with lb2", gate.hasAllOf("lb2"));
        assertEquals("synced with lb2", gate.firstSync());
        assertNull(gate.giveUp("too late"), "over already");
    }

    @Test
    void noPeerReachableEndsTheFirstSync() {
        assertNull(gate.linkFailed("lb2", true));
        assertEquals("no peer reachable", gate.linkFailed("lb3", true));
    }

    @Test
    void aPeerThatConnectedHereIsReachable() {
        gate.sessionOpened("lb3");
        gate.linkFailed("lb2", true);
        assertNull(gate.linkFailed("lb3", true));
    }

    @Test
    void noPeerAtAllIsNothingToWaitFor() {
        assertEquals("no peer reachable", new SyncGate(List.of(), now::get).start());
    }

    @Test
    void theWaitCanBeGivenUp() {
        assertEquals("no sync within 30 s", gate.giveUp("no sync within 30 s"));
        assertNull(gate.hasAllOf("lb2"));
    }

    @Test
    void theLagGrowsWithTheClockUntilTheSameContentIsHeld() {
        gate.linkUp("lb2");
        gate.summary("lb2", summary(1, "theirs"), digest("mine"));
        assertFalse(gate.peer("lb2").inSync);
        now.addAndGet(4_500);
        assertEquals(4.5, gate.lagSeconds("lb2"));
        assertTrue(gate.summary("lb2", summary(2, "same"), digest("same")));
        assertEquals(0, gate.lagSeconds("lb2"));
        assertEquals(now.get(), gate.peer("lb2").lastSync);
        assertFalse(gate.summary("lb2", summary(1, "old"), digest("same")), "an older summary is ignored");
        gate.linkDown("lb2", digest("same"));
        now.addAndGet(2_000);
        assertEquals(2.0, gate.lagSeconds("lb2"), "no connection: not known to be in sync");
    }

    @Test
    void aPeerStartedAgainWithItsClockSetBackIsHeardOf() {
        long before = 1_800_000_000_000L;
        long hourBehind = before + 60_000 - 3_600_000;
        gate.linkUp("lb2");
        assertTrue(gate.summary("lb2", new Messages.Summary(before, 7, digest("old run")), digest("same")));
        assertFalse(gate.peer("lb2").inSync);
        // started again a minute later, its clock now an hour behind: a new run, though its boot is earlier
        assertTrue(gate.summary("lb2", new Messages.Summary(hourBehind, 1, digest("same")), digest("same")));
        assertTrue(gate.peer("lb2").inSync);
        assertFalse(gate.summary("lb2", new Messages.Summary(before, 8, digest("old run")), digest("same")),
                "a late summary of the run before changes nothing");
        assertTrue(gate.peer("lb2").inSync);
        assertTrue(gate.summary("lb2", new Messages.Summary(hourBehind, 2, digest("same")), digest("same")));
        assertFalse(gate.summary("lb2", new Messages.Summary(hourBehind, 1, digest("other")), digest("same")),
                "within a run, the generation orders");
    }

    @Test
    void behindWhileAFullRoundOfAPeerWithOtherContentIsOpen() {
        gate.sessionOpened("lb2");
        gate.summary("lb2", summary(1, "theirs"), digest("mine"));
        assertTrue(gate.behind().behind());
        gate.wanted("lb2", 3, 3000);
        SyncGate.Behind b = gate.behind();
        assertEquals(3, b.files());
        assertEquals(3000, b.bytes());
        assertEquals(List.of("lb2"), b.peers());
        gate.wanted("lb2", 0, 0);
        gate.hasAllOf("lb2");
        assertFalse(gate.behind().behind(), "what differs now is this node's own newer content");
    }

    @Test
    void behindAgainWhenARunningNodeIsOfferedNewFiles() {
        gate.sessionOpened("lb2");
        gate.summary("lb2", summary(1, "same"), digest("same"));
        gate.hasAllOf("lb2");
        assertFalse(gate.behind().behind());
        // days later: the peer's edits are offered and asked for
        gate.wanted("lb2", 1, 10);
        assertTrue(gate.behind().behind());
        gate.wanted("lb2", 0, 0);
        assertFalse(gate.behind().behind());
    }

    @Test
    void theCatchUpGateTellsEachChangeOnce() {
        gate.sessionOpened("lb2");
        gate.summary("lb2", summary(1, "same"), digest("same"));
        gate.hasAllOf("lb2");
        assertNull(gate.catchUp(Map.of()), "not behind, as at start: nothing to tell");
        SyncGate.Behind b = gate.catchUp(Map.of("lb2", new long[] {2, 20}));
        assertTrue(b.behind());
        assertEquals(2, b.files());
        assertEquals(20, b.bytes());
        assertNull(gate.catchUp(Map.of("lb2", new long[] {1, 10})), "still behind: no news");
        assertEquals(1, gate.behind().files(), "though the status shows what is left");
        assertFalse(gate.catchUp(Map.of()).behind(), "caught up");
        assertNull(gate.catchUp(Map.of()));
    }

    @Test
    void anUnreachablePeerIsNothingToBeBehind() {
        gate.summary("lb2", summary(1, "theirs"), digest("mine"));
        gate.wanted("lb2", 5, 50);
        assertFalse(gate.behind().behind(), "no connection from it");
        gate.sessionOpened("lb2");
        assertTrue(gate.behind().behind());
        gate.sessionClosed("lb2", digest("mine"));
        assertFalse(gate.behind().behind());
    }
}
