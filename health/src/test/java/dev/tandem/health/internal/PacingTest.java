package dev.tandem.health.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PacingTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void firstChecksSpreadOverTheWholeInterval() {
        Random random = new Random(42);
        Set<Long> tenths = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            long d = Pacing.firstDelay(SECOND, random);
            assertTrue(d >= 0 && d < SECOND, "delay " + d);
            tenths.add(d * 10 / SECOND);
        }
        assertEquals(10, tenths.size(), "a thousand servers' first checks fall in every tenth of the interval");
    }

    @Test
    void intervalsVaryByUpToTenPercentAroundTheInterval() {
        Random random = new Random(7);
        long min = Long.MAX_VALUE;
        long max = 0;
        double sum = 0;
        for (int i = 0; i < 10_000; i++) {
            long d = Pacing.nextDelay(SECOND, 0, random);
            min = Math.min(min, d);
            max = Math.max(max, d);
            sum += d;
        }
        assertTrue(min >= SECOND * 9 / 10 && min < SECOND * 92 / 100, "min " + min);
        assertTrue(max <= SECOND * 11 / 10 && max > SECOND * 108 / 100, "max " + max);
        assertEquals(1.0, sum / 10_000 / SECOND, 0.01, "on average once per interval");
    }

    @Test
    void theNextCheckCountsFromTheStartOfTheLastAndNeverOverlaps() {
        Random random = new Random(1);
        long d = Pacing.nextDelay(SECOND, SECOND / 2, random);
        assertTrue(d >= SECOND * 4 / 10 && d <= SECOND * 6 / 10, "delay " + d);
        assertEquals(0, Pacing.nextDelay(SECOND, 2 * SECOND, random));
    }
}
