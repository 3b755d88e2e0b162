package dev.tandem.cluster.vip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When a held VIP is announced, on a clock the test moves. */
class AnnouncementScheduleTest {

    private static final long MS = 1_000_000L;
    private static final long NEVER = Long.MAX_VALUE;

    private final AnnouncementSchedule s = new AnnouncementSchedule(Duration.ofSeconds(1), Duration.ofSeconds(5),
            Duration.ofMillis(300));

    /** Runs the round due at {@link AnnouncementSchedule#nextAt()}, which fails; returns when it ran. */
    private long failNext() {
        long at = s.nextAt();
        assertTrue(s.take(at));
        s.failed(at, false);
        return at;
    }

    @Test
    void aTakeoverAnnouncesAtOnceThenOnceMoreAfterTheSecondRoundDelay() {
        s.start(1000 * MS);
        assertFalse(s.announced());
        assertEquals(1000 * MS, s.nextAt());
        assertFalse(s.take(999 * MS), "not before it is due");
        assertTrue(s.take(1000 * MS));
        assertFalse(s.take(1000 * MS), "taken once");
        s.succeeded(1010 * MS);
        assertTrue(s.announced());
        assertEquals(6010 * MS, s.nextAt());
        assertTrue(s.take(6010 * MS));
        s.succeeded(6020 * MS);
        assertEquals(NEVER, s.nextAt(), "two rounds, then none until asked");
    }

    /** A round of three announcements a second apart, as the controller runs it. */
    private final AnnouncementSchedule rounds = new AnnouncementSchedule(Duration.ofSeconds(1), Duration.ofSeconds(5),
            Duration.ofMillis(300), 3, Duration.ofSeconds(1));

    /** Takes and sends every announcement due up to {@code until}, each taking {@code sendMillis}; returns when. */
    private static List<Long> sendUntil(AnnouncementSchedule r, long until, long sendMillis) {
        List<Long> sent = new ArrayList<>();
        while (r.nextAt() != NEVER && r.nextAt() <= until) {
            long at = r.nextAt();
            assertTrue(r.take(at));
            sent.add(at / MS);
            r.succeeded(at + sendMillis * MS);
        }
        return sent;
    }

    @Test
    void eachAnnouncementOfARoundIsTakenWhenDueSoThatAStoppedNodeSendsNoMore() {
        // The node sends each one itself: three a second apart (counted from the start of the one before, not
        // from its end), and the second round 5 s after the first went out, three again. Between two, nothing is
        // left running that announces: a node stopped after the first (SIGSTOP) sends none of the others, where
        // arping's own round (-c 3) went on and drew the clients back from the peer that had taken over.
        rounds.start(0);
        assertEquals(List.of(0L, 1000L, 2000L, 5150L, 6150L, 7150L), sendUntil(rounds, 60_000 * MS, 150));
        assertTrue(rounds.announced());
        assertEquals(NEVER, rounds.nextAt(), "two rounds, then none until asked");
    }

    @Test
    void aRoundAskedForWhileOneIsUnderWayStartsOver() {
        rounds.start(0);
        assertEquals(List.of(0L), sendUntil(rounds, 500 * MS, 10));
        rounds.asked(700 * MS); // a peer's claim, a refresh
        assertEquals(List.of(700L, 1700L, 2700L), sendUntil(rounds, 3000 * MS, 10));
        assertEquals(5010 * MS, rounds.nextAt(), "the takeover's second round still follows its first");
    }

    @Test
    void aRepeatThatFailsIsRetriedFastAndTheRoundStartsOver() {
        rounds.start(0);
        sendUntil(rounds, 500 * MS, 10);
        assertTrue(rounds.take(1000 * MS));
        rounds.failed(1005 * MS, false);
        assertTrue(rounds.announced(), "the round's first one went out: the neighbours were told");
        assertEquals(1025 * MS, rounds.nextAt(), "retried 20 ms after the failure");
        assertEquals(List.of(1025L, 2025L, 3025L), sendUntil(rounds, 4000 * MS, 10));
        assertTrue(rounds.announced());
    }

    @Test
    void aRepeatThatFailsForTheLinkWaitsForTheLinkAndIsNoLongerAnnounced() {
        rounds.start(0);
        sendUntil(rounds, 500 * MS, 10);
        assertTrue(rounds.take(1000 * MS));
        rounds.failed(1005 * MS, true);
        assertFalse(rounds.announced(), "the neighbours may be told of a peer while the link is down");
        assertEquals(NEVER, rounds.nextAt());
    }

    @Test
    void nothingOfARoundIsLeftOnceTheAddressIsLetGoOrTheLinkIsLost() {
        rounds.start(0);
        sendUntil(rounds, 500 * MS, 10);
        rounds.stop();
        assertEquals(NEVER, rounds.nextAt());
        rounds.start(10_000 * MS);
        sendUntil(rounds, 10_500 * MS, 10);
        rounds.linkLost(10_600 * MS);
        assertEquals(NEVER, rounds.nextAt(), "no repeat while the link is down");
        rounds.linkBack(12_000 * MS);
        assertEquals(List.of(12_300L, 13_300L, 14_300L), sendUntil(rounds, 15_000 * MS, 10),
                "a whole round once the link is back");
    }

    @Test
    void aFailedRoundIsRetriedFastThenEverySecondUntilOneGoesOut() {
        s.start(0);
        List<Long> tries = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            tries.add(failNext() / MS);
            assertFalse(s.announced());
        }
        // each retry counted from the failure before it: 20, 50, 100, 200, 500 ms, then every second
        assertEquals(List.of(0L, 20L, 70L, 170L, 370L, 870L, 1870L, 2870L), tries);
        long at = s.nextAt();
        assertTrue(s.take(at));
        s.succeeded(at);
        assertTrue(s.announced());
        assertEquals(at + 5000 * MS, s.nextAt(), "the retries end; the second round follows the first that went out");
        // and a later failure starts again from the fast retries
        assertTrue(s.take(s.nextAt()));
        s.failed(at + 5000 * MS, false);
        assertEquals(at + 5020 * MS, s.nextAt());
    }

    @Test
    void aMasterWhoseLinkWentHasNotAnnouncedUntilARoundGoesOutAfterTheLinkIsBack() {
        s.start(0);
        assertTrue(s.take(0));
        s.succeeded(0);
        s.linkLost(1000 * MS);
        assertFalse(s.announced(), "the neighbours may have been told of a peer meanwhile");
        assertEquals(NEVER, s.nextAt(), "no round into a dead link, not even the second one");
        s.asked(1500 * MS);
        assertEquals(NEVER, s.nextAt(), "a refresh waits for the link");
        s.linkBack(6000 * MS);
        assertFalse(s.announced(), "the link back is no announcement");
        assertEquals(6300 * MS, s.nextAt(), "after the settle time");
        assertTrue(s.take(6300 * MS));
        s.succeeded(6310 * MS);
        assertTrue(s.announced());
        assertEquals(11_310 * MS, s.nextAt(), "and a second round, as at a takeover");
    }

    @Test
    void aPeersClaimAfterTheLinkIsBackIsAnsweredAtOnceAndTheSettleRoundIsNotRepeated() {
        s.start(0);
        assertTrue(s.take(0));
        s.succeeded(0);
        s.linkLost(1000 * MS);
        s.linkBack(2000 * MS);
        s.asked(2040 * MS);
        assertEquals(2040 * MS, s.nextAt());
        assertTrue(s.take(2040 * MS));
        s.succeeded(2050 * MS);
        assertEquals(7050 * MS, s.nextAt(), "only the second round is left");
    }

    @Test
    void aRoundThatFailsForWantOfALinkWaitsForTheLink() {
        s.start(0);
        assertTrue(s.take(0));
        s.failed(0, true);
        assertTrue(s.linkDown());
        assertEquals(NEVER, s.nextAt());
        s.linkBack(100 * MS);
        assertEquals(400 * MS, s.nextAt());
        // a round after the link is back that fails all the same is retried fast
        assertTrue(s.take(400 * MS));
        s.failed(400 * MS, false);
        assertEquals(420 * MS, s.nextAt());
    }

    @Test
    void aFailureAfterARoundWentOutTakesTheAnnouncedBackUntilTheRetryGoesOut() {
        s.start(0);
        assertTrue(s.take(0));
        s.succeeded(0);
        s.asked(200 * MS);
        assertTrue(s.take(200 * MS));
        s.failed(200 * MS, false);
        assertFalse(s.announced());
        assertTrue(s.take(220 * MS));
        s.succeeded(220 * MS);
        assertTrue(s.announced());
    }

    @Test
    void askedWhileNotHeldOrAfterTheStopDoesNothing() {
        s.asked(0);
        assertEquals(NEVER, s.nextAt());
        assertFalse(s.take(0));
        s.start(0);
        s.stop();
        assertEquals(NEVER, s.nextAt());
        assertFalse(s.take(0));
        s.succeeded(0);
        assertFalse(s.announced(), "a round that ends after the stop tells nothing");
        s.linkLost(0);
        s.linkBack(0);
        assertEquals(NEVER, s.nextAt());
    }

    @Test
    void theFastRetriesNeverWaitLongerThanTheCap() {
        AnnouncementSchedule quick = new AnnouncementSchedule(Duration.ofMillis(50), Duration.ofSeconds(5),
                Duration.ofMillis(300));
        quick.start(0);
        long at = 0;
        for (long wait : new long[] {20, 50, 50, 50}) {
            assertTrue(quick.take(at));
            quick.failed(at, false);
            assertEquals(at + wait * MS, quick.nextAt());
            at = quick.nextAt();
        }
    }

    @Test
    void aPeersClaimEndsAnnouncedUntilARoundAfterItGoesOut() {
        s.start(0);
        assertTrue(s.take(0));
        s.succeeded(1 * MS);
        assertTrue(s.take(5_001 * MS));
        s.succeeded(5_002 * MS);
        assertTrue(s.announced());
        assertEquals(NEVER, s.nextAt());
        s.claimed(60_000 * MS);
        assertFalse(s.announced(), "the neighbours may have been drawn to the claimer since");
        assertEquals(60_000 * MS, s.nextAt(), "a round at once");
        assertTrue(s.take(60_000 * MS));
        s.succeeded(60_001 * MS);
        assertTrue(s.announced());
        s.asked(70_000 * MS);
        assertTrue(s.announced(), "a refresh ends nothing");
    }
}
