package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a change seen on local disk means: decided from plain facts, on a clock the test sets. */
class LocalScanTest {

    private static final EntryKey KEY = new EntryKey("www", "index.html");
    private static final String HASH = "a".repeat(64);
    private static final String OTHER = "b".repeat(64);
    private static final long T0 = 1_000_000_000L;

    /** A file last written at T0 (mtime in nanos). */
    private static FileStore.Stat stat(long size, int mode) {
        return new FileStore.Stat(size, T0 * 1_000_000, T0 * 1_000_000, 7, mode, 0, 0, false);
    }

    private static final FileStore.Stat STAT = stat(10, 0644);
    private static final Entry RECORDED = Entry.edit(KEY, null, "n1", T0, HASH, 0644, 10, "root", "root");

    private static LocalScan.Facts facts(FileStore.Stat now, FileStore.Stat installed, Entry recorded,
                                         FileStore.Stat recordedStat, long hashedAt, boolean force,
                                         boolean rootPresent, boolean config) {
        return new LocalScan.Facts(KEY, now, installed, recorded, recordedStat, hashedAt, force, rootPresent, config,
                T0 + 5_000);
    }

    private static LocalScan.Facts present(FileStore.Stat now, long hashedAt, boolean force) {
        return facts(now, null, RECORDED, STAT, hashedAt, force, true, false);
    }

    @Test
    void theEnginesOwnInstallIsNothing() {
        assertEquals(LocalScan.Look.OWN_INSTALL, LocalScan.look(facts(STAT, STAT, RECORDED, STAT, T0, true, true, false)));
        assertEquals(LocalScan.Look.PRESENT, LocalScan.look(facts(STAT, stat(11, 0644), RECORDED, STAT, T0, true, true, false)),
                "a later write over the installed file is looked at");
    }

    @Test
    void aRecordedFileGoneIsADeletionByThisNodeAtTheClocksTime() {
        LocalScan.Facts f = facts(null, null, RECORDED, STAT, T0, false, true, false);
        assertEquals(LocalScan.Look.DELETED, LocalScan.look(f));
        Entry d = LocalScan.deletion(f, "n2");
        assertTrue(d.deleted());
        assertEquals("n2", d.origin());
        assertEquals(T0 + 5_000, d.changedAt());
        assertTrue(d.vector().get("n1") == 1 && d.vector().get("n2") == 2, "succeeds the recorded version");
    }

    @Test
    void goneWithoutAVersionOrAlreadyDeletedIsNothing() {
        assertEquals(LocalScan.Look.NOTHING_GONE, LocalScan.look(facts(null, null, null, null, 0, false, true, false)));
        Entry tomb = Entry.deletion(RECORDED, "n1", T0);
        assertEquals(LocalScan.Look.NOTHING_GONE, LocalScan.look(facts(null, null, tomb, STAT, T0, false, true, false)));
    }

    @Test
    void aFileGoneWithItsWholeRootIsNotADeletion() {
        assertEquals(LocalScan.Look.ROOT_GONE, LocalScan.look(facts(null, null, RECORDED, STAT, T0, false, false, false)));
        LocalScan.Facts theRootItself = new LocalScan.Facts(new EntryKey("etc", ""), null, null,
                Entry.edit(new EntryKey("etc", ""), null, "n1", T0, HASH, 0644, 10), STAT, T0, false, false, false, T0);
        assertEquals(LocalScan.Look.DELETED, LocalScan.look(theRootItself), "a root that is one file is that file");
    }

    @Test
    void theConfigFileDeletedIsRefused() {
        assertEquals(LocalScan.Look.CONFIG_GONE, LocalScan.look(facts(null, null, RECORDED, STAT, T0, false, true, true)));
    }

    @Test
    void theStatAloneSaysUnchangedOnlyWhenHashedWellAfterTheMtimeAndNoEventCame() {
        assertTrue(LocalScan.statUnchanged(present(STAT, T0 + LocalScan.RACY_MILLIS + 1, false)));
        assertFalse(LocalScan.statUnchanged(present(STAT, T0 + LocalScan.RACY_MILLIS, false)),
                "hashed within the racy window: an edit in the same tick would not show");
        assertFalse(LocalScan.statUnchanged(present(STAT, T0 + 60_000, true)), "a file event came: hash it");
        assertFalse(LocalScan.statUnchanged(present(stat(11, 0644), T0 + 60_000, false)));
        assertFalse(LocalScan.statUnchanged(facts(STAT, null, null, null, T0 + 60_000, false, true, false)),
                "no version recorded");
    }

    @Test
    void aStatThatMovedWhileHashingIsStillBeingWritten() {
        assertEquals(LocalScan.Content.CHANGING, LocalScan.content(present(STAT, T0, true), HASH, stat(12, 0644), false));
    }

    @Test
    void theSameContentModeAndOwnersOnlyRestats() {
        assertEquals(LocalScan.Content.SAME, LocalScan.content(present(STAT, T0, true), HASH, STAT, false));
    }

    @Test
    void anotherContentModeOrOwnerIsAnEditOfThisNode() {
        assertEquals(LocalScan.Content.EDITED, LocalScan.content(present(STAT, T0, true), OTHER, STAT, false));
        FileStore.Stat chmod = stat(10, 0600);
        assertEquals(LocalScan.Content.EDITED, LocalScan.content(present(chmod, T0, true), HASH, chmod, false));
        assertEquals(LocalScan.Content.EDITED, LocalScan.content(present(STAT, T0, true), HASH, STAT, true));
        Entry tomb = Entry.deletion(RECORDED, "n1", T0);
        assertEquals(LocalScan.Content.EDITED,
                LocalScan.content(facts(STAT, null, tomb, STAT, T0, true, true, false), HASH, STAT, false),
                "a deleted file back with its old content is a new version");
        assertEquals(LocalScan.Content.EDITED,
                LocalScan.content(facts(STAT, null, null, null, 0, true, true, false), HASH, STAT, false));

        Entry e = LocalScan.edit(present(chmod, T0, true), "n2", OTHER, "www-data", "www-data");
        assertEquals(OTHER, e.hash());
        assertEquals(0600, e.mode());
        assertEquals(10, e.size());
        assertEquals("www-data", e.owner());
        assertEquals(T0 + 5_000, e.changedAt());
        assertEquals("n2", e.origin());
        assertEquals(1, e.vector().get("n1"));
    }

    @Test
    void aWalkLooksAgainAtTheLiveEntriesItDidNotSee() {
        Entry seen = RECORDED;
        Entry missed = Entry.edit(new EntryKey("www", "gone.html"), null, "n1", T0, HASH, 0644, 10);
        Entry tomb = Entry.deletion(Entry.edit(new EntryKey("www", "old.html"), null, "n1", T0, HASH, 0644, 10), "n1", T0);
        Set<EntryKey> walked = Set.of(KEY);
        assertFalse(LocalScan.unseen(seen, walked));
        assertTrue(LocalScan.unseen(missed, walked));
        assertFalse(LocalScan.unseen(tomb, walked), "deleted already");
    }

    @Test
    void aDirectoryGoneMeansTheLiveEntriesUnderIt() {
        EntryKey dir = new EntryKey("www", "img");
        Entry itself = Entry.edit(dir, null, "n1", T0, HASH, 0644, 10);
        Entry under = Entry.edit(new EntryKey("www", "img/a.png"), null, "n1", T0, HASH, 0644, 10);
        Entry tomb = Entry.deletion(Entry.edit(new EntryKey("www", "img/b.png"), null, "n1", T0, HASH, 0644, 10), "n1", T0);
        assertFalse(LocalScan.underGone(dir, itself), "the path itself was looked at already");
        assertTrue(LocalScan.underGone(dir, under));
        assertFalse(LocalScan.underGone(dir, tomb));
    }

    @Test
    void aWalkLooksAtFilesAndLinksAndSetsTemporaryFilesApart() {
        assertEquals(LocalScan.Visit.LOOK, LocalScan.visit("index.html", true, false));
        assertEquals(LocalScan.Visit.LOOK, LocalScan.visit("cert.pem", false, true));
        assertEquals(LocalScan.Visit.NOT_MIRRORED, LocalScan.visit("fifo", false, false));
        String temp = "." + "x.html" + FileStore.TEMP_MARK + "1" + FileStore.TEMP_SUFFIX;
        assertTrue(FileStore.isTemp(temp));
        assertEquals(LocalScan.Visit.TEMP, LocalScan.visit(temp, true, false));
    }

    @Test
    void aBurstWaitsForQuietButNotPastItsCap() {
        long ms = 1_000_000L;
        assertEquals(200 * ms, LocalScan.debounceNanos(200 * ms, 0, 0), "just begun: the debounce time");
        assertEquals(200 * ms, LocalScan.debounceNanos(200 * ms, 0, 1_500 * ms));
        assertEquals(100 * ms, LocalScan.debounceNanos(200 * ms, 0, 1_900 * ms), "cap ten times the debounce");
        assertEquals(0, LocalScan.debounceNanos(200 * ms, 0, 5_000 * ms), "past the cap: at once");
        assertEquals(50 * ms, LocalScan.debounceNanos(50 * ms, 0, 400 * ms), "at most 50 ms left of 1 s");
        assertEquals(0, LocalScan.debounceNanos(50 * ms, 0, 1_000 * ms), "the cap is at least a second");
        assertEquals(30 * ms, LocalScan.debounceNanos(50 * ms, 0, 970 * ms));
    }
}
