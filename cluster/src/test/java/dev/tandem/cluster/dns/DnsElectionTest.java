package dev.tandem.cluster.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.DnsConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DnsElectionTest {

    private static final long S = 1_000_000_000L;
    private static final Duration HOLD = Duration.ofSeconds(30);
    private static final Duration LOST = Duration.ofMillis(300);
    private static final DnsConfig.Record WWW = new DnsConfig.Record("www.example.com.", Duration.ofSeconds(30),
            DnsConfig.Mode.FAILOVER, List.of("lb1", "lb2"));
    private static final DnsConfig.Record ALL = new DnsConfig.Record("all.example.com.", Duration.ofSeconds(30),
            DnsConfig.Mode.MULTI, List.of("lb1", "lb2"));

    private static DnsElection up(String self, DnsConfig.Record r, long now) {
        DnsElection e = new DnsElection(self, r, HOLD, LOST);
        // Every node's value in the record is Tandem's unless a test says otherwise.
        e.added(Set.copyOf(r.prefer()));
        e.health(true, now);
        e.witnessMajority(true, now);
        return e;
    }

    private static Optional<Set<String>> added(DnsElection e, long now) {
        return e.decide(now).map(DnsElection.Change::add);
    }

    @Test
    void nothingBeforeTheRecordIsRead() {
        DnsElection b = up("lb2", WWW, 0);
        assertEquals(Optional.empty(), b.decide(100 * S));
    }

    @Test
    void theNodeRefusedOnARecordTakenSinceDecidesAgainOnTheFreshRead() {
        // Failover: lb2 last heard lb1 say its health failed, lb1 is healthy again; both decide on an empty read.
        DnsElection a = up("lb1", WWW, 0);
        DnsElection b = up("lb2", WWW, 0);
        a.heard("lb2", true, 0);
        b.heard("lb1", false, 0);
        a.published(Set.of());
        b.published(Set.of());
        assertEquals(Optional.of(Set.of("lb1")), added(a, S / 10));
        assertEquals(Optional.of(Set.of("lb2")), added(b, S / 10));
        // lb1 wrote first; lb2's update is refused and lb2 reads again, having heard lb1 healthy since.
        b.heard("lb1", true, S / 10);
        b.published(Set.of("lb1"));
        assertEquals(Optional.empty(), b.decide(S / 5), "lb1 holds it, up: nothing");
        // Had lb2 written first: lb1, refused, reads lb2 holding it, and moves back only after the hold-down.
        a.published(Set.of("lb2"));
        assertEquals(Optional.empty(), a.decide(S / 5));
        a.heard("lb2", true, HOLD.toNanos());
        assertEquals(Optional.of(Set.of("lb1")), added(a, HOLD.toNanos()));
        // Multi: the refused node adds itself beside the one that wrote first.
        DnsElection m = up("lb2", ALL, 0);
        m.heard("lb1", true, 0);
        m.published(Set.of("lb1"));
        DnsElection.Change c = m.decide(HOLD.toNanos()).orElseThrow();
        assertEquals(Set.of("lb2"), c.add());
        assertEquals(Set.of(), c.remove());
    }

    @Test
    void backupTakesOverOnlyWhenTheHolderIsLostAndWitnessesConfirm() {
        DnsElection b = up("lb2", WWW, 0);
        b.published(Set.of("lb1"));
        b.heard("lb1", true, 0);
        assertEquals(Optional.empty(), b.decide(S / 10), "holder heard and healthy");
        // Lost, not confirmed: unknown, nothing.
        assertEquals(DnsElection.PeerState.UNKNOWN, b.state("lb1", S));
        assertEquals(Optional.empty(), b.decide(S));
        b.confirmedUnreachable("lb1", true);
        DnsElection.Change c = b.decide(S).orElseThrow();
        assertEquals(Set.of("lb2"), c.add());
        assertEquals(Set.of("lb1"), c.remove());
        assertTrue(c.reason().contains("lb1 down"), c.reason());
    }

    @Test
    void justStartedAPeerNotYetHeardIsUnknownNotDown() {
        DnsElection b = up("lb2", WWW, 0);
        b.published(Set.of());
        b.confirmedUnreachable("lb1", true);
        assertEquals(Optional.empty(), b.decide(S / 10), "lb1's first heartbeat may be on its way");
        assertEquals(Optional.of(Set.of("lb2")), added(b, S), "still not heard after lostAfter: down");
    }

    @Test
    void aNodeReachingNoWitnessMajorityDoesNothing() {
        DnsElection b = up("lb2", WWW, 0);
        b.published(Set.of("lb1"));
        b.heard("lb1", true, 0);
        b.confirmedUnreachable("lb1", true);
        b.witnessMajority(false, S);
        assertEquals(Optional.empty(), b.decide(2 * S), "its own uplink may be what failed");
    }

    @Test
    void aBackupWhoseOwnUplinkComesBackListensForLostAfterBeforeItDecides() {
        DnsElection b = up("lb2", WWW, 0);
        b.published(Set.of("lb1"));
        b.heard("lb1", true, S);
        // lb2's uplink fails just after lb1's last heartbeat: no witness answers, nor does lb1.
        b.witnessMajority(false, S + S / 10);
        assertEquals(Optional.empty(), b.decide(2 * S));
        // It comes back at 4 s: a probe round begun after lb1 was missed answers (news, by its start), lb1's
        // first heartbeat since is 100 ms or more away.
        b.witnessMajority(true, 4 * S);
        b.confirmedUnreachable("lb1", true);
        assertEquals(DnsElection.PeerState.UNKNOWN, b.state("lb1", 4 * S + S / 200));
        assertEquals(Optional.empty(), b.decide(4 * S + S / 200), "lb1's silence was lb2's own uplink's");
        assertEquals(Optional.empty(), b.decide(4 * S + LOST.toNanos() - 1));
        // lb1 heard again: it stays with lb1.
        b.heard("lb1", true, 4 * S + S / 4);
        b.confirmedUnreachable("lb1", false);
        assertEquals(Optional.empty(), b.decide(4 * S + LOST.toNanos()));
        // Had lb1 stayed silent for lostAfter since lb2 was back, witnesses confirming: it moves then, not before.
        DnsElection c = up("lb2", WWW, 0);
        c.published(Set.of("lb1"));
        c.heard("lb1", true, S);
        c.witnessMajority(false, S + S / 10);
        c.witnessMajority(true, 4 * S);
        c.confirmedUnreachable("lb1", true);
        assertEquals(Optional.empty(), c.decide(4 * S + LOST.toNanos() - 1));
        assertEquals(Optional.of(Set.of("lb2")), added(c, 4 * S + LOST.toNanos()));
    }

    @Test
    void aStallOfThisNodeIsNotThePeersSilence() {
        DnsElection b = up("lb2", WWW, 0);
        b.published(Set.of("lb1"));
        b.heard("lb1", true, S);
        b.confirmedUnreachable("lb1", true);
        // lb2's loop stalled from 1 s to 3 s: lb1's heartbeats of that time are in its socket, not read yet.
        b.deafUntil(3 * S);
        assertEquals(Optional.empty(), b.decide(3 * S), "not listened to for lostAfter");
        b.heard("lb1", true, 3 * S + S / 1000);
        b.confirmedUnreachable("lb1", false);
        assertEquals(Optional.empty(), b.decide(3 * S + LOST.toNanos()));
        // A stall that ends with lb1 still silent for lostAfter after it: lb1 is down.
        DnsElection c = up("lb2", WWW, 0);
        c.published(Set.of("lb1"));
        c.heard("lb1", true, S);
        c.confirmedUnreachable("lb1", true);
        c.deafUntil(3 * S);
        assertEquals(Optional.of(Set.of("lb2")), added(c, 3 * S + LOST.toNanos()));
        // An earlier end than one already known changes nothing.
        c.deafUntil(S);
        assertEquals(Optional.of(Set.of("lb2")), added(c, 3 * S + LOST.toNanos()));
    }

    @Test
    void aHolderThatSaysItIsUnhealthyIsLeftAtOnce() {
        DnsElection b = up("lb2", WWW, 0);
        b.published(Set.of("lb1"));
        b.heard("lb1", false, S);
        assertEquals(Optional.of(Set.of("lb2")), added(b, S));
    }

    @Test
    void anUnhealthyBackupDoesNotTakeOver() {
        DnsElection b = up("lb2", WWW, 0);
        b.published(Set.of("lb1"));
        b.confirmedUnreachable("lb1", true);
        b.health(false, S);
        assertEquals(Optional.empty(), b.decide(2 * S));
    }

    @Test
    void thePrimaryMovesBackOnlyAfterTheHoldDown() {
        DnsElection a = up("lb1", WWW, 10 * S);
        a.published(Set.of("lb2"));
        a.heard("lb2", true, 10 * S);
        a.heard("lb2", true, 39 * S);
        assertEquals(Optional.empty(), a.decide(39 * S), "up 29 s of 30");
        a.heard("lb2", true, 40 * S);
        DnsElection.Change c = a.decide(40 * S).orElseThrow();
        assertEquals(Set.of("lb1"), c.add());
        assertEquals(Set.of("lb2"), c.remove());
        // A health blip restarts the hold-down.
        DnsElection again = up("lb1", WWW, 0);
        again.published(Set.of("lb2"));
        again.health(false, 20 * S);
        again.health(true, 21 * S);
        again.heard("lb2", true, 40 * S);
        assertEquals(Optional.empty(), again.decide(40 * S));
        again.heard("lb2", true, 51 * S);
        assertTrue(again.decide(51 * S).isPresent());
    }

    @Test
    void theBackupNeverTakesFromAPreferredHolderThatIsUp() {
        DnsElection b = up("lb2", WWW, 0);
        b.published(Set.of("lb1"));
        b.heard("lb1", true, 100 * S);
        assertEquals(Optional.empty(), b.decide(100 * S));
    }

    @Test
    void withTheRecordEmptyOfNodesTheMostPreferredUpNodeWritesItself() {
        DnsElection b = up("lb2", WWW, 0);
        b.published(Set.of());
        b.heard("lb1", true, 0);
        assertEquals(Optional.empty(), b.decide(S / 10), "lb1 is up and before lb2: lb1 writes");
        DnsElection a = up("lb1", WWW, 0);
        a.published(Set.of());
        assertEquals(Optional.of(Set.of("lb1")), added(a, 0));
        assertEquals(Set.of("lb2"), a.decide(0).orElseThrow().remove(), "whatever the last read said");
    }

    @Test
    void writtenOutWhileUpItWaitsAHoldDownBeforeWritingItselfBack() {
        DnsElection a = up("lb1", WWW, 0);
        a.published(Set.of("lb1"));
        assertEquals(Optional.empty(), a.decide(S));
        // A partition: lb2 no longer hears lb1 and took the record; lb1 no longer hears lb2 either.
        a.published(Set.of("lb2"));
        a.confirmedUnreachable("lb2", true);
        assertEquals(Optional.empty(), a.decide(2 * S), "no tug of war");
        assertEquals(Optional.empty(), a.decide(31 * S));
        assertEquals(Optional.of(Set.of("lb1")), added(a, 32 * S), "once per hold-down at most");
    }

    @Test
    void afterThePrimaryMovedBackTheBackupTakesOverAtOnceWhenItFailsAgain() {
        DnsElection b = up("lb2", WWW, 0);
        b.published(Set.of("lb2"));
        b.heard("lb1", true, 0);
        assertEquals(Optional.empty(), b.decide(S / 10));
        // lb1 came back, was up for the hold-down and took the record back: lb2 hears it up.
        b.heard("lb1", true, 40 * S);
        b.published(Set.of("lb1"));
        assertEquals(Optional.empty(), b.decide(40 * S));
        // lb1 dies again a few seconds later: lb2 loses it, the witnesses confirm, and lb2 takes the record now,
        // not a hold-down later.
        b.confirmedUnreachable("lb1", true);
        assertEquals(Optional.of(Set.of("lb2")), added(b, 43 * S));
    }

    @Test
    void aNodeNotInPreferNeverWrites() {
        DnsElection w = up("witness", WWW, 0);
        w.published(Set.of());
        assertEquals(Optional.empty(), w.decide(100 * S));
    }

    @Test
    void multiAddsAfterHoldDownAndRemovesTheDownButNeverEmpties() {
        DnsElection a = up("lb1", ALL, 0);
        a.published(Set.of("lb2"));
        a.heard("lb2", true, 0);
        assertEquals(Optional.empty(), a.decide(29 * S));
        a.heard("lb2", true, 30 * S);
        assertEquals(Optional.of(Set.of("lb1")), added(a, 30 * S));
        a.published(Set.of("lb1", "lb2"));
        a.confirmedUnreachable("lb2", true);
        DnsElection.Change c = a.decide(31 * S).orElseThrow();
        assertEquals(Set.of(), c.add());
        assertEquals(Set.of("lb2"), c.remove());
        // Alone in the record and unhealthy: kept, an empty set answers nobody.
        a.published(Set.of("lb1"));
        a.health(false, 32 * S);
        a.witnessMajority(true, 32 * S);
        assertEquals(Optional.empty(), a.decide(32 * S));
        // With a peer beside it, it takes itself out.
        a.published(Set.of("lb1", "lb2"));
        a.heard("lb2", true, 33 * S);
        assertEquals(Set.of("lb1"), a.decide(33 * S).orElseThrow().remove());
    }

    @Test
    void aValueSomeoneElseWroteForTheHolderIsNeverRemovedAndNotFoughtOver() {
        // lb1's address is in the record by hand: Tandem did not add it.
        DnsElection b = up("lb2", WWW, 0);
        b.added(Set.of("lb2"));
        b.published(Set.of("lb1"));
        b.heard("lb1", true, 0);
        b.confirmedUnreachable("lb1", true);
        DnsElection.Change c = b.decide(S).orElseThrow();
        assertEquals(Set.of("lb2"), c.add());
        assertEquals(Set.of(), c.remove(), "lb1's value is not Tandem's");
        // Both in now: the holder is still lb1 and down, but there is nothing left that lb2 may do.
        b.published(Set.of("lb1", "lb2"));
        assertEquals(Optional.empty(), b.decide(2 * S));
        assertEquals(Optional.empty(), b.decide(100 * S));
    }

    @Test
    void aPrimaryWrittenInByHandTakesTheRecordBackByRemovingOnlyTandemsValues() {
        DnsElection a = up("lb1", WWW, 0);
        a.added(Set.of("lb2"));
        a.published(Set.of("lb1", "lb2"));
        a.heard("lb2", true, 29 * S);
        assertEquals(Optional.empty(), a.decide(29 * S), "up 29 s of 30");
        a.heard("lb2", true, 30 * S);
        DnsElection.Change c = a.decide(30 * S).orElseThrow();
        assertEquals(Set.of(), c.add(), "its own value is there already");
        assertEquals(Set.of("lb2"), c.remove());
        // Alone in the record, by a value it did not write: nothing more to do, and no re-adding.
        a.published(Set.of("lb1"));
        a.added(Set.of());
        assertEquals(Optional.empty(), a.decide(31 * S));
        assertEquals(Optional.empty(), a.decide(100 * S));
    }

    @Test
    void multiLeavesAValueSomeoneElseWroteForADownPeer() {
        DnsElection a = up("lb1", ALL, 0);
        a.added(Set.of("lb1"));
        a.published(Set.of("lb1", "lb2"));
        a.heard("lb2", true, 0);
        a.confirmedUnreachable("lb2", true);
        assertEquals(Optional.empty(), a.decide(S));
        // Nor does an unhealthy node take out its own value when it did not write it.
        a.added(Set.of("lb2"));
        a.heard("lb2", true, 2 * S);
        a.health(false, 2 * S);
        a.witnessMajority(true, 2 * S);
        assertEquals(Optional.empty(), a.decide(2 * S));
    }

    @Test
    void witnessTally() {
        Set<String> others = Set.of("lb1", "w1");
        // lb2 deciding about lb1, with one Tandem witness w1 and two probes.
        assertTrue(WitnessTally.confirmsUnreachable("lb1", others, Map.of("w1", Set.of("lb2")), 2, 2));
        assertFalse(WitnessTally.confirmsUnreachable("lb1", others, Map.of("w1", Set.of("lb1", "lb2")), 2, 2),
                "a witness node that hears the holder vetoes");
        assertFalse(WitnessTally.confirmsUnreachable("lb1", others, Map.of(), 1, 2), "1 of 3");
        assertTrue(WitnessTally.confirmsUnreachable("lb1", others, Map.of(), 2, 2), "2 of 3");
        // Two nodes, no probe: nobody to ask, never confirmed.
        assertFalse(WitnessTally.confirmsUnreachable("lb1", Set.of("lb1"), Map.of(), 0, 0));
        // Split 1:1: no majority.
        assertFalse(WitnessTally.confirmsUnreachable("lb1", Set.of("lb1"), Map.of(), 1, 2));
        // Split 1:1 across kinds: the witness node confirms, the one probe does not answer; and 2:2.
        assertFalse(WitnessTally.confirmsUnreachable("lb1", others, Map.of("w1", Set.of("lb2")), 0, 1));
        assertFalse(WitnessTally.confirmsUnreachable("lb1", others, Map.of("w1", Set.of("lb2")), 1, 3));
        assertTrue(WitnessTally.confirmsUnreachable("lb1", others, Map.of("w1", Set.of("lb2")), 2, 3), "3 of 4");
        // The backup whose peer is cut off, reaching one probe of two: 1 of 3, it moves nothing.
        assertFalse(WitnessTally.majorityReached(0, 1, 1, 2));
        assertTrue(WitnessTally.majorityReached(1, 1, 1, 2), "its peer heard: 2 of 3");
        assertTrue(WitnessTally.majorityReached(0, 1, 2, 2));
        assertFalse(WitnessTally.majorityReached(0, 1, 1, 2));
        assertFalse(WitnessTally.majorityReached(0, 0, 0, 0));
    }

    @Test
    void aWitnessThatStalledStillVouchesForAPeerItHeardBeforeUntilItHasListenedForLostAfter() {
        long lost = 750_000_000L;
        // w heard lb1 at 10 s, then its own loop stalled until 11.5 s: lb1's heartbeats of that time are unread.
        assertTrue(WitnessTally.vouches(10 * S, 0, 10 * S + lost - 1, lost), "heard within lostAfter");
        assertFalse(WitnessTally.vouches(10 * S, 0, 11 * S, lost), "not heard for lostAfter while listening");
        assertTrue(WitnessTally.vouches(10 * S, 11 * S + S / 2, 11 * S + S / 2, lost), "its stall just over");
        assertTrue(WitnessTally.vouches(10 * S, 11 * S + S / 2, 11 * S + S / 2 + lost - 1, lost));
        assertFalse(WitnessTally.vouches(10 * S, 11 * S + S / 2, 11 * S + S / 2 + lost, lost),
                "listened for lostAfter since, still nothing: lost");
        assertFalse(WitnessTally.vouches(null, 11 * S, 11 * S, lost), "never heard: never vouched for");
        // The vouch is a veto: w listing lb1 keeps lb2 from moving the record.
        assertFalse(WitnessTally.confirmsUnreachable("lb1", Set.of("lb1", "w"), Map.of("w", Set.of("lb1")), 2, 2));
    }

    @Test
    void onlyAProbeRoundBegunAfterTheHolderWasMissedConfirms() {
        long lost = 750_000_000L;
        // Last advert at 10 s; this node's uplink fails at 10.1 s. A round begun at 10.05 s had its answers
        // before the cut: it must not confirm the holder's loss, nor may any round begun before 10.75 s.
        assertEquals(0, WitnessTally.probeNews(2, 10 * S + S / 20, 10 * S, lost));
        assertEquals(0, WitnessTally.probeNews(2, 10 * S + lost, 10 * S, lost));
        assertEquals(2, WitnessTally.probeNews(2, 10 * S + lost + 1, 10 * S, lost));
        assertEquals(2, WitnessTally.probeNews(2, 0, null, lost), "never heard: any round is news");
    }
}
