package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.MirrorLimits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;

import java.time.Duration;



import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The mirror's core on a clock the test moves, with its disk in memory: no file, no thread, no peer. Events go
 * in, the commands that come out are what is checked: the mass-deletion guard (an emptied root held, its
 * threshold and window, confirm, restore; a peer's round of deletions), the debounce of file events, a peer's
 * offers and rounds (asks, versions applied at a round's end, a start without a record of versions), and the
 * first-sync gate.
 */
class MirrorCoreTest {

    private static final Path WWW = Path.of("/srv/www");
    private static final Duration DEBOUNCE = Duration.ofMillis(200);

    /** Wall time and the monotonic ticker, moved together by the test. */
    private final MovedClock clock = new MovedClock();
    private final MemoryDisk disk = new MemoryDisk().mkdir(WWW);
    private EngineState state;
    private MirrorCore core;
    /** Whether the root is a mount point now (a root with {@code require_mount}), as the core asks it. */
    private java.util.function.Predicate<Roots.Root> mounted = r -> true;

    private void core(List<String> peers) throws Exception {
        state = new EngineState("a", new Roots(Map.of("www", WWW)), new StateFile(Path.of("/nonexistent/state")), null,
                null, NoEvents.INSTANCE, new MirrorMetrics(new SimpleMeterRegistry()), clock, clock::nanos,
                new RootLimits(MirrorLimits.DEFAULT), DeletionGuard.Limits.DEFAULT, peers);
        core = new MirrorCore(state, disk, DEBOUNCE, r -> mounted.test(r));
    }

    /** Writes files {@code from} to {@code to} - 1, last modified an hour ago (no racy stat). */
    private void files(int from, int to) {
        for (int i = from; i < to; i++) {
            disk.write(WWW.resolve("f" + i), "content " + i, clock.millis() - 3_600_000);
        }
    }

    private void delete(int from, int to) {
        for (int i = from; i < to; i++) {
            disk.delete(WWW.resolve("f" + i));
        }
    }

    /** {@code event}, then the end of its task, as the driver hands them in. */
    private List<Command> task(Event event) {
        List<Command> out = new java.util.ArrayList<>(core.on(event));
        out.addAll(core.on(new Event.TaskDone()));
        return out;
    }

    private static <T extends Command> List<T> of(List<Command> commands, Class<T> type) {
        return commands.stream().filter(type::isInstance).map(type::cast).collect(Collectors.toList());
    }

    /** The versions offered to the peers (what changed here). */
    private static List<Entry> offered(List<Command> commands) {
        return of(commands, Command.Offer.class).stream().flatMap(o -> o.versions().stream()).collect(Collectors.toList());
    }

    private Entry entry(int i) {
        return state.table.get(new EntryKey("www", "f" + i));
    }

    /** A session of {@code peer}, open, as the driver's {@link InboundSessions} opens one. */
    private InboundState.Session connect(String peer) {
        InboundState.Session st = new InboundState.Session(null, peer);
        state.sessions.put(null, st);
        state.book.opened(st);
        state.gate.sessionOpened(peer);
        return st;
    }

    /** {@code peer}'s deletion of file {@code i} as recorded here. */
    private Entry deletedBy(String peer, int i) {
        return Entry.deletion(entry(i), peer, clock.millis());
    }

    private void started(int files) throws Exception {
        core(List.of("b"));
        files(0, files);
        task(new Event.Started(false));
        assertEquals(files, state.table.size());
    }

    // ------------------------------------------------------------------ the guard

    @Test
    void anEmptiedRootIsHeldNothingIsOfferedAndConfirmLetsItGo() throws Exception {
        started(20);
        delete(0, 20);
        List<Command> scan = task(new Event.Scan());

        assertEquals(List.of(), offered(scan), "no deletion leaves the node");
        assertEquals(20, state.guard.keys("www").size());
        assertEquals(1.0, state.metrics.deletionsHeld.count());
        assertFalse(entry(0).deleted(), "the files keep their version here, so the peers keep theirs");

        // held on: the next scans add nothing
        clock.move(Duration.ofMinutes(10));
        assertEquals(List.of(), offered(task(new Event.Scan())));

        List<Command> confirmed = task(new Event.Confirm("www"));
        assertEquals(List.of(new Command.Answer("20 file(s) of /srv/www deleted")), of(confirmed, Command.Answer.class));
        List<Entry> deletions = offered(confirmed);
        assertEquals(20, deletions.size());
        assertTrue(deletions.stream().allMatch(Entry::deleted));
        assertTrue(entry(7).deleted());
        assertNull(state.guard.hold("www"));
    }

    @Test
    void aFileBackEndsItsPartOfTheHoldAndTheLastOneEndsTheHold() throws Exception {
        started(20);
        delete(0, 20);
        task(new Event.Scan());
        files(0, 19);
        task(new Event.Scan());
        assertEquals(1, state.guard.keys("www").size(), "the remount is under way: one file still gone");
        files(19, 20);
        List<Command> back = task(new Event.Scan());
        assertNull(state.guard.hold("www"));
        assertEquals(List.of(), offered(back), "nothing changed here: nothing to offer");
        assertThrows(IllegalArgumentException.class, () -> core.on(new Event.Confirm("www")));
    }

    /**
     * The root is unmounted during a scan that found it a mount point: the files not yet read when it went look
     * gone (an empty directory is left). Asked again after the look, the root is not a mount point: the task's
     * deletions there are forgotten, not offered (a few would pass the guard and delete the peers' copies).
     */
    private void unmountedDuringTheScan(int unread) {
        mounted = r -> {
            delete(0, unread);
            mounted = r2 -> false;
            return true;
        };
    }

    @Test
    void filesThatLookGoneBecauseTheRootWasUnmountedDuringTheScanAreNotDeleted() throws Exception {
        started(20);
        unmountedDuringTheScan(3);
        List<Command> scan = task(new Event.Scan());
        assertEquals(List.of(), offered(scan), "no deletion leaves the node");
        assertFalse(entry(0).deleted());
        assertNull(state.guard.hold("www"));

        // mounted again with its files: nothing changed
        files(0, 3);
        mounted = r -> true;
        assertEquals(List.of(), offered(task(new Event.Scan())));
        assertFalse(entry(2).deleted());
    }

    @Test
    void aRootEmptiedByAnUnmountDuringTheScanIsNotHeldEither() throws Exception {
        started(20);
        unmountedDuringTheScan(20);
        assertEquals(List.of(), offered(task(new Event.Scan())));
        assertNull(state.guard.hold("www"), "not scanned: nothing held");
        assertEquals(0.0, state.metrics.deletionsHeld.count());
    }

    @Test
    void deletionsUpToTheThresholdPassAndOneMoreWithinTheWindowIsHeld() throws Exception {
        started(20);
        delete(0, 10);
        List<Entry> first = offered(task(new Event.Scan()));
        assertEquals(10, first.size(), "10 of 20: not more than 10, not more than half");
        assertNull(state.guard.hold("www"));

        clock.move(Duration.ofMinutes(4));
        delete(10, 11);
        assertEquals(List.of(), offered(task(new Event.Scan())), "11 within the window: held");
        assertEquals(List.of(new EntryKey("www", "f10")), state.guard.keys("www"));
    }

    @Test
    void theWindowIsMeasuredOnTheClock() throws Exception {
        started(20);
        delete(0, 10);
        task(new Event.Scan());
        clock.move(Duration.ofMillis(DeletionGuard.Limits.DEFAULT.windowMillis()));
        delete(10, 11);
        assertEquals(1, offered(task(new Event.Scan())).size(), "the first 10 are out of the window");
        assertNull(state.guard.hold("www"));
    }

    @Test
    void restoreForgetsTheHeldFilesAndAsksAConnectedPeerForThem() throws Exception {
        started(20);
        delete(0, 20);
        task(new Event.Scan());
        assertThrows(IllegalStateException.class, () -> core.on(new Event.Restore("www")), "no peer to ask");
        assertNotNull(state.guard.hold("www"), "still held");

        InboundState.Session b = new InboundState.Session(null, "b");
        state.sessions.put(null, b);
        List<Command> restored = task(new Event.Restore("/srv/www"));
        List<Command.Want> want = of(restored, Command.Want.class);
        assertEquals(1, want.size());
        assertEquals(b, want.get(0).session());
        assertEquals(20, want.get(0).wanted().size());
        assertNull(entry(3), "forgotten here: the peer's copy comes back");
        assertTrue(state.book.fetching(new EntryKey("www", "f3")));
        assertNull(state.guard.hold("www"));
        assertEquals(List.of(), offered(restored));
    }

    @Test
    void aPeersHeldDeletionConfirmedIsAppliedFromThatPeer() throws Exception {
        started(20);
        InboundState.Session b = connect("b");
        List<Entry> round = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            round.add(deletedBy("b", i));
        }
        // one round in two offers: judged whole at its end
        assertEquals(List.of(), of(task(new Event.Offer(b, round.subList(0, 10))), Command.Apply.class));
        assertEquals(List.of(), of(task(new Event.Offer(b, round.subList(10, 20))), Command.Apply.class));
        assertEquals(List.of(), of(task(new Event.OfferEnd(b, 1, false)), Command.Apply.class), "held");
        assertEquals("b", state.guard.hold("www").from);
        assertEquals(1.0, state.metrics.deletionsHeld.count());
        assertFalse(entry(0).deleted());

        List<Command.Apply> applied = of(task(new Event.Confirm("www")), Command.Apply.class);
        assertEquals(20, applied.size());
        assertTrue(applied.stream().allMatch(d -> d.from() == b && d.version().deleted()));
    }

    @Test
    void aPeersFewDeletionsAreAppliedAtTheEndOfItsRoundBeforeTheRoundIsReady() throws Exception {
        started(20);
        InboundState.Session b = connect("b");
        List<Entry> three = List.of(deletedBy("b", 0), deletedBy("b", 1), deletedBy("b", 2));
        assertEquals(List.of(), of(task(new Event.Offer(b, three)), Command.Apply.class), "waits for the round's end");
        List<Command> end = task(new Event.OfferEnd(b, 1, false));
        List<Command> applied = end.stream()
                .filter(c -> c instanceof Command.Apply || c instanceof Command.RoundReady).collect(Collectors.toList());
        assertEquals(4, applied.size());
        assertEquals(three, of(applied.subList(0, 3), Command.Apply.class).stream().map(Command.Apply::version)
                .collect(Collectors.toList()));
        assertEquals(1, ((Command.RoundReady) applied.get(3)).round().round());
    }

    // ------------------------------------------------------------------ a peer's offers

    @Test
    void aNewVersionOfAPeerIsAskedForOnItsSession() throws Exception {
        started(1);
        InboundState.Session b = connect("b");
        Entry theirs = Entry.edit(new EntryKey("www", "f0"), entry(0), "b", clock.millis(), "ab".repeat(32), 0644, 10);
        Entry unchanged = entry(0);
        List<Command.Want> want = of(task(new Event.Offer(b, List.of(theirs, unchanged))), Command.Want.class);
        assertEquals(List.of(new Command.Want(b, List.of(new Messages.Wanted(theirs.key(), theirs.version(), "b")))),
                want, "the newer version asked for, the one this node has not");
        assertTrue(state.book.fetching(theirs.key()));
    }

    @Test
    void aRootThatIsNotMountedTakesNothingAPeerOffersUntilItIsAgain() throws Exception {
        started(2);
        InboundState.Session b = connect("b");
        Entry changed = Entry.edit(new EntryKey("www", "f0"), entry(0), "b", clock.millis(), "ab".repeat(32), 0644, 10);
        Entry deleted = deletedBy("b", 1);
        Entry added = theirs("b", 5);
        List<Entry> offer = List.of(changed, deleted, added);

        mounted = r -> false;
        List<Command> unmounted = task(new Event.Offer(b, offer));
        assertEquals(List.of(), of(unmounted, Command.Want.class), "nothing written below the mount point");
        assertEquals(List.of(), of(unmounted, Command.Apply.class));
        assertTrue(b.roundDeletions.isEmpty(), "no deletion kept for the round's end");
        assertFalse(state.book.fetching(changed.key()));

        // found so by a scan; mounted again, nothing is taken before a scan has looked at what was mounted
        task(new Event.Scan());
        mounted = r -> true;
        assertEquals(List.of(), of(task(new Event.Offer(b, offer)), Command.Want.class), "not scanned since");
        assertEquals(List.of(), offered(task(new Event.Scan())), "the disk is as it was");
        List<Command> back = task(new Event.Offer(b, offer));
        assertEquals(2, of(back, Command.Want.class).get(0).wanted().size(), "offered again at the peer's next scan");
        assertEquals(1, b.roundDeletions.size());
    }

    @Test
    void anEmptyDiskMountedIsJudgedWholeBeforeAPeersChangeToOneOfItsFilesIsTaken() throws Exception {
        started(20);
        InboundState.Session b = connect("b");
        mounted = r -> false;
        task(new Event.Scan());
        delete(0, 20);
        mounted = r -> true;
        // the peer's edit of f5 comes before this node's next scan: not taken, so f5 is not judged alone
        Entry changed = Entry.edit(new EntryKey("www", "f5"), entry(5), "b", clock.millis(), "ab".repeat(32), 0644, 10);
        assertEquals(List.of(), of(task(new Event.Offer(b, List.of(changed))), Command.Want.class));
        assertEquals(List.of(), offered(task(new Event.Scan())));
        assertEquals(20, state.guard.keys("www").size(), "all 20 held together");
    }

    @Test
    void aNodeWithoutRecordOfVersionsAdoptsThePeersAndOwnsWhatNoPeerOffered() throws Exception {
        core(List.of("b"));
        files(0, 2);
        List<Command> start = task(new Event.Started(true));
        Path marker = Path.of("/nonexistent/state/no-history");
        assertEquals(List.of(new Command.NoHistoryMarker(marker, true)), of(start, Command.NoHistoryMarker.class));
        assertEquals(0, state.table.size(), "the files wait for the peers' versions");
        assertEquals(List.of(), offered(start));

        InboundState.Session b = connect("b");
        String hash = FileStore.hex(FileStore.sha256().digest("content 0".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        Entry theirs = Entry.edit(new EntryKey("www", "f0"), null, "b", clock.millis(), hash, 0600, 9);
        List<Command> offer = task(new Event.Offer(b, List.of(theirs)));
        assertEquals(List.of(new Command.Adopt(theirs)), of(offer, Command.Adopt.class), "the same content: no transfer");
        assertEquals(List.of(), of(offer, Command.Want.class));
        assertEquals(theirs, entry(0));

        List<Command> end = task(new Event.OfferEnd(b, 1, true));
        assertEquals(List.of(entry(1)), offered(end), "f1, which no peer has, is this node's edit");
        assertEquals("a", entry(1).origin());
        assertEquals(List.of(new Command.NoHistoryMarker(marker, false)), of(end, Command.NoHistoryMarker.class));
    }

    // ------------------------------------------------------------------ fetches and rounds

    /** A new file of {@code peer}'s, f{@code i}, that this node has no version of. */
    private static Entry theirs(String peer, int i) {
        return Entry.edit(new EntryKey("www", "f" + i), null, peer, 1, "ab".repeat(32), 0644, 10);
    }

    @Test
    void aFetchThatFailedIsAskedAgainOfAnotherConnectionThatOffered() throws Exception {
        core(List.of("b", "c"));
        task(new Event.Started(false));
        InboundState.Session b = connect("b");
        InboundState.Session c = connect("c");
        Entry f0 = theirs("b", 0);
        assertEquals(1, of(task(new Event.Offer(b, List.of(f0))), Command.Want.class).size());
        assertEquals(List.of(), of(task(new Event.Offer(c, List.of(f0))), Command.Want.class), "asked once");
        assertEquals(List.of(new Command.Want(c, List.of(new Messages.Wanted(f0.key(), f0.version(), "b")))),
                of(task(new Event.FetchEnded(f0.key(), f0, false)), Command.Want.class));
    }

    @Test
    void thePeersFullRoundInPlaceEndsTheFirstSyncOnceThePeerHasThisNodesToo() throws Exception {
        started(0);
        core.on(new Event.LinkUp("b"));
        assertEquals(List.of(), core.on(new Event.PeerDone("b", true)), "the peer has this node's; not yet the reverse");
        InboundState.Session b = connect("b");
        Entry f0 = theirs("b", 0);
        task(new Event.Offer(b, List.of(f0)));
        assertEquals(List.of(), of(task(new Event.OfferEnd(b, 1, true)), Command.RoundReady.class), "its file is under way");

        List<Command> arrived = task(new Event.FetchEnded(f0.key(), f0, true));
        List<Command> ready = arrived.stream()
                .filter(x -> x instanceof Command.RoundReady || x instanceof Command.FirstSyncOver).collect(Collectors.toList());
        assertEquals(2, ready.size(), String.valueOf(arrived));
        assertTrue(((Command.RoundReady) ready.get(0)).round().firstFull());
        assertEquals(new Command.FirstSyncOver("synced with b"), ready.get(1), "after the round is in place");
    }

    // ------------------------------------------------------------------ the debounce

    @Test
    void aBurstIsLookedAtOnceQuietForTheDebounceButNoLaterThanTenDebounces() throws Exception {
        started(0);
        files(0, 1);
        List<Command> first = task(new Event.Touched(Set.of(WWW.resolve("f0")), false));
        assertEquals(List.of(Command.ArmTimer.debounce(DEBOUNCE.toNanos())), first);
        assertNull(entry(0), "not looked at before the timer");

        // a burst: each event waits for quiet again, but not past 10 debounces (at least 1 s) from the first
        for (int i = 1; i <= 9; i++) {
            clock.move(Duration.ofMillis(190));
            files(i, i + 1);
            assertEquals(List.of(Command.ArmTimer.debounce(DEBOUNCE.toNanos())),
                    task(new Event.Touched(Set.of(WWW.resolve("f" + i)), false)));
        }
        clock.move(Duration.ofMillis(190)); // 1,900 ms since the first event
        assertEquals(List.of(Command.ArmTimer.debounce(Duration.ofMillis(100).toNanos())),
                task(new Event.Touched(Set.of(WWW.resolve("f9")), false)));

        clock.move(Duration.ofMillis(100));
        List<Command> looked = task(new Event.Tick());
        assertEquals(10, offered(looked).size(), "the whole burst, in one offer");
        assertEquals("a", entry(0).origin(), "a version of this node");
    }

    @Test
    void eventsBeforeTheFirstScanWaitForIt() throws Exception {
        core(List.of("b"));
        files(0, 1);
        core.on(new Event.Touched(Set.of(WWW.resolve("f0")), false));
        assertEquals(List.of(), offered(task(new Event.Tick())), "not started: nothing looked at");
        List<Command> start = task(new Event.Started(false));
        assertNotNull(entry(0), "the first scan found it");
        assertEquals(List.of(), offered(start), "found by the first scan: recorded, every link offers all");
    }

    // ------------------------------------------------------------------ the first-sync gate

    @Test
    void aNodeWithoutPeersIsSyncedAtStart() throws Exception {
        core(List.of());
        assertEquals(List.of(new Command.FirstSyncOver("no peer reachable")),
                of(task(new Event.Started(false)), Command.FirstSyncOver.class));
    }

    @Test
    void aReachedPeerIsWaitedForUntilItsLinkIsDown() throws Exception {
        started(1);
        core.on(new Event.LinkUp("b"));
        assertEquals(List.of(), core.on(new Event.LinkFailed("b", true)), "the link is up: waiting");
        core.on(new Event.LinkDown("b"));
        assertEquals(List.of(new Command.FirstSyncOver("no peer reachable")),
                core.on(new Event.LinkFailed("b", false)));
        assertEquals(List.of(), core.on(new Event.LinkFailed("b", false)), "over once");
    }

    @Test
    void thePeerHavingEverythingIsNotEnoughWithoutHavingEverythingOfIt() throws Exception {
        started(1);
        core.on(new Event.LinkUp("b"));
        assertEquals(List.of(), core.on(new Event.PeerDone("b", true)), "this node has not had the peer's round yet");
        assertTrue(state.gate.outDone("b"));
    }
}
