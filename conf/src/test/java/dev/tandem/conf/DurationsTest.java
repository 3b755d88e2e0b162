package dev.tandem.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void everyUnit() {
        assertEquals(Duration.ofMillis(100), Durations.parse("100ms"));
        assertEquals(Duration.ofSeconds(2), Durations.parse("2s"));
        assertEquals(Duration.ofMinutes(5), Durations.parse("5m"));
        assertEquals(Duration.ofHours(1), Durations.parse("1h"));
        assertEquals(Duration.ofDays(365), Durations.parse("365d"));
        assertEquals(Duration.ZERO, Durations.parse("0s"));
        assertEquals(Duration.ofSeconds(3), Durations.parse(" 3s "));
    }

    @Test
    void bareNumberAsksForAUnit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse("30"));
        assertEquals("30 (expected: a duration with a unit, e.g. 30s or 30ms)", e.getMessage());
    }

    @Test
    void malformed() {
        for (String bad : new String[] {"", "s", "1.5s", "-1s", "1 s", "1S", "1D", "1sec", "ms10", "99999999999999999999h"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(bad), bad);
            assertEquals(bad + " (expected: a duration such as 100ms, 2s, 5m or 1h)", e.getMessage());
        }
    }

    @Test
    void tooLargeForADuration() {
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("999999999999999999h"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("999999999999999999d"));
    }
}
