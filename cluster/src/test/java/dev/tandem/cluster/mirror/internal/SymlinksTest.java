package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SymlinksTest {

    @TempDir
    Path base;
    private Roots roots;
    private Path certs;

    @BeforeEach
    void roots() throws Exception {
        certs = Files.createDirectories(base.resolve("certs"));
        Files.createDirectories(base.resolve("www"));
        Files.createDirectories(base.resolve("outside"));
        Map<String, Path> m = new LinkedHashMap<>();
        m.put("certs", certs);
        m.put("www", base.resolve("www"));
        roots = new Roots(m);
        certs = roots.get("certs").path();
    }

    @Test
    void aLinkIsRefusedWhenItsTargetIsOutsideEveryRoot() throws Exception {
        Path link = certs.resolve("live/x/cert.pem");
        Files.createDirectories(link.getParent());
        assertNull(Symlinks.refusal(roots, link, "../../archive/x/cert1.pem", Symlinks::realPath), "relative, inside, not there yet");
        assertNull(Symlinks.refusal(roots, link, roots.get("www").path().resolve("a").toString(), Symlinks::realPath), "another root");
        assertNotNull(Symlinks.refusal(roots, link, "/etc/passwd", Symlinks::realPath));
        assertNotNull(Symlinks.refusal(roots, link, "../../../outside/key.pem", Symlinks::realPath));
        assertNotNull(Symlinks.refusal(roots, link, "", Symlinks::realPath));
        // inside as written, outside as the kernel resolves it: through a link on the way
        Files.createSymbolicLink(certs.resolve("escape"), base.resolve("outside"));
        Files.writeString(base.resolve("outside/key.pem"), "secret");
        assertNotNull(Symlinks.refusal(roots, link, "../../escape/key.pem", Symlinks::realPath));
    }

    @Test
    void aLinkIsJudgedOnWhereItsTargetResolvesAsGivenWithoutReadingTheDisk() {
        Path link = Path.of("/srv/certs/live/x/cert.pem");
        Roots r = roots;
        Path inside = certs.resolve("archive/x/cert1.pem");
        Path written = certs.resolve("../certs/archive/x/cert1.pem");
        java.util.List<Path> asked = new java.util.ArrayList<>();
        Symlinks.RealPath outside = p -> {
            asked.add(p);
            return Path.of("/etc/ssl/private/key.pem");
        };
        assertEquals("a link to " + written + ", which resolves to /etc/ssl/private/key.pem, outside the mirrored paths",
                Symlinks.refusal(r, link, written.toString(), outside));
        assertEquals(java.util.List.of(inside), asked, "asked once, for the target as written, normalized");
        assertNull(Symlinks.refusal(r, link, written.toString(), p -> null), "not there yet: inside as written");
        assertNull(Symlinks.refusal(r, link, written.toString(), p -> p), "resolves where it is written");
        assertEquals("a link to " + written + " that cannot be resolved (loop)",
                Symlinks.refusal(r, link, written.toString(), p -> {
                    throw new java.io.IOException("loop");
                }));
        asked.clear();
        assertNotNull(Symlinks.refusal(r, link, "/etc/passwd", outside));
        assertTrue(asked.isEmpty(), "outside as written: nothing more to ask");
    }

    @Test
    void applyingALinkReplacesAFileOrALinkAtomicallyAndLeavesNothingBehind() throws Exception {
        Path link = certs.resolve("live/cert.pem");
        Entry e1 = Entry.link(new EntryKey("certs", "live/cert.pem"), null, "lb1", 1, "../archive/cert1.pem", "", "");
        Symlinks.apply(link, "../archive/cert1.pem", e1, new Ownership(false));
        assertEquals("../archive/cert1.pem", Files.readSymbolicLink(link).toString());
        Symlinks.apply(link, "../archive/cert2.pem", e1, new Ownership(false));
        assertEquals("../archive/cert2.pem", Files.readSymbolicLink(link).toString());
        Path file = certs.resolve("live/chain.pem");
        Files.writeString(file, "a file");
        Symlinks.apply(file, "../archive/chain2.pem", e1, new Ownership(false));
        assertTrue(Files.isSymbolicLink(file));
        try (Stream<Path> s = Files.list(certs.resolve("live"))) {
            assertEquals(2, s.count(), "no temporary link left");
        }
    }

    @Test
    void aLinkHashIsNeverTheHashOfAFileWithTheTargetAsContent() throws Exception {
        Path f = Files.writeString(base.resolve("t"), "../archive/cert1.pem");
        assertNotEquals(FileStore.hash(f), Symlinks.hash("../archive/cert1.pem"));
        assertEquals(64, Symlinks.hash("x").length());
    }
}
