package dev.tandem.proxy.upstream;

import static dev.tandem.proxy.upstream.TestServers.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.health.PassiveFailures;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** nginx's max_fails / fail_timeout, as the proxy uses it, with time passed in. */
class PassiveFailuresTest {

    private static final long T0 = TimeUnit.DAYS.toNanos(3);
    private static final long TIMEOUT = TimeUnit.SECONDS.toNanos(10);

    private static long at(long seconds) {
        return T0 + TimeUnit.SECONDS.toNanos(seconds);
    }

    @Test
    void maxFailsWithinTheWindowTakesTheServerOutForFailTimeout() {
        PassiveFailures p = new PassiveFailures();
        assertFalse(p.recordFailure(at(0), 3, TIMEOUT));
        assertFalse(p.recordFailure(at(4), 3, TIMEOUT));
        assertFalse(p.isDown(at(5)));
        assertTrue(p.recordFailure(at(8), 3, TIMEOUT));
        assertTrue(p.isDown(at(8)));
        assertTrue(p.isDown(at(17)));
        assertFalse(p.isDown(at(18)));
    }

    @Test
    void failuresSpreadWiderThanTheWindowDoNotAddUp() {
        PassiveFailures p = new PassiveFailures();
        assertFalse(p.recordFailure(at(0), 2, TIMEOUT));
        assertFalse(p.recordFailure(at(11), 2, TIMEOUT));
        assertFalse(p.isDown(at(11)));
        assertTrue(p.recordFailure(at(12), 2, TIMEOUT));
    }

    @Test
    void aSuccessStartsTheCountAgain() {
        PassiveFailures p = new PassiveFailures();
        p.recordFailure(at(0), 2, TIMEOUT);
        p.recordSuccess();
        assertEquals(0, p.failures());
        assertFalse(p.recordFailure(at(1), 2, TIMEOUT));
        assertFalse(p.isDown(at(1)));
    }

    @Test
    void maxFailsZeroDisablesAccounting() {
        PassiveFailures p = new PassiveFailures();
        for (int i = 0; i < 100; i++) {
            assertFalse(p.recordFailure(at(i), 0, TIMEOUT));
        }
        assertFalse(p.isDown(at(100)));
    }

    @Test
    void failuresWhileDownDoNotExtendThePenalty() {
        PassiveFailures p = new PassiveFailures();
        assertTrue(p.recordFailure(at(0), 1, TIMEOUT));
        assertFalse(p.recordFailure(at(5), 1, TIMEOUT));
        assertFalse(p.isDown(at(10)));
    }

    @Test
    void aServerComesBackByItselfWhenThePenaltyEnds() {
        UpstreamServer s = server(1, 1, 0);
        assertTrue(s.available(at(0)));
        s.state().health().passive().recordFailure(at(0), 1, TIMEOUT);
        assertFalse(s.available(at(9)));
        assertTrue(s.available(at(10)));
    }

    @Test
    void worksAcrossTheSignChangeOfNanoTime() {
        PassiveFailures p = new PassiveFailures();
        long nearOverflow = Long.MAX_VALUE - TimeUnit.SECONDS.toNanos(2);
        assertTrue(p.recordFailure(nearOverflow, 1, TIMEOUT));
        assertTrue(p.isDown(nearOverflow + TimeUnit.SECONDS.toNanos(5)));
        assertFalse(p.isDown(nearOverflow + TimeUnit.SECONDS.toNanos(10)));
    }
}
