package dev.tandem.cluster.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DnsRetryTest {

    private static final long MS = 1_000_000L;

    @Test
    void aFailureWaitsDoublingToTheMaximumAndASuccessResets() {
        DnsRetry r = new DnsRetry();
        assertTrue(r.mayDecide(0));
        assertEquals(Duration.ofMillis(200), r.failed(0));
        assertFalse(r.mayDecide(199 * MS));
        assertTrue(r.waiting());
        assertTrue(r.mayDecide(200 * MS));
        assertFalse(r.waiting(), "the wait is over");
        assertEquals(Duration.ofMillis(400), r.failed(200 * MS));
        for (int i = 0; i < 10; i++) {
            r.failed(0);
        }
        assertEquals(DnsRetry.MAX, r.failed(0));
        assertEquals(13, r.failures());
        r.succeeded();
        assertEquals(0, r.failures());
        assertTrue(r.mayDecide(0));
        assertEquals(DnsRetry.FIRST, r.failed(0));
    }

    @Test
    void aRecordChangedSinceTheReadIsDecidedAgainAtOnceNotBackedOff() {
        DnsRetry r = new DnsRetry();
        // Another node decided on the same read and wrote first: decide again now, on a fresh read.
        assertEquals(Duration.ZERO, r.changed(0));
        assertTrue(r.mayDecide(0));
        assertEquals(0, r.failures(), "not an error");
        // Even after failures: the record changing is news, and the backoff does not delay the new decision.
        r.failed(0);
        r.failed(0);
        assertEquals(Duration.ZERO, r.changed(MS));
        assertTrue(r.mayDecide(MS));
    }

    @Test
    void aRecordThatChangesUnderEveryDecisionWaitsAsAFailure() {
        DnsRetry r = new DnsRetry();
        for (int i = 0; i < DnsRetry.CHANGED_AT_ONCE; i++) {
            assertEquals(Duration.ZERO, r.changed(0));
        }
        assertEquals(DnsRetry.FIRST, r.changed(0), "a writer that never stops is not chased");
        assertEquals(1, r.failures());
        assertFalse(r.mayDecide(DnsRetry.FIRST.toNanos() - 1));
        assertTrue(r.mayDecide(DnsRetry.FIRST.toNanos()));
        // A decision that finds nothing to change ends the race: the next refusal is decided again at once.
        r.settled();
        assertEquals(Duration.ZERO, r.changed(DnsRetry.FIRST.toNanos()));
        // So does a success.
        for (int i = 0; i < DnsRetry.CHANGED_AT_ONCE; i++) {
            r.changed(0);
        }
        r.succeeded();
        assertEquals(Duration.ZERO, r.changed(0));
    }
}
