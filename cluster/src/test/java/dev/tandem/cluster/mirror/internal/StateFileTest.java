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
