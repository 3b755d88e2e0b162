package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.mirror.MirrorStatus;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The bookkeeping of offers, fetches and rounds, on a clock the test moves. */
class RoundBookTest {

    private static final long SECOND = 1_000_000_000L;

    private long now;
    private final Set<InboundState.Session> shut = new HashSet<>();
    private RoundBook book;
    private InboundState.Session a;
    private InboundState.Session c;

    @BeforeEach
    void setUp() {
        book = new RoundBook(() -> now, st -> !shut.contains(st), 5 * SECOND);
        a = new InboundState.Session(null, "a");
        c = new InboundState.Session(null, "c");
        book.opened(a);
        book.opened(c);
    }

    private static Entry file(String rel, String origin, long size) {
        return Entry.edit(new EntryKey("www", rel), null, origin, 1, "ab".repeat(32), 0644, size);
    }

    private static Entry link(String rel, String target) {
        return Entry.link(new EntryKey("www", rel), null, "a", 1, target, "", "");
    }

    @Test
    void aVersionOfferedTwiceIsAskedOnceAndOfTheOtherWhenTheFirstFails() {
        Entry e = file("x", "a", 10);
        assertTrue(book.ask(a, e), "asked of the first to offer it");
        assertFalse(book.ask(c, e), "the second is an alternate");
        assertFalse(book.ask(c, e));
        RoundBook.Ended failed = book.ended(e.key(), e, false);
        assertSame(c, assertInstanceOf(RoundBook.Retry.class, failed).from());
        assertSame(c, book.fetch(e.key()).from);
        // no alternate left: it is over, counted on the connection that first offered it
        RoundBook.Settled over = assertInstanceOf(RoundBook.Settled.class, book.ended(e.key(), e, false));
        assertSame(a, over.counted());
        assertEquals(1, a.filesDone);
        assertEquals(10, a.bytesDone);
        assertTrue(book.idle());
        assertNull(book.ended(e.key(), e, true), "not asked for any more");
    }

    @Test
    void aClosedAlternateIsNotAsked() {
        Entry e = file("x", "a", 10);
        book.ask(a, e);
        book.ask(c, e);
        shut.add(c);
        assertInstanceOf(RoundBook.Settled.class, book.ended(e.key(), e, false));
    }

    @Test
    void aConnectionClosedLeavesItsFetchesToEndAndIsNobodysAlternate() {
        Entry x = file("x", "a", 1);
        Entry y = file("y", "a", 1);
        book.ask(a, x);
        book.ask(c, x);
        book.ask(c, y);
        List<InboundState.Fetch> orphaned = book.closed(c);
        assertEquals(List.of(y.key()), orphaned.stream().map(f -> f.entry.key()).toList());
        assertTrue(book.fetch(x.key()).alternates.isEmpty());
        assertInstanceOf(RoundBook.Settled.class, book.ended(y.key(), y, false));
        assertFalse(book.sessions().contains(c));
    }

    @Test
    void aRoundIsReadyOnlyOnceItsFilesAreInPlaceAndItsLinksComeWithIt() {
        Entry archive = file("archive/cert2.pem", "a", 100);
        Entry live = link("live/cert.pem", "../archive/cert2.pem");
        assertTrue(book.ask(a, archive));
        book.link(a, live);
        assertEquals(List.of(), book.roundEnded(a, 1, true), "its file is awaited");
        // the next round has nothing to fetch, but waits for the one before
        assertEquals(List.of(), book.roundEnded(a, 2, false));
        assertInstanceOf(RoundBook.Settled.class, book.ended(archive.key(), archive, true));
        List<RoundBook.Ready> ready = book.ready(a);
        assertEquals(2, ready.size());
        assertEquals(1, ready.get(0).round());
        assertEquals(List.of(live), ready.get(0).links(), "the link after the file it points to");
        assertTrue(ready.get(0).firstFull());
        assertEquals(2, ready.get(1).round());
        assertEquals(List.of(), ready.get(1).links());
        assertFalse(ready.get(1).firstFull());
        assertEquals(List.of(), book.ready(a), "each round once");

        // a later full round is not the first
        List<RoundBook.Ready> third = book.roundEnded(a, 3, true);
        assertEquals(1, third.size());
        assertFalse(third.get(0).firstFull());
    }

    @Test
    void aRoundWaitsOnlyForWhatIsStillAwaited() {
        Entry e = file("x", "a", 1);
        book.ask(a, e);
        book.ended(e.key(), e, true);
        assertEquals(1, book.roundEnded(a, 1, false).size(), "its one file arrived before the round's end");
    }

    @Test
    void aRoundOfOneConnectionWaitsForAFileAskedOfAnother() {
        Entry e = file("x", "a", 1);
        book.ask(a, e);
        book.ask(c, e);
        assertEquals(List.of(), book.roundEnded(c, 1, false));
        book.ended(e.key(), e, true);
        assertEquals(1, book.ready(c).size());
    }

    @Test
    void aNewerVersionSupersedesTheOneAskedAndTheProgressCountsTheOldOneDone() {
        Entry v1 = file("x", "a", 10);
        Entry v2 = Entry.edit(v1.key(), v1, "a", 2, "cd".repeat(32), 0644, 20);
        book.ask(a, v1);
        assertTrue(book.ask(c, v2), "another version: asked too");
        assertEquals(1, a.filesDone);
        assertEquals(10, a.bytesDone);
        assertNull(book.ended(v1.key(), v1, true), "the older version is no longer awaited");
        assertInstanceOf(RoundBook.Settled.class, book.ended(v2.key(), v2, true));
    }

    @Test
    void theProgressIsLoggedEverySoOftenAndTheEndOfALargeSyncWithItsDuration() {
        now = 100 * SECOND;
        for (int i = 0; i < RoundBook.LOGGED_SYNC; i++) {
            book.ask(a, file("f" + i, "a", 1));
        }
        assertEquals(new MirrorStatus.Progress(0, 100, 0, 100), book.progress().get("a"));
        assertEquals(100, book.wantedByPeer().get("a")[0]);
        assertFalse(book.progressDue(a));
        now += 6 * SECOND;
        assertTrue(book.progressDue(a));
        assertFalse(book.progressDue(a), "not again so soon");
        assertEquals(List.of(), book.roundEnded(a, 1, true));
        for (int i = 0; i < RoundBook.LOGGED_SYNC; i++) {
            Entry e = file("f" + i, "a", 1);
            book.ended(e.key(), e, true);
        }
        now += 2 * SECOND;
        List<RoundBook.Ready> ready = book.ready(a);
        assertEquals(8000, ready.get(0).completeMillis(), "from the first file asked to the round's end");
        assertFalse(book.progressDue(a), "nothing under way");
        assertTrue(book.wantedByPeer().isEmpty());
        // a new sync counts from zero
        book.ask(a, file("g", "a", 5));
        assertEquals(new MirrorStatus.Progress(0, 1, 0, 5), book.progress().get("a"));
        book.ended(new EntryKey("www", "g"), file("g", "a", 5), true);
        assertEquals(-1, book.roundEnded(a, 2, false).get(0).completeMillis(), "a small sync's end is not logged");
    }

    @Test
    void aRestoredFileIsAskedOutsideAnyRound() {
        Entry e = file("x", "a", 7);
        assertTrue(book.restore(a, e));
        assertFalse(book.restore(a, e), "already asked for");
        assertEquals(1, book.roundEnded(a, 1, false).size(), "no round waits for it");
        assertEquals(7, book.wantedByPeer().get("a")[1]);
    }

    @Test
    void theParkedConfigIsDecidedOnceNothingElseIsAwaited() {
        Entry cfg = file("tandem.yaml", "a", 3);
        Entry other = file("certs/new.pem", "a", 3);
        Receiving rx = new Receiving(cfg, null);
        book.ask(a, other);
        assertNull(book.park(a, rx, List.of("invalid")));
        assertFalse(book.parkedDue(null), "a file that may make it valid is still awaited");
        assertFalse(book.parkedDue(a));
        book.ended(other.key(), other, true);
        assertTrue(book.parkedDue(null));
        assertFalse(book.parkedDue(c), "not from that connection");
        assertTrue(book.parkedDue(a));
        Receiving next = new Receiving(cfg, null);
        assertSame(rx, book.park(c, next, List.of("still invalid")).rx, "the one parked before is dropped");
        assertSame(next, book.unpark().rx);
        assertNull(book.parked());
        assertFalse(book.parkedDue(null));
    }

    @Test
    void anOfferedEntryIsTriagedInOrder() {
        Entry mine = file("x", "b", 10);
        Entry later = Entry.edit(mine.key(), mine, "a", 2, "cd".repeat(32), 0644, 20);
        Entry modeOnly = Entry.edit(mine.key(), mine, "a", 2, mine.hash(), 0600, 10);
        Entry gone = Entry.deletion(mine, "a", 2);
        Entry loser = Entry.edit(mine.key(), null, "a", 1, "ef".repeat(32), 0644, 3);
        java.util.function.Predicate<Entry> noCopy = e -> false;

        assertEquals(RoundBook.Triage.HELD, RoundBook.triage(gone, true, true, true, mine, noCopy, null));
        assertEquals(RoundBook.Triage.NOT_MIRRORED, RoundBook.triage(later, false, false, false, mine, noCopy, null));
        assertEquals(RoundBook.Triage.UNSAFE, RoundBook.triage(later, false, false, true, mine, noCopy, null));
        assertEquals(RoundBook.Triage.HAVE, RoundBook.triage(mine, false, true, true, later, noCopy, null),
                "an older version than this node's");
        assertEquals(RoundBook.Triage.CONTENT, RoundBook.triage(later, false, true, true, mine, noCopy, null));
        assertEquals(RoundBook.Triage.WITHOUT_CONTENT, RoundBook.triage(modeOnly, false, true, true, mine, noCopy, null));
        assertEquals(RoundBook.Triage.WITHOUT_CONTENT, RoundBook.triage(gone, false, true, true, mine, noCopy, null));
        assertEquals(RoundBook.Triage.REFUSED_BEFORE, RoundBook.triage(later, false, true, true, mine, noCopy, later.hash()));
        assertEquals(RoundBook.Triage.LINK, RoundBook.triage(link("y", "x"), false, true, true, null, noCopy, null),
                "a link is never fetched, whatever its resolution");
        // concurrent versions: "b" > "a", so the peer's loses and is kept as a copy, once
        assertEquals(RoundBook.Triage.CONTENT, RoundBook.triage(loser, false, true, true, mine, noCopy, null));
        assertEquals(RoundBook.Triage.HAVE, RoundBook.triage(loser, false, true, true, mine, e -> e == loser, null));
    }
}
