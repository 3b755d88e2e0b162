package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tandem.cluster.mirror.internal.OfferTriage.Adopt;
import dev.tandem.cluster.mirror.internal.OfferTriage.Apply;
import dev.tandem.cluster.mirror.internal.OfferTriage.DeferDeletion;
import dev.tandem.cluster.mirror.internal.OfferTriage.Fetch;
import dev.tandem.cluster.mirror.internal.OfferTriage.Link;
import dev.tandem.cluster.mirror.internal.OfferTriage.NotMirrored;
import dev.tandem.cluster.mirror.internal.OfferTriage.Reoffered;
import dev.tandem.cluster.mirror.internal.OfferTriage.Unsafe;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What becomes of a peer's offer, entry by entry, on plain facts. */
class OfferTriageTest {

    private static final String H1 = "1".repeat(64);
    private static final String H2 = "2".repeat(64);

    /** What this node knows, as plain values; the disk's one fact is counted, to see it asked only when it matters. */
    private static final class Facts implements OfferTriage.Known {
        final Map<EntryKey, Entry> table = new HashMap<>();
        final Set<String> roots = new HashSet<>(Set.of("www"));
        final Set<EntryKey> unsafe = new HashSet<>();
        final Set<EntryKey> waiting = new HashSet<>();
        final Set<Entry> conflictCopies = new HashSet<>();
        final Map<EntryKey, String> refused = new HashMap<>();
        final Map<EntryKey, String> onDisk = new HashMap<>();
        int hashed;

        @Override
        public Entry local(EntryKey key) {
            return table.get(key);
        }

        @Override
        public boolean pathHere(EntryKey key) {
            return roots.contains(key.root()) && !unsafe.contains(key);
        }

        @Override
        public boolean rootHere(String root) {
            return roots.contains(root);
        }

        @Override
        public boolean waitingWithoutHistory(EntryKey key) {
            return waiting.contains(key);
        }

        @Override
        public boolean conflictKept(Entry e) {
            return conflictCopies.contains(e);
        }

        @Override
        public String refusedHash(EntryKey key) {
            return refused.get(key);
        }

        @Override
        public boolean sameContentHere(Entry e) {
            hashed++;
            return e.hash().equals(onDisk.get(e.key()));
        }
    }

    private final Facts k = new Facts();

    private static EntryKey key(String rel) {
        return new EntryKey("www", rel);
    }

    private static Entry edit(Entry previous, String rel, String node, String hash) {
        return Entry.edit(key(rel), previous, node, 0, hash, 0644, 10);
    }

    @Test
    void aPeersDeletionOfALiveFileWaitsForTheEndOfItsRoundAndTheGuard() {
        Entry a = edit(null, "a", "b", H1);
        k.table.put(a.key(), a);
        Entry gone = Entry.deletion(a, "b", 0);
        Entry neverHere = Entry.deletion(edit(null, "n", "b", H1), "b", 0);
        Entry confirmed = Entry.confirmedDeletion(a, "b", 0);
        assertEquals(List.of(new DeferDeletion(gone), new Apply(neverHere)),
                OfferTriage.of(List.of(gone, neverHere), k),
                "a deletion of nothing here is only recorded, at once");
        assertEquals(List.of(new Apply(confirmed)), OfferTriage.of(List.of(confirmed), k),
                "a deletion an operator confirmed passed the guard on its node: applied at once");
    }

    @Test
    void aDeletionThatLosesToAnEditHereIsNotDeferredAndNothingIsDone() {
        Entry a = edit(null, "a", "b", H1);
        Entry gone = Entry.deletion(a, "b", 0);
        Entry here = Entry.edit(a.key(), gone, "c", 0, H2, 0644, 10);
        k.table.put(a.key(), here);
        // the file was made again here after the deletion came: the peer offers the deletion it still has
        assertEquals(List.of(), OfferTriage.of(List.of(gone), k));
    }

    @Test
    void aFileOfferedAgainEndsTheRoundsDeletionOfItAndAFileWithoutVersionWaitingIsADeletionHere() {
        Entry a = edit(null, "a", "b", H1);
        k.waiting.add(a.key());
        Entry gone = Entry.deletion(a, "b", 0);
        assertEquals(List.of(new DeferDeletion(gone)), OfferTriage.of(List.of(gone), k),
                "first sync: a file with no version here that the peer deleted passes the guard too");
        k.table.put(a.key(), a);
        assertEquals(List.of(new Reoffered(a.key())), OfferTriage.of(List.of(a), k), "had already: nothing else");
    }

    @Test
    void firstSyncAFileWithoutVersionTakesTheOfferedVersionWhenItHoldsItsContentElseItIsFetched() {
        Entry same = edit(null, "same", "b", H1);
        Entry other = edit(null, "other", "b", H1);
        k.waiting.add(same.key());
        k.waiting.add(other.key());
        k.onDisk.put(same.key(), H1);
        k.onDisk.put(other.key(), H2);
        assertEquals(List.of(new Reoffered(same.key()), new Reoffered(other.key()), new Adopt(same), new Fetch(other)),
                OfferTriage.of(List.of(same, other), k));
        assertEquals(2, k.hashed);
        assertEquals(new Fetch(same), OfferTriage.entry(same, k, false), "taking the version failed: it is fetched");
        assertEquals(2, k.hashed, "not hashed again");
    }

    @Test
    void aFileWithAVersionHereIsNeverHashedForTheTriage() {
        Entry a = edit(null, "a", "b", H1);
        k.table.put(a.key(), a);
        Entry newer = edit(a, "a", "b", H2);
        assertEquals(new Fetch(newer), OfferTriage.entry(newer, k, true));
        assertEquals(0, k.hashed);
        Entry linkWaiting = Entry.link(key("l"), null, "b", 0, "a", "", "");
        k.waiting.add(linkWaiting.key());
        assertEquals(new Link(linkWaiting), OfferTriage.entry(linkWaiting, k, true), "a link waits for its round's files");
        assertEquals(0, k.hashed);
    }

    @Test
    void aConcurrentEditThatLosesIsFetchedOnceAsAConflictCopy() {
        Entry base = edit(null, "a", "a", H1);
        Entry here = edit(edit(base, "a", "c", H1), "a", "c", H2);
        k.table.put(here.key(), here);
        Entry peers = edit(base, "a", "b", "3".repeat(64));
        assertEquals(Resolution.KEEP_SAVE_REMOTE, Resolution.of(here, peers));
        assertEquals(new Fetch(peers), OfferTriage.entry(peers, k, true), "its content is kept beside the file");
        k.conflictCopies.add(peers);
        assertNull(OfferTriage.entry(peers, k, true), "kept already");
    }

    @Test
    void pathsNotMirroredAreIgnoredAndPathsLeavingTheirRootCountedOnceAnOffer() {
        Entry other = Entry.edit(new EntryKey("elsewhere", "x"), null, "b", 0, H1, 0644, 1);
        Entry up1 = edit(null, "../../etc/passwd", "b", H1);
        Entry up2 = edit(null, "../../etc/shadow", "b", H1);
        k.unsafe.add(up1.key());
        k.unsafe.add(up2.key());
        assertEquals(List.of(new Reoffered(other.key()), new Reoffered(up1.key()), new Reoffered(up2.key()),
                new NotMirrored(other), new Unsafe()), OfferTriage.of(List.of(other, up1, up2), k));
    }

    @Test
    void aConfigRefusedBeforeIsNotAskedForAgain() {
        Entry cfg = edit(null, "a", "b", H1);
        k.refused.put(cfg.key(), H1);
        assertNull(OfferTriage.entry(cfg, k, true));
        Entry fixed = edit(cfg, "a", "b", H2);
        assertEquals(new Fetch(fixed), OfferTriage.entry(fixed, k, true), "another content is");
    }

    @Test
    void aModeOrTheSameContentIsAppliedAtOnce() {
        Entry a = edit(null, "a", "a", H1);
        k.table.put(a.key(), a);
        Entry chmod = new Entry(a.key(), 2, "b", a.vector().edit("b"), 0, H1, false, 0600, 10);
        assertEquals(new Apply(chmod), OfferTriage.entry(chmod, k, true));
    }
}
