package dev.tandem.cluster.election;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.wire.Advert;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 5798 section 6.4, one transition at a time, on a clock the test moves. */
class VipElectionTest {

    private static final long MS = 1_000_000L;
    private static final long ADVERT = 100 * MS;

    record Sent(int priority, int flags) {
    }

    record Move(VipState from, VipState to, Reason reason) {
    }

    private final List<Sent> sent = new ArrayList<>();
    private final List<Move> moves = new ArrayList<>();
    /** When {@link VipElection.Output#reannounce} was called, and why. */
    private final List<String> reannounced = new ArrayList<>();
    private long seq;

    private VipElection election(int priority, boolean preempt, Duration preemptDelay, boolean peerWinsTie) {
        return election(priority, preempt, preemptDelay, peerWinsTie, Duration.ZERO);
    }

    private VipElection election(int priority, boolean preempt, Duration preemptDelay, boolean peerWinsTie,
                                 Duration announceRefresh) {
        return new VipElection(new ElectionSettings("10.0.0.10", "a", priority, Duration.ofMillis(100), preempt,
                preemptDelay, announceRefresh), peer -> peerWinsTie, new VipElection.Output() {
                    @Override
                    public void send(int p, int flags) {
                        sent.add(new Sent(p, flags));
                    }

                    @Override
                    public void transition(VipState from, VipState to, Reason reason) {
                        moves.add(new Move(from, to, reason));
                    }

                    @Override
                    public void reannounce(String claimer, String why) {
                        reannounced.add(claimer == null ? why : claimer + ": " + why);
                    }
                });
    }

    private VipElection election(int priority, boolean preempt) {
        return election(priority, preempt, Duration.ZERO, false);
    }

    private Advert advert(int priority, int flags) {
        return new Advert("b", "10.0.0.10", priority, 100, 1, ++seq, flags);
    }

    private Advert master(int priority) {
        return advert(priority, Advert.MASTER | Advert.ANNOUNCED);
    }

    private static long skew(int priority) {
        return (256 - priority) * ADVERT / 256;
    }

    private static long down(int priority) {
        return 3 * ADVERT + skew(priority);
    }

    private Move last() {
        return moves.get(moves.size() - 1);
    }

    /** Makes {@code e} master by letting its master-down timer run out from time 0. */
    private void becomeMaster(VipElection e) {
        e.start(0);
        e.tick(e.nextDeadline());
        assertEquals(VipState.MASTER, e.state());
        sent.clear();
        moves.clear();
        reannounced.clear();
    }

    // ---- 6.4.1 Initialize

    @Test
    void startupGoesToBackupAndArmsTheMasterDownTimer() {
        VipElection e = election(250, true);
        assertEquals(VipState.INIT, e.state());
        e.start(0);
        assertEquals(List.of(new Move(VipState.INIT, VipState.BACKUP, Reason.STARTUP)), moves);
        assertEquals(down(250), e.nextDeadline());
        assertTrue(sent.isEmpty(), "a backup does not advertise");
    }

    // ---- 6.4.2 Backup

    @Test
    void backupBecomesMasterWhenTheMasterDownTimerFires() {
        VipElection e = election(250, true);
        e.start(0);
        e.tick(down(250) - 1);
        assertEquals(VipState.BACKUP, e.state());
        e.tick(down(250));
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.MASTER_DOWN), last());
        assertEquals(List.of(new Sent(250, Advert.MASTER)), sent);
        assertEquals(down(250) + ADVERT, e.nextDeadline());
        assertEquals("a", e.master());
    }

    @Test
    void backupResetsItsTimerOnEachAdvertOfAMoreOrEquallyPreferredMaster() {
        VipElection e = election(240, true);
        e.start(0);
        e.onAdvert(250 * MS, "b", master(250));
        assertEquals(250 * MS + down(240), e.nextDeadline());
        assertEquals("b", e.master());
        e.onAdvert(350 * MS, "b", master(240));
        assertEquals(350 * MS + down(240), e.nextDeadline(), "equal priority is accepted (6.4.2)");
        e.tick(350 * MS + down(240) - 1);
        assertEquals(VipState.BACKUP, e.state());
    }

    @Test
    void backupUsesTheMastersAdvertIntervalForTheMasterDownInterval() {
        VipElection e = election(240, true);
        e.start(0);
        e.onAdvert(10 * MS, "b", new Advert("b", "10.0.0.10", 250, 1000, 1, ++seq, Advert.MASTER));
        long masterAdvert = 1000 * MS;
        assertEquals(10 * MS + 3 * masterAdvert + (256 - 240) * masterAdvert / 256, e.nextDeadline());
    }

    @Test
    void priorityZeroFromTheMasterMakesTheBackupTakeOverAfterItsSkewTime() {
        VipElection e = election(240, false);
        e.start(0);
        e.onAdvert(50 * MS, "b", master(250));
        e.onAdvert(80 * MS, "b", advert(0, 0));
        assertEquals(80 * MS + skew(240), e.nextDeadline());
        e.tick(80 * MS + skew(240));
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.PEER_RELEASED), last());
    }

    @Test
    void withPreemptionAMorePreferredBackupIgnoresALessPreferredMaster() {
        VipElection e = election(250, true);
        e.start(0);
        long t = 0;
        for (int i = 0; i < 3; i++) {
            t += ADVERT;
            e.onAdvert(t, "b", master(240));
            e.tick(t);
        }
        // the adverts did not reset the timer armed at start
        assertEquals(down(250), e.nextDeadline());
        e.tick(down(250));
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.PREEMPT), last());
    }

    @Test
    void withoutPreemptionAMorePreferredBackupLeavesTheMasterAlone() {
        VipElection e = election(250, false);
        e.start(0);
        for (long t = ADVERT; t < 5000 * MS; t += ADVERT) {
            e.onAdvert(t, "b", master(240));
            e.tick(t);
        }
        assertEquals(VipState.BACKUP, e.state());
        assertEquals("b", e.master());
    }

    @Test
    void preemptDelayHoldsPreemptionBackUntilTheNodeHasBeenAbleForThatLong() {
        VipElection e = election(250, true, Duration.ofSeconds(1), false);
        e.start(0);
        long t = 0;
        while (e.state() == VipState.BACKUP && t < 3000 * MS) {
            t += ADVERT;
            e.tick(t);
            e.onAdvert(t, "b", master(240));
        }
        assertEquals(VipState.MASTER, e.state());
        assertEquals(Reason.PREEMPT, e.lastReason());
        // The advert at 1000ms was the first one ignored; the down timer armed at 900ms ran out after it.
        assertTrue(t >= 1000 * MS && t <= 900 * MS + down(250) + ADVERT, "took over at " + t / MS + "ms");
    }

    @Test
    void aNodeWhoseMirrorIsBehindDoesNotPreemptUntilItHasCaughtUp() {
        VipElection e = election(250, true);
        e.start(0);
        e.setCaughtUp(0, false);
        long t = 0;
        for (; t < 5000 * MS; t += ADVERT) {
            e.onAdvert(t, "b", master(240));
            e.tick(t);
        }
        assertEquals(VipState.BACKUP, e.state(), "behind: the less preferred master keeps the VIP");
        assertEquals("b", e.master());
        e.setCaughtUp(t, true);
        long caughtUp = t;
        while (e.state() == VipState.BACKUP && t < caughtUp + 3000 * MS) {
            t += ADVERT;
            e.tick(t);
            e.onAdvert(t, "b", master(240));
        }
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.PREEMPT), last());
    }

    @Test
    void aNodeWhoseMirrorIsBehindStillTakesOverFromAMasterThatIsGone() {
        VipElection e = election(250, true);
        e.start(0);
        e.setCaughtUp(0, false);
        e.onAdvert(ADVERT, "b", master(240));
        e.tick(ADVERT + down(250));
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.MASTER_DOWN), last());
    }

    @Test
    void preemptDelayNeverDelaysTakingOverFromAMasterThatIsGone() {
        VipElection e = election(250, true, Duration.ofSeconds(30), false);
        e.start(0);
        e.onAdvert(ADVERT, "b", master(240));
        e.tick(ADVERT + down(250));
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.MASTER_DOWN), last());
    }

    // ---- 6.4.3 Master

    @Test
    void masterAdvertisesEveryInterval() {
        VipElection e = election(250, true);
        becomeMaster(e);
        long t = e.nextDeadline();
        for (int i = 0; i < 5; i++) {
            e.tick(t);
            t = e.nextDeadline();
        }
        assertEquals(5, sent.size());
        assertTrue(sent.stream().allMatch(s -> s.equals(new Sent(250, Advert.MASTER))));
    }

    @Test
    void masterStepsDownForAMorePreferredNode() {
        VipElection e = election(240, true);
        becomeMaster(e);
        e.onAdvert(500 * MS, "b", master(250));
        assertEquals(new Move(VipState.MASTER, VipState.BACKUP, Reason.HIGHER_PRIORITY), last());
        assertEquals(500 * MS + down(240), e.nextDeadline());
        assertEquals("b", e.master());
    }

    @Test
    void masterKeepsTheVipAgainstALessPreferredNode() {
        VipElection e = election(250, true);
        becomeMaster(e);
        e.onAdvert(500 * MS, "b", master(240));
        assertEquals(VipState.MASTER, e.state());
        assertTrue(moves.isEmpty());
    }

    @Test
    void equalPrioritiesGoToTheHigherAddress() {
        VipElection loses = election(240, true, Duration.ZERO, true);
        becomeMaster(loses);
        loses.onAdvert(500 * MS, "b", master(240));
        assertEquals(new Move(VipState.MASTER, VipState.BACKUP, Reason.HIGHER_PRIORITY), last());

        moves.clear();
        VipElection wins = election(240, true, Duration.ZERO, false);
        becomeMaster(wins);
        wins.onAdvert(500 * MS, "b", master(240));
        assertEquals(VipState.MASTER, wins.state());
    }

    @Test
    void masterAnswersPriorityZeroWithAnAdvertAtOnce() {
        VipElection e = election(250, true);
        becomeMaster(e);
        e.onAdvert(400 * MS, "b", advert(0, 0));
        assertEquals(List.of(new Sent(250, Advert.MASTER)), sent);
        assertEquals(400 * MS + ADVERT, e.nextDeadline());
    }

    @Test
    void masterStopsWithPriorityZero() {
        VipElection e = election(250, true);
        becomeMaster(e);
        e.stop(1000 * MS);
        assertEquals(List.of(new Sent(0, 0)), sent);
        assertEquals(new Move(VipState.MASTER, VipState.INIT, Reason.STOP), last());
        assertEquals(Long.MAX_VALUE, e.nextDeadline());
    }

    @Test
    void backupStopsQuietly() {
        VipElection e = election(250, true);
        e.start(0);
        e.stop(10 * MS);
        assertTrue(sent.isEmpty());
        assertEquals(new Move(VipState.BACKUP, VipState.INIT, Reason.STOP), last());
        e.onAdvert(20 * MS, "b", master(240));
        e.tick(Long.MAX_VALUE - 1);
        assertEquals(VipState.INIT, e.state());
    }

    // ---- health

    @Test
    void aSickMasterAdvertisesTheFaultPriority() {
        VipElection e = election(250, true);
        becomeMaster(e);
        e.setHealthy(500 * MS, false);
        assertEquals(List.of(new Sent(ElectionSettings.FAULT_PRIORITY, Advert.MASTER | Advert.FAULT)), sent);
        assertEquals(ElectionSettings.FAULT_PRIORITY, e.priority());
        e.setHealthy(600 * MS, true);
        assertEquals(new Sent(250, Advert.MASTER), sent.get(1));
    }

    @Test
    void aHealthyBackupTakesOverFromASickMasterEvenWithoutPreemption() {
        VipElection e = election(240, false);
        e.start(0);
        e.onAdvert(50 * MS, "b", master(250));
        e.onAdvert(100 * MS, "b", advert(1, Advert.MASTER | Advert.FAULT));
        assertEquals(100 * MS + skew(240), e.nextDeadline());
        e.onAdvert(100 * MS + skew(240) - 1, "b", advert(1, Advert.MASTER | Advert.FAULT));
        e.tick(100 * MS + skew(240));
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.PEER_FAULT), last());
        // and the sick master, hearing the healthy one, steps down
        VipElection sick = election(250, true);
        becomeMaster(sick);
        sick.setHealthy(200 * MS, false);
        sick.onAdvert(300 * MS, "b", master(240));
        assertEquals(new Move(VipState.MASTER, VipState.BACKUP, Reason.HIGHER_PRIORITY), last());
    }

    @Test
    void aSickBackupDoesNotTakeOverFromASickMaster() {
        VipElection e = election(240, true);
        e.start(0);
        e.setHealthy(10 * MS, false);
        e.onAdvert(50 * MS, "b", advert(1, Advert.MASTER | Advert.FAULT));
        assertEquals(50 * MS + down(1), e.nextDeadline());
    }

    @Test
    void aRecoveredNodeTakesItsVipBackWhenPreempting() {
        VipElection e = election(250, true);
        e.start(0);
        e.setHealthy(0, false);
        long t = 0;
        for (int i = 0; i < 10; i++) {
            t += ADVERT;
            e.onAdvert(t, "b", master(240));
        }
        assertEquals(VipState.BACKUP, e.state(), "sick, it does not preempt");
        e.setHealthy(t, true);
        long takeover = t + ADVERT + down(250);
        while (e.state() == VipState.BACKUP && t < takeover + ADVERT) {
            t += ADVERT;
            e.onAdvert(t, "b", master(240));
            e.tick(t);
        }
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.PREEMPT), last());
    }

    // ---- witnesses

    @Test
    void losingTheWitnessesReleasesTheVipAtOnce() {
        VipElection e = election(250, true);
        becomeMaster(e);
        e.setAnnounced(0, true);
        sent.clear();
        e.setWitnessesReached(700 * MS, false);
        assertEquals(List.of(new Sent(0, Advert.ANNOUNCED)), sent);
        assertEquals(new Move(VipState.MASTER, VipState.BACKUP, Reason.WITNESS_LOST), last());
    }

    @Test
    void withoutWitnessesANodeNeverBecomesMaster() {
        VipElection e = election(250, true);
        e.start(0);
        e.setWitnessesReached(0, false);
        for (long t = 0; t < 5000 * MS; t = e.nextDeadline()) {
            e.tick(t);
        }
        assertEquals(VipState.BACKUP, e.state());
        e.setWitnessesReached(5000 * MS, true);
        e.tick(e.nextDeadline());
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.MASTER_DOWN), last());
    }

    @Test
    void withWitnessesPendingNoVipIsTakenAndTheMasterDownTimerWaitsForTheVerdict() {
        VipElection e = election(250, true);
        e.awaitWitnesses();
        e.start(0);
        assertEquals(VipState.BACKUP, e.state());
        assertEquals(Long.MAX_VALUE, e.nextDeadline(), "no master-down timer before the verdict");
        // a clock that moves on for seconds without a verdict: still no VIP
        for (long t = 0; t <= 5000 * MS; t += 50 * MS) {
            e.tick(t);
        }
        assertEquals(VipState.BACKUP, e.state());
        assertTrue(sent.isEmpty());
        // the verdict comes in at 5 s: the node listens one whole master-down interval from then
        e.setWitnessesReached(5000 * MS, true);
        assertEquals(5000 * MS + down(250), e.nextDeadline());
        e.tick(5000 * MS + down(250) - 1);
        assertEquals(VipState.BACKUP, e.state());
        e.tick(5000 * MS + down(250));
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.MASTER_DOWN), last());
    }

    @Test
    void withWitnessesPendingAPeersMasterDyingDoesNotHandTheVipOver() {
        VipElection e = election(250, true);
        e.awaitWitnesses();
        e.start(0);
        e.onAdvert(10 * MS, "b", master(100));
        // b falls silent; its master-down interval runs out while the verdict is still pending
        for (long t = 10 * MS; t <= 3000 * MS; t = Math.max(t + MS, e.nextDeadline())) {
            e.tick(t);
        }
        assertEquals(VipState.BACKUP, e.state());
        assertTrue(sent.isEmpty());
    }

    @Test
    void startedCutOffANodeTakesNoVipUntilAWitnessAnswers() {
        VipElection e = election(250, true);
        e.awaitWitnesses();
        e.start(0);
        e.setWitnessesReached(2000 * MS, false);
        assertTrue(!e.witnessesPending());
        for (long t = 2000 * MS; t < 10_000 * MS; t = e.nextDeadline()) {
            e.tick(t);
        }
        assertEquals(VipState.BACKUP, e.state());
        e.setWitnessesReached(10_000 * MS, true);
        e.tick(e.nextDeadline());
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.MASTER_DOWN), last());
    }

    @Test
    void aVerdictHeardWhileAMasterAdvertisesLeavesThePeerMaster() {
        VipElection e = election(100, true);
        e.awaitWitnesses();
        e.start(0);
        e.onAdvert(10 * MS, "b", master(250));
        e.setWitnessesReached(20 * MS, true);
        for (long t = 20 * MS; t < 2000 * MS; t += ADVERT) {
            e.onAdvert(t, "b", master(250));
            e.tick(t);
        }
        assertEquals(VipState.BACKUP, e.state());
        assertEquals("b", e.master());
    }

    // ---- maintenance

    @Test
    void maintenanceHandsOverOnlyToAMasterThatAnnouncedTheVip() {
        VipElection e = election(250, true);
        becomeMaster(e);
        e.setAnnounced(0, true);
        sent.clear();
        e.setMaintenance(1000 * MS, true);
        assertEquals(List.of(new Sent(0, Advert.MASTER | Advert.ANNOUNCED | Advert.MAINTENANCE)), sent);
        assertEquals(VipState.MASTER, e.state());
        e.onAdvert(1010 * MS, "b", advert(240, Advert.MASTER));
        assertEquals(VipState.MASTER, e.state(), "the peer has not announced the address yet");
        e.tick(1100 * MS);
        assertEquals(new Sent(0, Advert.MASTER | Advert.ANNOUNCED | Advert.MAINTENANCE), sent.get(1));
        e.onAdvert(1150 * MS, "b", master(240));
        assertEquals(new Move(VipState.MASTER, VipState.BACKUP, Reason.HANDOVER), last());
    }

    @Test
    void inMaintenanceANodeTakesNoVipEvenWithPreemptionUntilResumed() {
        VipElection e = election(250, true);
        e.start(0);
        e.setMaintenance(0, true);
        long t = 0;
        for (int i = 0; i < 30; i++) {
            t += ADVERT;
            if (i < 5) {
                e.onAdvert(t, "b", master(240));
            }
            e.tick(t);
        }
        assertEquals(VipState.BACKUP, e.state(), "neither preemption nor a silent master draws it in");
        e.setMaintenance(t, false);
        e.tick(e.nextDeadline());
        assertEquals(VipState.MASTER, e.state());
    }

    @Test
    void announcingAsMasterIsToldToPeersAtOnce() {
        VipElection e = election(250, true);
        becomeMaster(e);
        e.setAnnounced(10 * MS, true);
        assertEquals(List.of(new Sent(250, Advert.MASTER | Advert.ANNOUNCED)), sent);
    }

    @Test
    void prioritiesFollowThePreferOrder() {
        List<String> prefer = List.of("a", "b", "c");
        assertEquals(250, ElectionSettings.priorityOf("a", prefer));
        assertEquals(200, ElectionSettings.priorityOf("b", prefer));
        assertEquals(150, ElectionSettings.priorityOf("c", prefer));
        assertEquals(0, ElectionSettings.priorityOf("d", prefer));
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            many.add("n" + i);
        }
        assertEquals(ElectionSettings.FLOOR_PRIORITY, ElectionSettings.priorityOf("n39", many));
    }

    @Test
    void whenTheMasterReleasesThePreferredBackupTakesOverWellBeforeTheNext() {
        List<String> prefer = List.of("a", "b", "c");
        VipElection b = election(ElectionSettings.priorityOf("b", prefer), true);
        VipElection c = election(ElectionSettings.priorityOf("c", prefer), true);
        b.start(0);
        c.start(0);
        b.onAdvert(10 * MS, "a", advert(0, Advert.MASTER | Advert.MAINTENANCE));
        c.onAdvert(10 * MS, "a", advert(0, Advert.MASTER | Advert.MAINTENANCE));
        // time enough for b's advert to reach c on a busy host before c's own timer runs out
        assertTrue(c.nextDeadline() - b.nextDeadline() >= ADVERT / 6,
                (c.nextDeadline() - b.nextDeadline()) / MS + " ms apart");
    }

    private Advert from(String node, int priority, int flags) {
        return new Advert(node, "10.0.0.10", priority, 100, 1, ++seq, flags);
    }

    @Test
    void onAHandoverThePreferredBackupWinsEvenWhenItsLoopRunsAnAdvertIntervalLate() {
        List<String> prefer = List.of("a", "b", "c");
        VipElection b = election(ElectionSettings.priorityOf("b", prefer), true);
        VipElection c = election(ElectionSettings.priorityOf("c", prefer), true);
        b.start(0);
        c.start(0);
        Advert handover = from("a", 0, Advert.MASTER | Advert.ANNOUNCED | Advert.MAINTENANCE);
        b.onAdvert(10 * MS, "a", handover);
        c.onAdvert(10 * MS, "a", handover);
        assertTrue(c.nextDeadline() - b.nextDeadline() >= ADVERT,
                (c.nextDeadline() - b.nextDeadline()) / MS + " ms apart");

        // b's loop runs 90 ms late (a busy host); its advert reaches c 5 ms after that
        long late = b.nextDeadline() + 90 * MS;
        assertTrue(late - c.nextDeadline() < 0, "c's timer has not run out yet");
        c.tick(late);
        b.tick(late);
        assertEquals(VipState.MASTER, b.state());
        c.onAdvert(late + 5 * MS, "b", from("b", 200, Advert.MASTER));
        c.tick(c.nextDeadline() - 1);
        assertEquals(VipState.BACKUP, c.state(), "c takes no VIP the preferred backup took");
        assertEquals("b", c.master());
    }

    @Test
    void theHandoverAdvertsThatFollowDoNotPutALaterTakeoverBack() {
        VipElection c = election(150, true);
        c.start(0);
        long first = 10 * MS;
        long t = first;
        for (; t - first < 2 * ADVERT + ADVERT / 2; t += ADVERT) {
            c.onAdvert(t, "a", from("a", 0, Advert.MASTER | Advert.ANNOUNCED | Advert.MAINTENANCE));
        }
        long due = first + (256 - 150) * ADVERT / ElectionSettings.STEP;
        assertTrue(due - first > ADVERT, "due after the master's next advert");
        assertEquals(due, c.nextDeadline());
        c.tick(due);
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.PEER_RELEASED), last());
    }

    @Test
    void aMasterThatStopsIsStillTakenOverAfterTheSkewTime() {
        VipElection c = election(150, true);
        c.start(0);
        c.onAdvert(10 * MS, "a", from("a", 250, Advert.MASTER | Advert.ANNOUNCED));
        c.onAdvert(20 * MS, "a", from("a", 0, Advert.ANNOUNCED));
        assertEquals(20 * MS + skew(150), c.nextDeadline(), "a stopped master no longer serves: no wider spread");
    }

    // ---- drain reports after a handover (not RFC 5798)

    @Test
    void aDrainReportIsRecordedButMovesNoStateMachine() {
        VipElection backup = election(240, true);
        backup.start(0);
        backup.onAdvert(10 * MS, "b", master(250));
        long deadline = backup.nextDeadline();
        backup.onAdvert(20 * MS, "c", new Advert("c", "10.0.0.10", 0, 100, 1, 1, Advert.DRAINING | Advert.MAINTENANCE));
        backup.onAdvert(30 * MS, "c", new Advert("c", "10.0.0.10", 0, 100, 1, 2, Advert.RELEASED | Advert.MAINTENANCE));
        assertEquals(deadline, backup.nextDeadline(), "priority 0 in a drain report is no master leaving");
        assertEquals("b", backup.master());
        assertEquals(Advert.RELEASED | Advert.MAINTENANCE, backup.peers().get("c").flags());

        VipElection master = election(250, true);
        becomeMaster(master);
        master.onAdvert(10 * MS, "b", advert(0, Advert.DRAINING | Advert.MAINTENANCE));
        assertTrue(sent.isEmpty(), "no advert in answer (6.4.3 is for a master leaving)");
        assertEquals(VipState.MASTER, master.state());
        assertTrue(moves.isEmpty());
    }

    @Test
    void onlyABackupsReportIsADrainReport() {
        assertTrue(VipElection.isDrainReport(advert(0, Advert.DRAINING)));
        assertTrue(VipElection.isDrainReport(advert(0, Advert.RELEASED | Advert.MAINTENANCE)));
        assertEquals(false, VipElection.isDrainReport(advert(0, Advert.MASTER | Advert.DRAINING)));
        assertEquals(false, VipElection.isDrainReport(advert(0, Advert.MAINTENANCE)));
    }

    // ---- announcing again while master

    @Test
    void aMasterHearingALessPreferredMasterAdvertisesAndAnnouncesAgainAtOnce() {
        VipElection e = election(250, true);
        becomeMaster(e);
        long t = down(250) + 2_000 * MS;
        e.onAdvert(t, "b", master(240));
        assertEquals(VipState.MASTER, e.state());
        assertEquals(1, reannounced.size(), "a returning peer's clients are told again: " + reannounced);
        assertTrue(reannounced.get(0).startsWith("b: b claims it"), reannounced.get(0));
        assertEquals(List.of(new Sent(250, Advert.MASTER)), sent, "and the peer hears at once that it is outranked");
    }

    /**
     * A healed partition: this node never lost its link, so its adverts said ANNOUNCED on the strength of its
     * takeover's round, and the peer that held the VIP meanwhile went quiet before this node's new round landed.
     */
    @Test
    void aClaimEndsAnnouncedAtOnceAndOnlyARoundAfterTheDriverHeardOfItSetsItAgain() {
        VipElection e = election(250, true);
        becomeMaster(e);
        e.setAnnounced(down(250) + 10 * MS, true);
        sent.clear();
        long t = down(250) + 60_000 * MS;
        e.onAdvert(t, "b", master(200));
        assertEquals(List.of(new Sent(250, Advert.MASTER)), sent, "the advert sent at once says: not announced");
        assertFalse(e.announced());
        // a round that went out before the address driver learnt of the claim
        e.setAnnounced(t + 5 * MS, true);
        assertFalse(e.announced(), "a round from before the claim answers nothing");
        e.tick(t + ADVERT);
        assertEquals(new Sent(250, Advert.MASTER), sent.get(sent.size() - 1));
        // the driver heard of the claim, then its round went out
        e.claimHeard(t + 110 * MS);
        e.setAnnounced(t + 150 * MS, true);
        assertTrue(e.announced());
        assertEquals(new Sent(250, Advert.MASTER | Advert.ANNOUNCED), sent.get(sent.size() - 1),
                "said at once, so the peer goes quiet now rather than an interval later");
    }

    /**
     * A claim heard within the spacing reaches the address driver only when the spacing is over: a "not announced"
     * reported meanwhile (the driver's answer to the claim before, the link lost, a round that failed) answers
     * nothing of it, and the round reported next went out before the driver heard of it.
     */
    @Test
    void aClaimNotYetPassedOnIsAnsweredByNoRoundOfTheDriversBeforeIt() {
        VipElection e = election(250, true);
        becomeMaster(e);
        e.setAnnounced(down(250) + 10 * MS, true);
        long t = down(250) + 60_000 * MS;
        e.onAdvert(t, "b", master(240));
        assertEquals(1, reannounced.size());
        e.onAdvert(t + 200 * MS, "c", master(240));
        assertEquals(1, reannounced.size(), "within the spacing: passed on when it is over");
        e.setAnnounced(t + 210 * MS, false);
        e.setAnnounced(t + 220 * MS, true);
        assertFalse(e.announced(), "a round the driver ran before it heard of c's claim answers nothing of it");
        sent.clear();
        e.tick(t + 200 * MS + ADVERT);
        assertEquals(List.of(new Sent(250, Advert.MASTER)), sent, "the adverts still say: not announced");
        e.tick(t + 1_000 * MS);
        assertEquals(2, reannounced.size(), "c's claim passed on: " + reannounced);
        e.claimHeard(t + 1_001 * MS);
        e.claimHeard(t + 1_002 * MS);
        e.setAnnounced(t + 1_010 * MS, true);
        assertTrue(e.announced(), "a round after the driver heard of both claims");
    }

    /**
     * The driver's answer to one claim came after the next claim was passed on (its thread was busy: the passing
     * on of the first claimer's connections): the round it reports then left before it heard of the second.
     */
    @Test
    void aRoundCountsOnlyOnceTheDriverHeardOfEveryClaimPassedOn() {
        VipElection e = election(250, true);
        becomeMaster(e);
        e.setAnnounced(down(250) + 10 * MS, true);
        long t = down(250) + 60_000 * MS;
        e.onAdvert(t, "b", master(240));
        e.onAdvert(t + 1_100 * MS, "c", master(240));
        assertEquals(2, reannounced.size(), "each passed on at once: " + reannounced);
        e.claimHeard(t + 1_150 * MS);
        e.setAnnounced(t + 1_160 * MS, true);
        assertFalse(e.announced(), "the round after b's claim left before the driver heard of c's");
        sent.clear();
        e.claimHeard(t + 1_170 * MS);
        assertTrue(sent.isEmpty(), "nothing new to say: " + sent);
        e.setAnnounced(t + 1_180 * MS, true);
        assertTrue(e.announced());
        assertEquals(List.of(new Sent(250, Advert.MASTER | Advert.ANNOUNCED)), sent);
    }

    @Test
    void aPeerThatDrainsWithoutAHandoverEndsAnnouncedAndHearsSoAtOnce() {
        VipElection e = election(250, true);
        becomeMaster(e);
        e.setAnnounced(down(250) + 10 * MS, true);
        sent.clear();
        long t = down(250) + 60_000 * MS;
        // the peer heard this node first and stepped down before this node heard any of its claims
        e.onAdvert(t, "b", advert(0, Advert.DRAINING));
        assertEquals(List.of(new Sent(250, Advert.MASTER)), sent);
        assertEquals(1, reannounced.size());
        e.onAdvert(t + ADVERT, "b", advert(0, Advert.DRAINING));
        assertEquals(1, sent.size(), "the same drain: nothing new to say");
        e.claimHeard(t + 2 * ADVERT);
        e.setAnnounced(t + 2 * ADVERT, true);
        assertEquals(new Sent(250, Advert.MASTER | Advert.ANNOUNCED), sent.get(sent.size() - 1));
    }

    @Test
    void theFirstDrainOfTheMasterThisNodePreemptedLeavesTheTakeoversRoundStanding() {
        VipElection e = election(250, true);
        e.start(0);
        e.onAdvert(10 * MS, "b", master(200));
        e.tick(e.nextDeadline());
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.PREEMPT), last());
        long takeover = e.nextDeadline() - ADVERT;
        e.setAnnounced(takeover + 20 * MS, true);
        sent.clear();
        // b steps aside on hearing this node's takeover, after its own last round: the takeover's round answers it
        e.onAdvert(takeover + 30 * MS, "b", advert(0, Advert.DRAINING));
        assertTrue(e.announced());
        assertTrue(sent.isEmpty(), sent.toString());
        // b held it again (its claims lost) and stepped aside again: a new drain, which must be answered
        e.onAdvert(takeover + 3_000 * MS, "b", advert(0, Advert.DRAINING | Advert.DRAIN_PARITY));
        assertFalse(e.announced());
        assertEquals(List.of(new Sent(250, Advert.MASTER)), sent);
    }

    /**
     * a handed the VIP over and still drains it (its last round told it "announced"), then resumed and preempted:
     * its takeover advert said ANNOUNCED from the last mastership, and b, stepping aside, went quiet on it.
     */
    @Test
    void aTakeoverAnnouncesNothingYetAndADroppedAnnouncementIsSaidAtOnce() {
        VipElection e = election(250, true);
        becomeMaster(e);
        e.setAnnounced(down(250) + 10 * MS, true);
        e.setMaintenance(down(250) + 1_000 * MS, true);
        e.onAdvert(down(250) + 1_100 * MS, "b", master(200));
        assertEquals(VipState.BACKUP, e.state());
        e.setMaintenance(down(250) + 2_000 * MS, false);
        e.onAdvert(down(250) + 2_050 * MS, "b", master(200));
        sent.clear();
        e.tick(e.nextDeadline());
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.PREEMPT), last());
        assertEquals(List.of(new Sent(250, Advert.MASTER)), sent, "the takeover's advert");
        long t = e.nextDeadline();
        e.setAnnounced(t, true);
        e.setAnnounced(t + 5_000 * MS, false); // the link went
        assertEquals(List.of(new Sent(250, Advert.MASTER), new Sent(250, Advert.MASTER | Advert.ANNOUNCED),
                new Sent(250, Advert.MASTER)), sent);
    }

    @Test
    void aRefreshLeavesAnnouncedStanding() {
        VipElection e = election(250, true, Duration.ZERO, false, Duration.ofSeconds(10));
        becomeMaster(e);
        e.setAnnounced(down(250), true);
        for (long at = down(250); at <= down(250) + 11_000 * MS; at += 100 * MS) {
            e.tick(at);
        }
        assertEquals(List.of("refresh"), reannounced);
        assertTrue(e.announced());
    }

    @Test
    void claimsHeardWithinASecondOfARoundAreAnsweredByOneRoundWhenTheSecondIsOver() {
        VipElection e = election(250, true);
        becomeMaster(e);
        long t = down(250) + 2_000 * MS;
        e.onAdvert(t, "b", master(240));
        e.onAdvert(t + 100 * MS, "b", master(240));
        e.onAdvert(t + 200 * MS, "b", master(240));
        assertEquals(1, reannounced.size());
        e.tick(t + 999 * MS);
        assertEquals(1, reannounced.size());
        assertEquals(t + 1_000 * MS, e.nextDeadline(), "the round due is a deadline of its own");
        e.tick(t + 1_000 * MS);
        assertEquals(2, reannounced.size());
        // nothing claimed since: no further round
        for (long at = t + 1_100 * MS; at < t + 5_000 * MS; at += 100 * MS) {
            e.tick(at);
        }
        assertEquals(2, reannounced.size());
    }

    @Test
    void aClaimRightAfterTheTakeoverIsAnsweredOneSecondAfterIt() {
        VipElection e = election(250, true);
        becomeMaster(e);
        long takeover = down(250);
        e.onAdvert(takeover + 50 * MS, "b", master(240));
        assertTrue(reannounced.isEmpty(), "the takeover's own round is under way");
        e.tick(takeover + 1_000 * MS);
        assertEquals(1, reannounced.size());
        assertTrue(reannounced.get(0).startsWith("b: "), "the claimer is named: " + reannounced);
    }

    @Test
    void aMasterThatWinsATieAnnouncesAgainToo() {
        VipElection e = election(240, true, Duration.ZERO, false);
        becomeMaster(e);
        e.onAdvert(down(240) + 2_000 * MS, "b", master(240));
        assertEquals(VipState.MASTER, e.state());
        assertEquals(1, reannounced.size());
    }

    @Test
    void noRoundForAPeerThatHandsOverStopsReportsADrainOrIsOutranking() {
        VipElection e = election(250, true);
        becomeMaster(e);
        long t = down(250) + 2_000 * MS;
        e.onAdvert(t, "b", advert(0, Advert.MASTER | Advert.MAINTENANCE));
        e.onAdvert(t + 10 * MS, "b", advert(0, Advert.DRAINING | Advert.MAINTENANCE));
        e.onAdvert(t + 20 * MS, "b", advert(0, Advert.RELEASED | Advert.MAINTENANCE));
        e.onAdvert(t + 30 * MS, "b", advert(0, 0));
        assertTrue(reannounced.isEmpty(), reannounced.toString());

        VipElection lower = election(240, true);
        becomeMaster(lower);
        lower.onAdvert(t, "b", master(250));
        assertEquals(VipState.BACKUP, lower.state());
        assertTrue(reannounced.isEmpty(), "the outranked one steps down and claims nothing: " + reannounced);
    }

    @Test
    void aBackupHearingAMasterAnnouncesNothing() {
        VipElection e = election(240, false);
        e.start(0);
        e.onAdvert(10 * MS, "b", master(250));
        e.onAdvert(20 * MS, "b", master(230));
        assertTrue(reannounced.isEmpty());
    }

    @Test
    void withARefreshTheMasterAnnouncesAgainEveryThatLong() {
        VipElection e = election(250, true, Duration.ZERO, false, Duration.ofSeconds(10));
        becomeMaster(e);
        long takeover = down(250);
        for (long at = takeover; at <= takeover + 25_000 * MS; at += 100 * MS) {
            e.tick(at);
        }
        assertEquals(List.of("refresh", "refresh"), reannounced);
        assertTrue(e.nextDeadline() <= takeover + 25_100 * MS);
    }

    @Test
    void withoutARefreshAQuietMasterNeverAnnouncesAgain() {
        VipElection e = election(250, true);
        becomeMaster(e);
        for (long at = down(250); at <= down(250) + 60_000 * MS; at += 100 * MS) {
            assertTrue(e.nextDeadline() <= at + ADVERT);
            e.tick(at);
        }
        assertTrue(reannounced.isEmpty());
    }

    @Test
    void aPeerThatStepsDownAndDrainsWithoutAHandoverIsAnsweredWithAnAnnouncement() {
        VipElection e = election(250, true);
        becomeMaster(e);
        long t = down(250) + 2_000 * MS;
        // a healed partition: the peer heard this node first and stepped down before any of its claims arrived
        e.onAdvert(t, "b", advert(0, Advert.DRAINING));
        assertEquals(VipState.MASTER, e.state());
        assertEquals(1, reannounced.size(), reannounced.toString());
        assertTrue(reannounced.get(0).startsWith("b: b stepped down"), reannounced.get(0));
        // its later reports are the same drain
        e.onAdvert(t + 1_500 * MS, "b", advert(0, Advert.DRAINING));
        e.onAdvert(t + 1_600 * MS, "b", advert(0, Advert.RELEASED));
        e.tick(t + 3_000 * MS);
        assertEquals(1, reannounced.size(), reannounced.toString());
    }

    /**
     * 30% loss on the cluster link, in the lab: the peer stepped down, drained and released; it took the VIP again
     * (announcing it, so the clients went to it) and stepped down at once. This node heard neither the release nor
     * the one claim of that short mastership, only the reports of the new drain: taken for the old drain's, they
     * drew no announcement, the peer removed the address, and the clients reached no node for 30 s.
     */
    @Test
    void aNewDrainIsAnsweredEvenWhenTheReleaseAndTheClaimsBeforeItWereLost() {
        VipElection e = election(250, true);
        becomeMaster(e);
        long t = down(250) + 2_000 * MS;
        e.onAdvert(t, "b", advert(0, Advert.DRAINING | Advert.DRAIN_PARITY));
        e.onAdvert(t + 2_900 * MS, "b", advert(0, Advert.DRAINING | Advert.DRAIN_PARITY));
        assertEquals(1, reannounced.size(), reannounced.toString());
        // lost: the release (t + 3 s), the claim of the next mastership (t + 4 s)
        e.onAdvert(t + 4_100 * MS, "b", advert(0, Advert.DRAINING));
        assertEquals(2, reannounced.size(), "the new drain is answered: " + reannounced);
        assertTrue(reannounced.get(1).startsWith("b: b stepped down"), reannounced.get(1));
        // the rest of that drain is the same drain
        for (long at = t + 4_200 * MS; at < t + 8_000 * MS; at += 100 * MS) {
            e.onAdvert(at, "b", advert(0, Advert.DRAINING));
            e.tick(at);
        }
        assertEquals(2, reannounced.size(), reannounced.toString());
    }

    @Test
    void aNewDrainRightAfterARoundIsAnsweredOnceTheSpacingIsOver() {
        VipElection e = election(250, true);
        becomeMaster(e);
        long t = down(250) + 2_000 * MS;
        e.onAdvert(t, "b", advert(0, Advert.DRAINING));
        assertEquals(1, reannounced.size(), reannounced.toString());
        // taken back while draining (the claim lost) and stepped down again: a drain of the other parity
        e.onAdvert(t + 400 * MS, "b", advert(0, Advert.DRAINING | Advert.DRAIN_PARITY));
        for (long at = t + 500 * MS; at < t + 1_000 * MS; at += 100 * MS) {
            e.tick(at);
        }
        assertEquals(1, reannounced.size(), "within the spacing: " + reannounced);
        e.tick(t + 1_000 * MS);
        assertEquals(2, reannounced.size(), reannounced.toString());
    }

    @Test
    void aPeerThatHandedTheVipOverAndDrainsIsNoReasonToAnnounceAgain() {
        VipElection e = election(240, true);
        e.start(0);
        e.onAdvert(10 * MS, "b", advert(0, Advert.MASTER | Advert.MAINTENANCE | Advert.ANNOUNCED));
        e.tick(e.nextDeadline());
        assertEquals(VipState.MASTER, e.state());
        long t = e.nextDeadline() + 2_000 * MS;
        e.onAdvert(t, "b", advert(0, Advert.DRAINING | Advert.MAINTENANCE));
        e.tick(t + 2_000 * MS);
        assertTrue(reannounced.isEmpty(), reannounced.toString());
    }

    // ---- presence adverts: a backup's, about no VIP; no election acts on them

    private Advert presence() {
        return Advert.presence("b", 100, 1, ++seq);
    }

    @Test
    void aPresenceAdvertNeverMakesAMasterStepDownAdvertiseOrAnnounce() {
        VipElection e = election(200, true);
        becomeMaster(e);
        long t = down(200);
        for (int i = 1; i <= 30; i++) {
            e.onAdvert(t + i * 10 * MS, "b", presence());
        }
        assertEquals(VipState.MASTER, e.state());
        assertTrue(moves.isEmpty(), moves.toString());
        assertTrue(sent.isEmpty(), "nothing sent at once (a priority-0 advert would be answered): " + sent);
        assertTrue(reannounced.isEmpty(), reannounced.toString());
        assertTrue(e.peers().isEmpty(), "not remembered as what b said about the VIP");
        assertEquals("a", e.master());
    }

    @Test
    void aPresenceAdvertNeverMakesABackupBelieveAMasterIsAlive() {
        VipElection e = election(200, true);
        e.start(0);
        e.onAdvert(10 * MS, "b", master(250));
        long deadline = e.nextDeadline();
        assertEquals(10 * MS + down(200), deadline);
        // b's adverts stop (it crashed, or went into maintenance): its presence adverts keep coming, and
        // change neither the timer nor who the backup takes for master
        for (long at = 20 * MS; at < deadline; at += 10 * MS) {
            e.onAdvert(at, "b", presence());
            assertEquals(deadline, e.nextDeadline());
        }
        e.tick(deadline);
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.MASTER_DOWN), last());
    }

    @Test
    void aPresenceAdvertNeverMakesABackupLeaveItsMasterEither() {
        VipElection e = election(200, true);
        e.start(0);
        e.onAdvert(10 * MS, "b", master(250));
        e.onAdvert(20 * MS, "b", presence());
        assertEquals("b", e.master());
        assertEquals(10 * MS + down(200), e.nextDeadline(), "not taken for a priority-0 advert: no skew-time takeover");
    }

    @Test
    void aPresenceAdvertBetweenTwoReportsOfOneDrainDoesNotMakeThemTwoDrains() {
        VipElection e = election(250, true);
        becomeMaster(e);
        long t = down(250) + 2_000 * MS;
        e.onAdvert(t, "b", advert(0, Advert.DRAINING));
        assertEquals(1, reannounced.size(), reannounced.toString());
        e.onAdvert(t + 1_000 * MS, "b", presence());
        e.onAdvert(t + 1_500 * MS, "b", advert(0, Advert.DRAINING));
        e.tick(t + 3_000 * MS);
        assertEquals(1, reannounced.size(), "the same drain: " + reannounced);
    }

    // ---- a master whose process is gone (its connection closed from its side, the next one refused)

    /** When a backup of {@code priority} takes over after {@link VipElection#peerGone}, the master last heard at {@code heard}. */
    private static long goneAt(long heard, long told, int priority) {
        return Math.max(told, heard + ADVERT + ADVERT / 2) + skew(priority);
    }

    @Test
    void aMasterWhoseProcessIsGoneIsTakenOverOnceItsNextAdvertIsOverdue() {
        VipElection e = election(200, false);
        e.start(0);
        e.onAdvert(1000 * MS, "b", master(250));
        e.peerGone(1001 * MS, "b");
        long at = goneAt(1000 * MS, 1001 * MS, 200);
        assertEquals(at, e.nextDeadline());
        assertTrue(at < 1000 * MS + down(200), "well under the master-down interval");
        e.tick(at - 1);
        assertEquals(VipState.BACKUP, e.state());
        e.tick(at);
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.PEER_GONE), last());
        assertEquals(List.of(new Sent(200, Advert.MASTER)), sent);
    }

    @Test
    void toldLateTheBackupStillWaitsItsSkewTime() {
        VipElection e = election(200, false);
        e.start(0);
        e.onAdvert(1000 * MS, "b", master(250));
        e.peerGone(1250 * MS, "b");
        assertEquals(1250 * MS + skew(200), e.nextDeadline());
    }

    @Test
    void aMasterThatStillAdvertisesAfterItsConnectionWentIsNeverTakenOver() {
        // its mirror reset (a bad frame, a quick restart of the mirror alone): the next advert puts the RFC's timer back
        VipElection e = election(200, false);
        e.start(0);
        e.onAdvert(1000 * MS, "b", master(250));
        e.peerGone(1010 * MS, "b");
        e.onAdvert(1100 * MS, "b", master(250));
        assertEquals(1100 * MS + down(200), e.nextDeadline());
        for (long t = 1100 * MS; t < 1100 * MS + down(200); t += MS) {
            e.tick(t);
        }
        assertEquals(VipState.BACKUP, e.state());
        assertTrue(sent.isEmpty());
    }

    @Test
    void underLossTheAdvertsThatArriveKeepTheMasterWhateverWasLostBetween() {
        // 30% loss: adverts lost, one or two in a row, but no process gone, so nothing shortens the wait; and one
        // told gone whose advert then arrives (late, after a loss) gets the whole interval back
        VipElection e = election(200, false);
        e.start(0);
        long t = 1000 * MS;
        e.onAdvert(t, "b", master(250));
        t += 3 * ADVERT; // two lost
        e.tick(t);
        e.onAdvert(t, "b", master(250));
        e.peerGone(t + MS, "b");
        e.onAdvert(t + 140 * MS, "b", master(250));
        e.tick(goneAt(t, t + MS, 200));
        assertEquals(VipState.BACKUP, e.state());
        assertEquals(t + 140 * MS + down(200), e.nextDeadline());
    }

    @Test
    void aPartitionClosesNothingAndTheMasterDownIntervalApplies() {
        VipElection e = election(200, false);
        e.start(0);
        e.onAdvert(1000 * MS, "b", master(250));
        e.tick(1000 * MS + down(200) - 1);
        assertEquals(VipState.BACKUP, e.state());
        e.tick(1000 * MS + down(200));
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.MASTER_DOWN), last());
    }

    @Test
    void onlyTheMasterBeingGoneCounts() {
        VipElection e = election(200, false);
        e.start(0);
        e.peerGone(10 * MS, "b");
        assertEquals(down(200), e.nextDeadline(), "no master known: nothing to shorten");
        e.onAdvert(1000 * MS, "b", master(250));
        e.peerGone(1001 * MS, "c");
        assertEquals(1000 * MS + down(200), e.nextDeadline(), "c is not the master");
    }

    @Test
    void aGracefulStopIsTheReleaseWhateverIsToldAfterIt() {
        VipElection e = election(200, false);
        e.start(0);
        e.onAdvert(1000 * MS, "b", master(250));
        e.onAdvert(1050 * MS, "b", advert(0, 0));
        e.peerGone(1060 * MS, "b");
        assertEquals(1050 * MS + skew(200), e.nextDeadline());
        e.tick(1050 * MS + skew(200));
        assertEquals(new Move(VipState.BACKUP, VipState.MASTER, Reason.PEER_RELEASED), last());
    }

    @Test
    void aMasterIgnoresAPeerGoneAndSoDoesANodeWaitingForItsWitnesses() {
        VipElection m = election(250, false);
        becomeMaster(m);
        m.peerGone(down(250) + MS, "b");
        assertEquals(VipState.MASTER, m.state());
        assertTrue(moves.isEmpty());

        VipElection w = election(200, false);
        w.awaitWitnesses();
        w.start(0);
        w.onAdvert(10 * MS, "b", master(250));
        w.peerGone(11 * MS, "b");
        for (long t = 11 * MS; t <= 3000 * MS; t += 10 * MS) {
            w.tick(t);
        }
        assertEquals(VipState.BACKUP, w.state());
    }

    @Test
    void theOldMasterComingBackIsHeardAsAnyMasterIs() {
        // n2 took over from a killed n1; n1 restarts, advertises, and preempts as configured: a gone told of the
        // old connection meanwhile changes nothing for the master that n2 now is
        VipElection e = election(200, true);
        e.start(0);
        e.onAdvert(1000 * MS, "b", master(250));
        e.peerGone(1001 * MS, "b");
        e.tick(e.nextDeadline());
        assertEquals(VipState.MASTER, e.state());
        e.peerGone(3000 * MS, "b");
        assertEquals(VipState.MASTER, e.state());
        e.onAdvert(5000 * MS, "b", master(250));
        assertEquals(new Move(VipState.MASTER, VipState.BACKUP, Reason.HIGHER_PRIORITY), last());
        assertEquals(5000 * MS + down(200), e.nextDeadline());
    }
}
