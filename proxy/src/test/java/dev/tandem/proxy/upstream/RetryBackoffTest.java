package dev.tandem.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RetryBackoffTest {

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    @Test
    void growsWithEachFailureBetweenHalfAndAllOfItsStep() {
        assertEquals(5, ms(RetryBackoff.delayNanos(1, 0)));
        assertEquals(9, ms(RetryBackoff.delayNanos(1, 0.999)));
        assertEquals(10, ms(RetryBackoff.delayNanos(2, 0)));
        assertEquals(20, ms(RetryBackoff.delayNanos(3, 0)));
        assertTrue(RetryBackoff.delayNanos(3, 0.5) > RetryBackoff.delayNanos(3, 0));
    }

    @Test
    void isCappedAndNeverNegative() {
        assertEquals(500, ms(RetryBackoff.delayNanos(100, 0.9999999)) + 1);
        assertEquals(250, ms(RetryBackoff.delayNanos(Integer.MAX_VALUE, 0)));
        assertEquals(5, ms(RetryBackoff.delayNanos(0, 0)));
    }
}
