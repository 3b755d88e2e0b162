package dev.tandem.node.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RepeatLimiterTest {

    private final AtomicLong now = new AtomicLong(1_000);
    private final RepeatLimiter limiter = new RepeatLimiter(2, 100, now::get);

    @Test
    void aBurstPassesThenTheRestOfTheWindowIsHeldAndCountedOnTheNextLineLetThrough() {
        assertEquals(new RepeatLimiter.Decision(true, 0), limiter.decide("a"));
        assertEquals(new RepeatLimiter.Decision(true, 0), limiter.decide("a"));
        assertEquals(new RepeatLimiter.Decision(false, 0), limiter.decide("a"));
        assertEquals(new RepeatLimiter.Decision(false, 0), limiter.decide("a"));
        assertEquals(new RepeatLimiter.Decision(true, 0), limiter.decide("b"));
        now.addAndGet(99);
        assertEquals(new RepeatLimiter.Decision(false, 0), limiter.decide("a"));
        now.addAndGet(1);
        assertEquals(new RepeatLimiter.Decision(true, 3), limiter.decide("a"));
        assertEquals(new RepeatLimiter.Decision(true, 0), limiter.decide("a"));
        assertEquals(new RepeatLimiter.Decision(false, 0), limiter.decide("a"));
    }

    @Test
    void aQuietWindowStartsAfreshWithNothingToReport() {
        limiter.decide("a");
        now.addAndGet(500);
        assertEquals(new RepeatLimiter.Decision(true, 0), limiter.decide("a"));
        assertEquals(new RepeatLimiter.Decision(true, 0), limiter.decide("a"));
    }
}
