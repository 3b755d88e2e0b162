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
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("www", 15, local("www", 0, 10), "here"), "ten");
        assertEquals(DeletionGuard.Verdict.PASS, guard.judge("www", 1000, local("www", 0, 400), "here"), "40%");
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
}
