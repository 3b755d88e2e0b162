package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Version vectors and the decisions taken on them: the same on every node, whatever the order of arrival. */
class ResolutionTest {

    private static final EntryKey KEY = new EntryKey("tandem.yaml", "");
    private static final String H1 = "1".repeat(64);
    private static final String H2 = "2".repeat(64);
    private static final String H3 = "3".repeat(64);

    private static Entry edit(Entry previous, String node, String hash) {
        return Entry.edit(KEY, previous, node, 0, hash, 0644, 10);
    }

    @Test
    void anEditIncludesWhatItReplaced() {
        Entry a1 = edit(null, "a", H1);
        Entry b2 = edit(a1, "b", H2);
        assertEquals(1, a1.version());
        assertEquals(2, b2.version());
        assertEquals("a:1,b:2", b2.vector().toString());
        assertEquals(VersionVector.Order.BEFORE, a1.vector().compare(b2.vector()));
        assertEquals(VersionVector.Order.AFTER, b2.vector().compare(a1.vector()));
        assertEquals(Resolution.TAKE, Resolution.of(a1, b2));
        assertEquals(Resolution.KEEP, Resolution.of(b2, a1));
        assertEquals(Resolution.KEEP, Resolution.of(b2, b2));
        assertEquals(Resolution.TAKE, Resolution.of(null, a1));
    }

    @Test
    void aNodeThatMissedVersionsTakesTheLatestWithoutAConflict() {
        Entry a1 = edit(null, "a", H1);
        Entry b2 = edit(a1, "b", H2);
        Entry a3 = edit(b2, "a", H3);
        // c was away since a1: a3 has a higher version and includes a1, an update
        assertEquals(Resolution.TAKE, Resolution.of(a1, a3));
    }

    @Test
    void concurrentEditsResolveTheSameWayOnBothSides() {
        Entry base = edit(null, "a", H1);
        Entry a = edit(base, "a", H2);
        Entry b = edit(base, "b", H3);
        assertEquals(2, a.version());
        assertEquals(2, b.version());
        assertEquals(VersionVector.Order.CONCURRENT, a.vector().compare(b.vector()));
        // same version: the greater node name wins, everywhere
        assertEquals(Resolution.TAKE_KEEP_LOCAL, Resolution.of(a, b));
        assertEquals(Resolution.KEEP_SAVE_REMOTE, Resolution.of(b, a));
        assertTrue(Resolution.TAKE_KEEP_LOCAL.needsContent(a, b));
        assertTrue(Resolution.KEEP_SAVE_REMOTE.needsContent(b, a));

        // a higher version wins over the node name
        Entry a3 = edit(a, "a", H1);
        assertEquals(Resolution.KEEP_SAVE_REMOTE, Resolution.of(a3, b));
        assertEquals(Resolution.TAKE_KEEP_LOCAL, Resolution.of(b, a3));
        assertEquals("x.yaml.conflict-b-2", b.conflictName("x.yaml"));
    }

    @Test
    void oneVersionWithTwoContentsIsDecidedAsConcurrentEditsAre() {
        // b edited after a1 and sent it; b was then restored from a backup of before, and edited again: its
        // counter went back, and the new edit has the very vector of the one sent
        Entry a1 = edit(null, "a", H1);
        Entry sent = edit(a1, "b", H2);
        Entry again = edit(a1, "b", H3);
        assertEquals(VersionVector.Order.EQUAL, sent.vector().compare(again.vector()));
        // the greater hash wins (H3), on both sides, and the other is kept
        assertEquals(Resolution.TAKE_KEEP_LOCAL, Resolution.of(sent, again));
        assertEquals(Resolution.KEEP_SAVE_REMOTE, Resolution.of(again, sent));
        assertTrue(Resolution.TAKE_KEEP_LOCAL.needsContent(sent, again));
        assertTrue(Resolution.KEEP_SAVE_REMOTE.needsContent(again, sent));
        // a file wins over a deletion of the same vector: nothing is lost
        Entry gone = Entry.deletion(a1, "b", 0);
        assertEquals(VersionVector.Order.EQUAL, sent.vector().compare(gone.vector()));
        assertEquals(Resolution.KEEP, Resolution.of(sent, gone));
        assertEquals(Resolution.TAKE, Resolution.of(gone, sent));
        // the same content under one vector is the same version
        assertEquals(Resolution.KEEP, Resolution.of(sent, edit(a1, "b", H2)));
    }

    @Test
    void theSameEditOnTwoNodesIsNoConflict() {
        Entry a = edit(null, "a", H1);
        Entry b = edit(null, "b", H1);
        assertEquals(Resolution.ADOPT, Resolution.of(a, b));
        assertEquals(Resolution.KEEP, Resolution.of(b, a));
        assertFalse(Resolution.ADOPT.needsContent(a, b));
    }

    @Test
    void deletions() {
        Entry a1 = edit(null, "a", H1);
        Entry gone = Entry.deletion(a1, "b", 0);
        assertTrue(gone.deleted());
        assertEquals(Resolution.TAKE, Resolution.of(a1, gone));
        assertFalse(Resolution.TAKE.needsContent(a1, gone));
        // deleted on b while edited on a: the edit (a, same version) loses to b's name, and is kept
        Entry edited = edit(a1, "a", H2);
        assertEquals(Resolution.TAKE_KEEP_LOCAL, Resolution.of(edited, gone));
        // a deletion that loses keeps nothing: there is nothing to keep
        Entry c = edit(a1, "c", H3);
        assertEquals(Resolution.KEEP, Resolution.of(c, gone));
        // a deleted local version losing to an edit: just take the edit
        assertEquals(Resolution.TAKE, Resolution.of(gone, c));
        // re-created after the deletion: includes it
        Entry back = edit(gone, "a", H3);
        assertEquals(Resolution.TAKE, Resolution.of(gone, back));
    }

    @Test
    void aModeChangeNeedsNoContent() {
        Entry a1 = edit(null, "a", H1);
        Entry chmod = new Entry(KEY, 2, "b", a1.vector().edit("b"), 0, H1, false, 0600, 10);
        assertEquals(Resolution.TAKE, Resolution.of(a1, chmod));
        assertFalse(Resolution.TAKE.needsContent(a1, chmod));
    }

    @Test
    void entriesAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new Entry(KEY, 3, "a", VersionVector.EMPTY.edit("a"), 0, H1,
                false, 0644, 1));
        assertThrows(IllegalArgumentException.class, () -> new Entry(KEY, 1, "a", VersionVector.EMPTY.edit("a"), 0, "xy",
                false, 0644, 1));
    }
}
