package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The mass-deletion guard: which deletions are held, how a hold grows, ends by itself, and is released. */
class DeletionGuardTest {

    private final AtomicLong now = new AtomicLong(1_000);
    private final DeletionGuard guard = new DeletionGuard(DeletionGuard.Limits.DEFAULT, now::get);

    private static Map<EntryKey, Entry> local(String root, int from, int to) {
        Map<EntryKey, Entry> m = new LinkedHashMap<>();
        for (int i = from; i < to; i++) {
            m.put(new EntryKey(root, "f" + i), null);
        }
        return m;
    }

    @Test
    void everyFileOfARootIsHeld() {
        assertEquals(DeletionGuard.Verdict.HELD_NEW, guard.judge("www", 20, local("www", 0, 20), "here"));
        assertTrue(guard.held(new EntryKey("www", "f3")));
        DeletionGuard.Hold h = guard.hold("www");
        assertEquals(20, h.keys.size());
        assertEquals(20, h.filesThen);
        assertEquals(1_000, h.since);
        assertEquals("here", h.from);
    }

    @Test
    void moreThanHalfAndMoreThanTenIsHeld() {
        assertEquals(DeletionGuard.Verdict.HELD_NEW, guard.judge("www", 40, local("www", 0, 21), "here"));
    }

    @Test
    void halfOrTenOrFewerPass() {
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("www", 40, local("www", 0, 20), "here"), "half");
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("etc", 15, local("etc", 0, 10), "here"), "ten");
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("img", 1000, local("img", 0, 400), "here"), "40%");
        assertTrue(guard.holds().isEmpty());
    }

    @Test
    void theThresholdsAreConfigurable() {
        DeletionGuard strict = new DeletionGuard(new DeletionGuard.Limits(2, 10), now::get);
        assertEquals(DeletionGuard.Verdict.HELD_NEW, strict.judge("www", 100, local("www", 0, 11), "here"));
        assertEquals(DeletionGuard.Verdict.PASS, strict.judge("etc", 100, local("etc", 0, 2), "here"));
    }

    @Test
    void laterDeletionsOfAHeldRootJoinTheHold() {
        guard.judge("www", 20, local("www", 0, 15), "here");
        assertEquals(DeletionGuard.Verdict.HELD, guard.judge("www", 20, local("www", 15, 16), "here"));
        assertEquals(16, guard.hold("www").keys.size());
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("etc", 20, local("etc", 0, 1), "here"), "other roots go on");
    }

    @Test
    void filesThatComeBackLeaveTheHoldAndTheLastEndsIt() {
        guard.judge("www", 12, local("www", 0, 12), "here");
        for (int i = 0; i < 11; i++) {
            assertFalse(guard.back(new EntryKey("www", "f" + i)));
        }
        assertTrue(guard.back(new EntryKey("www", "f11")));
        assertNull(guard.hold("www"));
        assertFalse(guard.back(new EntryKey("www", "f11")), "a key not held");
    }

    @Test
    void aPeersMassDeletionIsHeldWithItsVersions() {
        Entry live = Entry.edit(new EntryKey("www", "a"), null, "lb2", 0, "1".repeat(64), 0644, 3);
        Map<EntryKey, Entry> d = new LinkedHashMap<>();
        d.put(live.key(), Entry.deletion(live, "lb2", 5));
        assertEquals(DeletionGuard.Verdict.HELD_NEW, guard.judge("www", 1, d, "lb2"));
        DeletionGuard.Hold h = guard.release("www");
        assertEquals("lb2", h.from);
        assertTrue(h.keys.get(live.key()).deleted());
        assertFalse(guard.held(live.key()), "released");
    }

    @Test
    void aMassDeletionSplitIntoBatchesIsHeldOnceTheWindowAddsUpToOne() {
        // 40 files; five batches of 5 (a peer's offers, or scans a second apart)
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("www", 40, local("www", 0, 5), "lb2"));
        now.addAndGet(1_000);
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("www", 35, local("www", 5, 10), "lb2"));
        now.addAndGet(1_000);
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("www", 30, local("www", 10, 15), "lb2"), "15 of 40");
        now.addAndGet(1_000);
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("www", 25, local("www", 15, 20), "lb2"), "20 of 40: half");
        assertEquals(20, guard.passedInWindow("www"));
        now.addAndGet(1_000);
        assertEquals(DeletionGuard.Verdict.HELD_NEW, guard.judge("www", 20, local("www", 20, 25), "lb2"), "25 of 40");
        DeletionGuard.Hold h = guard.hold("www");
        assertEquals(5, h.keys.size(), "only the batch that tipped it is held (the others passed)");
        assertEquals(40, h.filesThen, "against the files the root had when the window began");
        assertEquals(DeletionGuard.Verdict.HELD, guard.judge("www", 20, local("www", 25, 40), "lb2"));
    }

    @Test
    void aRootEmptiedInTwoHalvesIsHeld() {
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("www", 20, local("www", 0, 10), "here"));
        now.addAndGet(30_000);
        assertEquals(DeletionGuard.Verdict.HELD_NEW, guard.judge("www", 10, local("www", 10, 19), "here"),
                "19 of the 20 files within the window, though 9 of the 10 left is below the threshold");
    }

    @Test
    void deletionsOlderThanTheWindowNoLongerCount() {
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("www", 40, local("www", 0, 10), "here"));
        now.addAndGet(DeletionGuard.Limits.WINDOW_MILLIS - 1);
        assertEquals(10, guard.passedInWindow("www"));
        now.addAndGet(1);
        assertEquals(0, guard.passedInWindow("www"));
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("www", 30, local("www", 10, 20), "here"),
                "10 of 30 in a window of its own");
    }

    @Test
    void theWindowIsTheConfiguredOne() {
        DeletionGuard shortWindow = new DeletionGuard(new DeletionGuard.Limits(10, 50, 2_000), now::get);
        assertEquals(DeletionGuard.Verdict.PASS, shortWindow.judge("www", 40, local("www", 0, 10), "here"));
        now.addAndGet(1_999);
        assertEquals(DeletionGuard.Verdict.HELD_NEW, shortWindow.judge("www", 30, local("www", 10, 21), "here"),
                "21 of 40 within the 2 s window");
        shortWindow.release("www");
        assertEquals(DeletionGuard.Verdict.PASS, shortWindow.judge("www", 40, local("www", 0, 10), "here"));
        now.addAndGet(2_000);
        assertEquals(0, shortWindow.passedInWindow("www"));
        assertEquals(DeletionGuard.Verdict.PASS, shortWindow.judge("www", 30, local("www", 10, 21), "here"),
                "11 of 30 once the 2 s window has passed, where the default window would still hold it");
    }

    @Test
    void theDefaultWindowIsFiveMinutes() {
        assertEquals(5 * 60_000L, DeletionGuard.Limits.DEFAULT.windowMillis());
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("www", 40, local("www", 0, 10), "here"));
        now.addAndGet(2_000);
        assertEquals(DeletionGuard.Verdict.HELD_NEW, guard.judge("www", 30, local("www", 10, 21), "here"));
    }

    @Test
    void eachRootHasItsOwnWindow() {
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("www", 40, local("www", 0, 10), "here"));
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("etc", 40, local("etc", 0, 10), "here"));
        assertEquals(10, guard.passedInWindow("www"));
        assertEquals(10, guard.passedInWindow("etc"));
    }

    @Test
    void filesAddedDuringTheWindowCountInTheBase() {
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("www", 20, local("www", 0, 10), "here"));
        // 200 files added since: 10 + 10 of the 210 that were there is no mass deletion
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("www", 200, local("www", 10, 20), "here"));
    }

    @Test
    void aConfirmationBeginsTheWindowAgain() {
        guard.judge("www", 40, local("www", 0, 10), "here");
        guard.judge("www", 30, local("www", 10, 25), "here");
        guard.release("www");
        assertEquals(0, guard.passedInWindow("www"));
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("www", 30, local("www", 25, 35), "here"));
    }
}
