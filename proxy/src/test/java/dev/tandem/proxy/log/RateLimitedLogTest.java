package dev.tandem.proxy.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RateLimitedLogTest {

    private static final long S = TimeUnit.SECONDS.toNanos(1);
    private static final long T0 = TimeUnit.HOURS.toNanos(5);

    private final RateLimitedLog<String> log = new RateLimitedLog<>(Duration.ofSeconds(10));

    @Test
    void theFirstAtOnceThenOnePerIntervalWithTheCountItStandsFor() {
        assertEquals(1, log.record("a CONNECT", T0));
        for (int i = 1; i <= 7605; i++) {
            assertEquals(RateLimitedLog.QUIET, log.record("a CONNECT", T0 + i * (9 * S / 7605)));
        }
        assertEquals(7606, log.record("a CONNECT", T0 + 10 * S));
        assertEquals(RateLimitedLog.QUIET, log.record("a CONNECT", T0 + 11 * S));
        assertEquals(2, log.record("a CONNECT", T0 + 20 * S));
    }

    @Test
    void eachKeyHasItsOwnAllowance() {
        assertEquals(1, log.record("a CONNECT", T0));
        assertEquals(1, log.record("b CONNECT", T0));
        assertEquals(1, log.record("a RESET", T0));
        assertEquals(RateLimitedLog.QUIET, log.record("a RESET", T0 + S));
    }

    @Test
    void keysAreBoundedAndQuietOnesAreForgotten() {
        for (int i = 0; i < RateLimitedLog.MAX_KEYS; i++) {
            assertEquals(1, log.record("k" + i, T0));
        }
        assertEquals(RateLimitedLog.QUIET, log.record("new", T0 + S));
        assertEquals(1, log.record("new", T0 + 10 * S));
    }

    @Test
    void repeatsSaysHowMany() {
        assertEquals("", RateLimitedLog.repeats(1));
        assertEquals(" (42 like it since the last such line)", RateLimitedLog.repeats(42));
    }
}
