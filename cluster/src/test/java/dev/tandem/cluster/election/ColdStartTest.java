package dev.tandem.cluster.election;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.wire.Advert;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Two nodes started cold together, on one clock the test moves, each advert delivered to the other at once: the
 * preferred one held at start by its gate (the mirror's first sync) for longer than the other.
 */
class ColdStartTest {

    private static final long MS = 1_000_000L;
    private static final long ADVERT = 100 * MS;

    /** One node: its election and every state it went through, with when. */
    private final class Node {
        final String name;
        final VipElection election;
        final List<String> moves = new ArrayList<>();
        final List<String> waits = new ArrayList<>();
        Node peer;
        long seq;

        Node(String name, int priority) {
            this.name = name;
            this.election = new VipElection(new ElectionSettings("10.0.0.10", name, priority, Duration.ofMillis(100),
                    true, Duration.ZERO), p -> false, new VipElection.Output() {
                        @Override
                        public void send(int p, int flags) {
                            peer.election.onAdvert(now, name, new Advert(name, "10.0.0.10", p, 100, 1, ++seq, flags));
                        }

                        @Override
                        public void transition(VipState from, VipState to, Reason reason) {
                            moves.add(now / MS + " " + to + " " + reason.label());
                        }

                        @Override
                        public void peerWaits(String peer, int priority, boolean givenUp) {
                            waits.add(now / MS + " " + peer + (givenUp ? " given up" : " waits"));
                        }
                    });
        }

        boolean everMaster() {
            return moves.stream().anyMatch(m -> m.contains("MASTER"));
        }
    }

    private long now;

    /** Runs both elections' timers until {@code end}, opening n1's gate at {@code gateOpens}. */
    private void run(Node n1, Node n2, long gateOpens, long end) {
        boolean opened = false;
        while (true) {
            long next = Math.min(n1.election.nextDeadline(), n2.election.nextDeadline());
            if (!opened && gateOpens - next <= 0) {
                now = gateOpens;
                n1.election.start(now);
                opened = true;
                continue;
            }
            if (next > end) {
                now = end;
                return;
            }
            now = next;
            if (n1.election.nextDeadline() <= now) {
                n1.election.tick(now);
            }
            if (n2.election.nextDeadline() <= now) {
                n2.election.tick(now);
            }
        }
    }

    private Node[] pair() {
        Node n1 = new Node("n1", 250);
        Node n2 = new Node("n2", 200);
        n1.peer = n2;
        n2.peer = n1;
        return new Node[] {n1, n2};
    }

    @Test
    void aLessPreferredPeerTakesNoVipWhileThePreferredOneWaitsForItsFirstSync() {
        Node[] n = pair();
        now = 0;
        n[0].election.awaitGate(0);
        n[1].election.start(0);
        // n1's first sync takes 1.5 s; n2 had none to wait for (or its own was over at once)
        run(n[0], n[1], 1500 * MS, 5000 * MS);
        assertFalse(n[1].everMaster(), "n2 took the VIP only to give it back: " + n[1].moves);
        assertEquals(VipState.MASTER, n[0].election.state(), "n1: " + n[0].moves);
        assertEquals(VipState.BACKUP, n[1].election.state());
        assertEquals(List.of("100 n1 waits"), n[1].waits);
        assertEquals("1500 BACKUP startup", n[0].moves.get(0));
        assertTrue(n[0].moves.get(1).endsWith("MASTER master_down"), n[0].moves.toString());
    }

    @Test
    void aGateOpeningJustAfterThePeersTimerStillLeavesTheVipToThePreferredNode() {
        // The gate opens at each phase of n2's timer: within one advert interval after any waiting advert.
        for (long open = 0; open < ADVERT; open += 7 * MS) {
            Node[] n = pair();
            now = 0;
            n[0].election.awaitGate(0);
            n[1].election.start(0);
            run(n[0], n[1], 300 * MS + open, 3000 * MS);
            assertFalse(n[1].everMaster(), "gate open at " + (300 + open / MS) + " ms: " + n[1].moves);
            assertEquals(VipState.MASTER, n[0].election.state());
        }
    }

    @Test
    void bothWaitingTheLessPreferredOneWhoseGateOpensFirstStillLeavesTheVipToThePreferredOne() {
        Node[] n = pair();
        now = 0;
        n[0].election.awaitGate(0);
        n[1].election.awaitGate(0);
        // n2's first sync is over at 250 ms, n1's (its config still being put in force) at 900 ms
        run(n[1], n[0], 250 * MS, 250 * MS);
        assertEquals(VipState.BACKUP, n[1].election.state());
        run(n[0], n[1], 900 * MS, 4000 * MS);
        assertFalse(n[1].everMaster(), "n2: " + n[1].moves);
        assertEquals(VipState.MASTER, n[0].election.state(), "n1: " + n[0].moves);
        assertTrue(n[0].waits.isEmpty(), "n1 takes no notice of a less preferred peer's wait: " + n[0].waits);
    }

    @Test
    void aPeerStuckInItsGateKeepsTheVipUnheldForNoLongerThanTheLimit() {
        Node[] n = pair();
        n[1].election.limitPeerWait(Duration.ofSeconds(2));
        now = 0;
        n[0].election.awaitGate(0);
        n[1].election.start(0);
        run(n[0], n[1], Long.MAX_VALUE / 2, 10_000 * MS);
        assertEquals(VipState.MASTER, n[1].election.state(), "n2: " + n[1].moves);
        assertEquals(List.of("100 n1 waits", "2200 n1 given up"), n[1].waits);
        long took = Long.parseLong(n[1].moves.get(n[1].moves.size() - 1).split(" ")[0]);
        assertTrue(took <= 2100 + 300 + 100, "n2 master at " + took + " ms");
        assertTrue(n[0].election.state() == VipState.INIT, "n1 still waits");
    }

    @Test
    void aNodeThatWaitsForItsGateLeavesARunningMasterAlone() {
        Node[] n = pair();
        now = 0;
        n[1].election.start(0);
        run(n[0], n[1], Long.MAX_VALUE / 2, 1000 * MS);
        assertEquals(VipState.MASTER, n[1].election.state());
        // n1 restarts after a crash and waits for its mirror to catch up: n2 stays master, n1 sends nothing
        n[0].election.awaitGate(now);
        int before = n[1].moves.size();
        run(n[0], n[1], 4000 * MS, 8000 * MS);
        assertEquals(VipState.MASTER, n[0].election.state(), "n1 preempts once its gate is open: " + n[0].moves);
        List<String> after = n[1].moves.subList(before, n[1].moves.size());
        assertEquals(1, after.size(), after.toString());
        assertTrue(after.get(0).endsWith("BACKUP higher_priority") && Long.parseLong(after.get(0).split(" ")[0]) >= 4000,
                after.toString());
    }

    @Test
    void aMasterIgnoresAWaitingAdvert() {
        Node[] n = pair();
        now = 0;
        n[1].election.start(0);
        run(n[0], n[1], Long.MAX_VALUE / 2, 1000 * MS);
        assertEquals(VipState.MASTER, n[1].election.state());
        n[1].election.onAdvert(now, "n1", new Advert("n1", "10.0.0.10", 250, 100, 2, 1, 0));
        assertEquals(VipState.MASTER, n[1].election.state());
    }
}
