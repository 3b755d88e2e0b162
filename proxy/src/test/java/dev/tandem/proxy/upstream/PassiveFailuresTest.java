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

    private static long ms(long millis) {
        return T0 + TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void aPenalisedServerIsProbedAtOnceThenAtDoublingGapsUpToASecond() {
        PassiveFailures p = new PassiveFailures();
        assertTrue(p.tryProbe(ms(0)), "not penalised: no probe needed");
        assertTrue(p.recordFailure(ms(0), 1, TimeUnit.MINUTES.toNanos(1)));
        assertTrue(p.mayProbe(ms(0)));
        assertTrue(p.tryProbe(ms(0)), "the first probe goes at once");
        assertFalse(p.mayProbe(ms(0)));
        assertFalse(p.tryProbe(ms(0)), "one probe per gap");
        long due = 1;
        long gap = 1;
        for (int i = 0; i < 20; i++) {
            assertFalse(p.tryProbe(ms(due) - 1), "probe " + i);
            assertTrue(p.tryProbe(ms(due)), "probe " + i);
            gap = Math.min(gap * 2, 1000);
            due += gap;
        }
        assertEquals(1000, gap, "the gap stops growing at a second");
    }

    @Test
    void failedProbesDoNotHoldThePenaltyPastFailTimeout() {
        PassiveFailures p = new PassiveFailures();
        long shortTimeout = TimeUnit.MILLISECONDS.toNanos(3);
        assertTrue(p.recordFailure(ms(0), 1, shortTimeout));
        assertTrue(p.tryProbe(ms(0)));
        assertFalse(p.recordFailure(ms(0), 1, shortTimeout));
        assertTrue(p.tryProbe(ms(1)));
        assertFalse(p.recordFailure(ms(1), 1, shortTimeout));
        assertFalse(p.tryProbe(ms(2)));
        assertFalse(p.isDown(ms(3)));
        assertTrue(p.tryProbe(ms(3)), "the penalty is over: every request goes");
    }

    @Test
    void aProbeThatSucceedsEndsThePenaltyAndTheNextPenaltyProbesAtOnceAgain() {
        PassiveFailures p = new PassiveFailures();
        assertTrue(p.recordFailure(ms(0), 1, TIMEOUT));
        assertTrue(p.tryProbe(ms(0)));
        assertTrue(p.tryProbe(ms(1)));
        p.probeSucceeded();
        assertFalse(p.isDown(ms(2)));
        assertTrue(p.recordFailure(ms(2), 1, TIMEOUT));
        assertTrue(p.tryProbe(ms(2)), "a new penalty's first probe goes at once");
        assertFalse(p.tryProbe(ms(3) - 1), "after it, the first gap again");
        assertTrue(p.tryProbe(ms(3)));
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
