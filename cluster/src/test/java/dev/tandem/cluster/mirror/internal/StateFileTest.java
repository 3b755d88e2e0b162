package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateFileTest {

    @Test
    void versionsStatsAndConflictsSurviveARestart(@TempDir Path dir) throws IOException {
        MirrorTable t = new MirrorTable();
        EntryKey odd = new EntryKey("/var/www", "a dir/tab\there%20/new\nline.txt");
        Entry e1 = Entry.edit(odd, null, "lb1", 1000, "a".repeat(64), 0640, 12);
        Entry e2 = Entry.edit(odd, e1, "lb,2=x", 2000, "b".repeat(64), 0600, 13);
        t.put(e2, new FileStore.Stat(13, 5_000_000_123L, 6_000_000_456L, 77, 0600), 1234);
        EntryKey gone = new EntryKey("certs", "old.pem");
        Entry d = Entry.deletion(Entry.edit(gone, null, "lb1", 1, "c".repeat(64), 0644, 1), "lb1", 3);
        t.put(d, null, 0);
        t.addConflict(new Conflict(odd, dir.resolve("x.conflict-lb1-1"), e1, e2.label(), 99));

        StateFile f = new StateFile(dir.resolve("state-dir"));
        f.save(t);
        MirrorTable back = f.load();
        assertEquals(List.of(e2, d), back.entries());
        assertEquals(new FileStore.Stat(13, 5_000_000_123L, 6_000_000_456L, 77, 0600), back.local(odd).stat());
        assertEquals(1234, back.local(odd).hashedAt());
        assertEquals(t.conflicts(), back.conflicts());
        assertEquals(t.digest("/var/www"), back.digest("/var/www"));
        assertEquals("600", Integer.toOctalString((Integer) Files.getAttribute(f.path(), "unix:mode") & 0777));
    }

    @Test
    void linksAndOwnersAreKept(@TempDir Path dir) throws IOException {
        MirrorTable t = new MirrorTable();
        Entry link = Entry.link(new EntryKey("certs", "live/x/cert.pem"), null, "lb1", 7, "../../archive/x/cert\t2.pem",
                "root", "ssl cert");
        Entry file = Entry.edit(new EntryKey("certs", "archive/x/cert2.pem"), null, "lb1", 7, "d".repeat(64), 0640, 3,
                "root", "root");
        FileStore.Stat linkStat = new FileStore.Stat(24, 1, 2, 3, 0777, 0, 0, true);
        t.put(link, linkStat, 8);
        t.put(file, new FileStore.Stat(3, 1, 2, 4, 0640, 0, 33, false), 8);
        StateFile f = new StateFile(dir);
        f.save(t);
        MirrorTable back = f.load();
        assertEquals(List.of(file, link), back.entries());
        assertEquals(linkStat, back.local(link.key()).stat());
        assertEquals(new MirrorTable.Usage(2, 3), back.usage("certs"));
    }

    @Test
    void aStateFileWrittenBeforeLinksAndOwnersIsRead(@TempDir Path dir) throws IOException {
        StateFile f = new StateFile(dir);
        String a = "a".repeat(64);
        Files.writeString(f.path(), "tandem-mirror-state 1\n"
                + "E\twww\tindex.html\t2\tlb1\t1000\tlb1=2\t" + a + "\t644\t5\t5,10,11,77,644\t1234\n"
                + "E\twww\told.html\t3\tlb2\t1000\tlb1=1,lb2=3\t-\t0\t0\t-\t0\n");
        MirrorTable back = f.load();
        Entry e = back.get(new EntryKey("www", "index.html"));
        assertEquals(new Entry(new EntryKey("www", "index.html"), 2, "lb1", VersionVector.EMPTY.edit("lb1").edit("lb1"),
                1000, a, false, 0644, 5), e);
        assertEquals("", e.owner());
        assertEquals(new FileStore.Stat(5, 10, 11, 77, 0644), back.local(e.key()).stat());
        assertTrue(back.get(new EntryKey("www", "old.html")).deleted());
        // and the next save writes the current format
        f.save(back);
        assertTrue(Files.readString(f.path()).startsWith(StateFile.HEADER + "\n"));
        assertEquals(back.entries(), f.load().entries());
    }

    @Test
    void aMissingFileIsAnEmptyTableAndAForeignOneIsRefused(@TempDir Path dir) throws IOException {
        StateFile f = new StateFile(dir);
        assertEquals(0, f.load().size());
        Files.writeString(f.path(), "hello\n");
        IOException e = assertThrows(IOException.class, f::load);
        assertTrue(e.getMessage().contains(":1: not a mirror state file"), e.getMessage());
        Files.writeString(f.path(), StateFile.HEADER + "\nE\tx\n");
        e = assertThrows(IOException.class, f::load);
        assertTrue(e.getMessage().contains("state:2:"), e.getMessage());
    }
}
