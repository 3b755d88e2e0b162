package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnershipTest {

    @TempDir
    Path dir;

    private static Entry owned(String owner, String group) {
        return Entry.edit(new EntryKey("www", "f"), null, "lb1", 1, "a".repeat(64), 0644, 1, owner, group);
    }

    @Test
    void ownersAreAppliedByNameAndAnUnknownNameKeepsTheDefault() throws Exception {
        assumeTrue(Ownership.ofThisProcess().mayChown(), "giving files away needs root");
        Path f = Files.writeString(dir.resolve("f"), "x");
        Ownership o = new Ownership(true);
        o.apply(f, owned("nobody", "nogroup"));
        assertEquals("nobody", Files.getOwner(f, LinkOption.NOFOLLOW_LINKS).getName());
        assertEquals("nogroup", Ownership.namesOf(f)[1]);
        o.apply(f, owned("no-such-user-here", "no-such-group-here"));
        assertEquals("nobody", Files.getOwner(f, LinkOption.NOFOLLOW_LINKS).getName(), "kept as it was");
        // a link itself, not what it points to
        Path link = dir.resolve("link");
        Files.createSymbolicLink(link, f);
        o.apply(link, owned("root", "root"));
        assertEquals("root", Ownership.namesOf(link)[0]);
        assertEquals("nobody", Ownership.namesOf(f)[0]);
    }

    @Test
    void aProcessThatMayNotChownChangesNothing() throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "x");
        String[] before = Ownership.namesOf(f);
        new Ownership(false).apply(f, owned("nobody", "nogroup"));
        assertEquals(before[0], Ownership.namesOf(f)[0]);
    }

    @Test
    void aNodeThatMayNotChownKeepsTheOwnersOfTheVersionItReplaces() throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "x");
        String[] mine = Ownership.namesOf(f);
        Entry previous = owned("www-data", "www-data");
        assertEquals("www-data", new Ownership(false).namesForEdit(f, previous)[0]);
        assertEquals(mine[0], new Ownership(false).namesForEdit(f, null)[0], "a new file carries its own");
        assertEquals(mine[0], new Ownership(true).namesForEdit(f, previous)[0], "where owners apply, what is on disk");
        FileStore.Stat s = FileStore.stat(f);
        FileStore.Stat moved = new FileStore.Stat(s.size(), s.mtimeNanos(), s.ctimeNanos(), s.inode(), s.mode(),
                s.uid() + 1, s.gid(), false);
        assertTrue(new Ownership(true).changed(moved, s));
        assertFalse(new Ownership(false).changed(moved, s), "not this node's to change");
    }

    @Test
    void aChownIsSeenInTheStatAndAnOldStatSeesNone() throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "x");
        FileStore.Stat s = FileStore.stat(f);
        FileStore.Stat moved = new FileStore.Stat(s.size(), s.mtimeNanos(), s.ctimeNanos(), s.inode(), s.mode(),
                s.uid() + 1, s.gid(), false);
        assertTrue(moved.ownersChangedSince(s));
        assertFalse(s.ownersChangedSince(s));
        assertFalse(moved.ownersChangedSince(new FileStore.Stat(1, 2, 3, 4, 0644)), "no owners recorded before");
        assertFalse(moved.ownersChangedSince(null));
    }
}
