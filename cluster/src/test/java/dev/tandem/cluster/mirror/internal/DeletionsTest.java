package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Deletions found here and received in a round, judged per root by the guard on a clock the test moves. */
class DeletionsTest {

    private static final String H = "a".repeat(64);

    private final AtomicLong now = new AtomicLong(10_000);
    private final Deletions deletions = new Deletions(new DeletionGuard(DeletionGuard.Limits.DEFAULT, now::get));
    private final Map<EntryKey, Entry> here = new HashMap<>();

    private Entry file(String root, int i) {
        EntryKey k = new EntryKey(root, "f" + i);
        Entry e = Entry.edit(k, null, "lb1", 0, H, 0644, 1);
        here.put(k, e);
        return e;
    }

    private int files(String root) {
        return (int) here.keySet().stream().filter(k -> k.root().equals(root)).count();
    }

    @Test
    void aFewDeletionsFoundHereAreRecordedAndTheRestOfAnotherRootIsHeld() {
        for (int i = 0; i < 20; i++) {
            file("www", i);
            file("certs", i);
        }
        for (int i = 0; i < 3; i++) {
            deletions.found(new EntryKey("www", "f" + i), Entry.deletion(here.get(new EntryKey("www", "f" + i)), "lb1", 1));
        }
        for (int i = 0; i < 20; i++) {
            deletions.found(new EntryKey("certs", "f" + i), Entry.deletion(here.get(new EntryKey("certs", "f" + i)), "lb1", 1));
        }
        deletions.notGone(new EntryKey("www", "f2"));
        List<Deletions.Command> out = deletions.judgeFound(this::files);
        assertEquals(3, out.size(), out.toString());
        assertTrue(out.get(0) instanceof Deletions.Record r && r.deletion().key().equals(new EntryKey("www", "f0")));
        assertTrue(out.get(1) instanceof Deletions.Record r && r.deletion().key().equals(new EntryKey("www", "f1")));
        assertEquals(new Deletions.Held("certs", "here"), out.get(2));
        assertTrue(deletions.guard().held(new EntryKey("certs", "f7")));
        assertEquals(List.of(), deletions.judgeFound(this::files), "judged once");
    }

    @Test
    void aPeersRoundCountsInTheWindowWithThisNodesDeletions() {
        for (int i = 0; i < 40; i++) {
            file("www", i);
        }
        for (int i = 0; i < 10; i++) {
            deletions.found(new EntryKey("www", "f" + i), Entry.deletion(here.get(new EntryKey("www", "f" + i)), "lb1", 1));
        }
        assertEquals(10, deletions.judgeFound(this::files).size());
        for (int i = 0; i < 10; i++) {
            here.remove(new EntryKey("www", "f" + i));
        }
        now.addAndGet(60_000);
        Map<EntryKey, Entry> round = new LinkedHashMap<>();
        for (int i = 10; i < 21; i++) {
            Entry e = here.get(new EntryKey("www", "f" + i));
            round.put(e.key(), Entry.deletion(e, "lb2", 2));
        }
        List<Deletions.Command> out = deletions.judgeRound(round, "lb2", here::get, k -> false, this::files);
        assertEquals(List.of(new Deletions.Held("www", "lb2")), out, "21 of 40 within five minutes");

        now.addAndGet(DeletionGuard.Limits.DEFAULT.windowMillis());
        assertTrue(deletions.offeredAgain(new EntryKey("www", "f10"), "lb2"), "the peer offers a file of its hold again");
        assertFalse(deletions.offeredAgain(new EntryKey("www", "f10"), "lb2"));
        assertFalse(deletions.offeredAgain(new EntryKey("www", "f11"), "lb3"), "not that peer's hold");
    }

    @Test
    void onlyDeletionsOfFilesLiveHereCount() {
        Entry live = file("www", 1);
        Entry newer = Entry.edit(live.key(), Entry.deletion(live, "lb2", 1), "lb1", 2, H, 0644, 1);
        assertTrue(Deletions.deletesHere(Entry.deletion(live, "lb2", 1), live, false));
        assertFalse(Deletions.deletesHere(Entry.deletion(live, "lb2", 1), newer, false), "an edit after the deletion wins");
        assertFalse(Deletions.deletesHere(Entry.deletion(live, "lb2", 1), Entry.deletion(live, "lb1", 1), false));
        assertTrue(Deletions.deletesHere(Entry.deletion(live, "lb2", 1), null, true), "a file waiting for the peers' versions");
        assertFalse(Deletions.deletesHere(Entry.deletion(live, "lb2", 1), null, false));

        Map<EntryKey, Entry> round = new LinkedHashMap<>();
        round.put(live.key(), Entry.deletion(live, "lb2", 1));
        here.put(live.key(), newer);
        for (int i = 2; i < 5; i++) {
            file("www", i);
        }
        assertEquals(List.of(), deletions.judgeRound(round, "lb2", here::get, k -> false, this::files),
                "the file was edited here meanwhile: nothing to apply");
    }

    /** Holds every file of {@code root} ({@code n} of them) as a mass deletion by {@code from}. */
    private DeletionGuard.Hold holdAll(String root, int n, String from) {
        Map<EntryKey, Entry> round = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            Entry e = file(root, i);
            if (!"here".equals(from)) {
                round.put(e.key(), Entry.deletion(e, from, 2));
            }
        }
        if ("here".equals(from)) {
            for (int i = 0; i < n; i++) {
                EntryKey k = new EntryKey(root, "f" + i);
                deletions.found(k, Entry.deletion(here.get(k), "lb1", 2));
            }
            assertEquals(List.of(new Deletions.Held(root, "here")), deletions.judgeFound(this::files));
        } else {
            assertEquals(List.of(new Deletions.Held(root, from)),
                    deletions.judgeRound(round, from, here::get, k -> false, this::files));
        }
        return deletions.guard().release(root);
    }

    @Test
    void confirmOfThisNodesHoldOffersTombstonesOnlyForFilesStillGone() {
        DeletionGuard.Hold h = holdAll("www", 12, "here");
        EntryKey back = new EntryKey("www", "f3");
        EntryKey unmapped = new EntryKey("www", "f4");
        EntryKey deletedSince = new EntryKey("www", "f5");
        here.put(deletedSince, Entry.deletion(here.get(deletedSince), "lb2", 3));
        now.addAndGet(60_000);
        List<Deletions.Command> out = Deletions.confirmed(h, here::get, k -> !k.equals(unmapped), k -> !k.equals(back),
                false, "lb1", now.get());
        assertEquals(9, out.size(), "12 held, one back, one not mirrored any more, one deleted already");
        for (Deletions.Command c : out) {
            Entry tomb = ((Deletions.Record) c).deletion();
            assertTrue(tomb.deleted() && tomb.confirmed(), "a confirmed tombstone passes the peers' guard");
            assertEquals("lb1", tomb.origin());
            assertEquals(now.get(), tomb.changedAt());
            assertEquals(here.get(tomb.key()).vector().edit("lb1"), tomb.vector(), "it supersedes the version here");
        }
    }

    @Test
    void confirmOfAPeersHoldAppliesItsDeletionsOnlyWhileThatPeerIsConnected() {
        DeletionGuard.Hold h = holdAll("certs", 12, "lb2");
        assertEquals(List.of(), Deletions.confirmed(h, here::get, k -> true, k -> {
            throw new AssertionError("a peer's deletion is not looked for on disk");
        }, false, "lb1", now.get()));
        List<Deletions.Command> out = Deletions.confirmed(h, here::get, k -> true, k -> false, true, "lb1", now.get());
        assertEquals(12, out.size());
        assertEquals(new Deletions.Apply(h.keys.get(new EntryKey("certs", "f0"))), out.get(0));
    }

    @Test
    void restoreAsksForTheFilesStillLiveHereThatAreNotUnderWay() {
        DeletionGuard.Hold h = holdAll("www", 12, "here");
        EntryKey fetching = new EntryKey("www", "f1");
        EntryKey deletedSince = new EntryKey("www", "f2");
        here.put(deletedSince, Entry.deletion(here.get(deletedSince), "lb2", 3));
        List<Entry> asked = Deletions.toRestore(h, here::get, fetching::equals);
        assertEquals(10, asked.size());
        assertFalse(asked.stream().anyMatch(e -> e.key().equals(fetching) || e.key().equals(deletedSince)));
        assertEquals(here.get(new EntryKey("www", "f0")), asked.get(0), "asked by the version here");
    }
}
