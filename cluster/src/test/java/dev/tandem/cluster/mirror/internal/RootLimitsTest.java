package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tandem.conf.MirrorLimits;
import org.junit.jupiter.api.Test;

class RootLimitsTest {

    private static final String HASH = "a".repeat(64);
    private final MirrorTable table = new MirrorTable();
    private final RootLimits limits = new RootLimits(new MirrorLimits(100, 3, 250));

    private Entry file(String rel, long size) {
        return Entry.edit(new EntryKey("www", rel), null, "lb1", 1, HASH, 0644, size);
    }

    @Test
    void aFileOverTheSizeLimitIsRefusedAndOneAtItIsNot() {
        assertEquals(MirrorMetrics.FILE_TOO_LARGE, limits.check(new EntryKey("www", "big"), 101, null,
                table.usage("www")).reason());
        assertNull(limits.check(new EntryKey("www", "big"), 100, null, table.usage("www")));
    }

    @Test
    void aNewFileBeyondTheCountIsRefusedButAnEditOfOneThereIsNot() {
        Entry a = file("a", 10);
        table.put(a, null, 0);
        table.put(file("b", 10), null, 0);
        table.put(file("c", 10), null, 0);
        assertEquals(MirrorMetrics.TOO_MANY_FILES, limits.check(new EntryKey("www", "d"), 1, null, table.usage("www")).reason());
        assertNull(limits.check(a.key(), 50, a, table.usage("www")), "an edit adds no file");
        // a deleted file frees its place
        table.put(Entry.deletion(a, "lb1", 2), null, 0);
        assertNull(limits.check(new EntryKey("www", "d"), 1, null, table.usage("www")));
        // another root counts on its own
        assertNull(limits.check(new EntryKey("certs", "x"), 1, null, table.usage("certs")));
    }

    @Test
    void aChangeThatWouldGoOverTheTotalIsRefusedAndAShrinkingOneNever() {
        Entry a = file("a", 100);
        table.put(a, null, 0);
        table.put(file("b", 100), null, 0);
        assertEquals(MirrorMetrics.TOO_MANY_BYTES, limits.check(new EntryKey("www", "c"), 51, null, table.usage("www")).reason());
        assertNull(limits.check(new EntryKey("www", "c"), 50, null, table.usage("www")));
        assertNull(limits.check(a.key(), 40, a, table.usage("www")));
    }

    @Test
    void filesAskedForCountUntilSettled() {
        Entry a = file("a", 100);
        Entry b = file("b", 100);
        Entry c = file("c", 60);
        assertNull(limits.admit(a, null, table.usage("www")));
        assertNull(limits.admit(b, null, table.usage("www")));
        assertEquals(MirrorMetrics.TOO_MANY_BYTES, limits.admit(c, null, table.usage("www")).reason(),
                "the two asked for count before they are written");
        assertNull(limits.admit(a, null, table.usage("www")), "asking again for one counts it once");
        limits.settled(a.key());
        limits.settled(b.key());
        assertNull(limits.admit(c, null, table.usage("www")));
        // an edit asked for counts only what it adds
        table.put(a, null, 0);
        table.put(b, null, 0);
        limits.settled(c.key());
        Entry a2 = Entry.edit(a.key(), a, "lb2", 2, HASH, 0644, 50);
        assertNull(limits.admit(a2, a, table.usage("www")));
        assertNull(limits.admit(c, null, table.usage("www")), "a shrinking edit asked for makes room");
    }
}
