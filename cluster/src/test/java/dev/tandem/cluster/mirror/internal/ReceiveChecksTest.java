package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.mirror.internal.ReceiveChecks.Start;
import org.junit.jupiter.api.Test;

/** What becomes of a file a peer sends, at its start and its end, on plain facts. */
class ReceiveChecksTest {

    private static final EntryKey KEY = new EntryKey("www", "a");
    private static final String H1 = "1".repeat(64);
    private static final String H2 = "2".repeat(64);
    private static final int SMALL = 256 * 1024;
    private static final long LIMIT = 1L << 30;

    private static Entry edit(Entry previous, String node, String hash, long size) {
        return Entry.edit(KEY, previous, node, 0, hash, 0644, size);
    }

    private static ReceiveChecks.Fact notAsked() {
        return () -> {
            throw new AssertionError("the disk is not looked at for this");
        };
    }

    @Test
    void aFileBegunInsideAnotherClosesTheConnectionBeforeAnythingIsLookedAt() {
        assertEquals(Start.CLOSE, ReceiveChecks.start(true, notAsked(), LIMIT, null, edit(null, "b", H1, 1),
                e -> false, SMALL));
    }

    @Test
    void anUnsafePathOrAFileOverTheLimitWritesNothing() {
        Entry big = edit(null, "b", H1, LIMIT + 1);
        assertEquals(Start.UNSAFE_PATH, ReceiveChecks.start(false, () -> false, LIMIT, null, big, e -> false, SMALL),
                "the path is judged first");
        assertEquals(Start.TOO_LARGE, ReceiveChecks.start(false, () -> true, LIMIT, null, big, e -> false, SMALL));
    }

    @Test
    void aVersionNoLongerNeededIsDroppedAndALosingOneOnlyUntilItsCopyIsKept() {
        Entry a1 = edit(null, "a", H1, 5);
        Entry a2 = edit(a1, "a", H2, 5);
        assertEquals(Start.NOT_NEEDED, ReceiveChecks.start(false, () -> true, LIMIT, a2, a1, e -> false, SMALL),
                "an edit here meanwhile includes it");
        Entry here = edit(edit(a1, "c", H1, 5), "c", H2, 5);
        Entry peers = edit(a1, "b", "3".repeat(64), 5);
        assertEquals(Resolution.KEEP_SAVE_REMOTE, Resolution.of(here, peers));
        assertEquals(Start.IN_MEMORY, ReceiveChecks.start(false, () -> true, LIMIT, here, peers, e -> false, SMALL),
                "the loser is received, to be kept beside as a conflict copy");
        assertEquals(Start.NOT_NEEDED, ReceiveChecks.start(false, () -> true, LIMIT, here, peers, e -> true, SMALL));
    }

    @Test
    void smallFilesAreReceivedIntoMemoryTheRestIntoATemporaryFile() {
        assertEquals(Start.IN_MEMORY, ReceiveChecks.start(false, () -> true, LIMIT, null, edit(null, "b", H1, SMALL),
                e -> false, SMALL));
        assertEquals(Start.TO_FILE, ReceiveChecks.start(false, () -> true, LIMIT, null, edit(null, "b", H1, SMALL + 1),
                e -> false, SMALL));
    }

    @Test
    void aFileIsKeptOnlyWithTheLengthAndHashOfItsVersion() {
        Entry e = edit(null, "b", H1, 5);
        assertTrue(ReceiveChecks.complete(e, 5, H1));
        assertFalse(ReceiveChecks.complete(e, 4, H1), "cut short");
        assertFalse(ReceiveChecks.complete(e, 5, H2), "another content");
    }
}
