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
        assertNull(Symlinks.refusal(roots, link, "../../archive/x/cert1.pem"), "relative, inside, not there yet");
        assertNull(Symlinks.refusal(roots, link, roots.get("www").path().resolve("a").toString()), "another root");
        assertNotNull(Symlinks.refusal(roots, link, "/etc/passwd"));
        assertNotNull(Symlinks.refusal(roots, link, "../../../outside/key.pem"));
        assertNotNull(Symlinks.refusal(roots, link, ""));
        // inside as written, outside as the kernel resolves it: through a link on the way
        Files.createSymbolicLink(certs.resolve("escape"), base.resolve("outside"));
        Files.writeString(base.resolve("outside/key.pem"), "secret");
        assertNotNull(Symlinks.refusal(roots, link, "../../escape/key.pem"));
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
