package dev.tandem.health.internal;

import static dev.tandem.health.ActiveState.DOWN;
import static dev.tandem.health.ActiveState.UNKNOWN;
import static dev.tandem.health.ActiveState.UP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tandem.health.ActiveState;
import org.junit.jupiter.api.Test;

class RiseFallTest {

    /** Feeds {@code results} ('+' passed, '-' failed) from {@code start}; returns the state after each (U, D, ?). */
    private static String run(RiseFall rf, ActiveState start, String results) {
        StringBuilder out = new StringBuilder();
        ActiveState s = start;
        for (char c : results.toCharArray()) {
            ActiveState next = rf.record(s, c == '+');
            if (next != null) {
                s = next;
            }
            out.append(s == UNKNOWN ? '?' : s.name().charAt(0));
        }
        return out.toString();
    }

    @Test
    void upGoesDownAfterExactlyFallConsecutiveFailures() {
        assertEquals("UUUUUD", run(new RiseFall(2, 3), UP, "--+---"));
    }

    @Test
    void downComesBackAfterExactlyRiseConsecutivePasses() {
        assertEquals("DDDDDU", run(new RiseFall(3, 1), DOWN, "++-+++"));
    }

    @Test
    void unknownIsConfirmedUpByOnePassAndGoesDownLikeUp() {
        assertEquals("U", run(new RiseFall(5, 3), UNKNOWN, "+"));
        // Still unknown (counted as up) until the third failure.
        assertEquals("??D", run(new RiseFall(5, 3), UNKNOWN, "---"));
        assertEquals("??U", run(new RiseFall(5, 3), UNKNOWN, "--+"));
        assertEquals("??UUUD", run(new RiseFall(5, 3), UNKNOWN, "--+---"));
    }

    @Test
    void aTransitionHappensOnceAndCountingGoesOn() {
        RiseFall rf = new RiseFall(2, 2);
        assertNull(rf.record(UP, false));
        assertEquals(DOWN, rf.record(UP, false));
        assertNull(rf.record(DOWN, false));
        assertEquals(3, rf.failures());
        assertNull(rf.record(DOWN, true));
        assertEquals(0, rf.failures());
        assertEquals(UP, rf.record(DOWN, true));
        assertEquals(2, rf.passes());
        assertNull(rf.record(UP, true));
    }

    @Test
    void riseAndFallOfOneReactToEveryCheck() {
        assertEquals("DUDU", run(new RiseFall(1, 1), UP, "-+-+"));
    }

    @Test
    void refusesCountsBelowOne() {
        assertThrows(IllegalArgumentException.class, () -> new RiseFall(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new RiseFall(1, 0));
    }
}
