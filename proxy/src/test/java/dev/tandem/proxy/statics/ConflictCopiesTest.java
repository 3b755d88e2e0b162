package dev.tandem.proxy.statics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A conflict copy the mirror kept beside a file is never served, by its own name or through a link. */
class ConflictCopiesTest {

    private static final String LOSER = "LOSING-VERSION";

    @TempDir
    static Path dir;
    static StaticFixture strict;
    static StaticFixture lenient;

    @BeforeAll
    static void plant() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.writeString(root.resolve("page.html"), "winner");
        Files.writeString(root.resolve("page.html.conflict-lb2-7"), LOSER);
        Files.writeString(root.resolve("logo.png.conflict-node_a.example-12"), LOSER);
        Files.createSymbolicLink(root.resolve("alias.html"), Path.of("page.html.conflict-lb2-7"));
        Files.writeString(root.resolve("notes.conflict-free.txt"), "ordinary");
        strict = StaticFixture.start(root, "fallback: false", false);
        lenient = StaticFixture.start(root, "fallback: true", true);
    }

    @AfterAll
    static void stop() throws Exception {
        strict.close();
        lenient.close();
    }

    @Test
    void theNamesTheMirrorWrites() {
        assertTrue(ConflictCopies.isConflictCopy("page.html.conflict-lb2-7"));
        assertTrue(ConflictCopies.isConflictCopy("a.conflict-node_a.example-12"));
        assertFalse(ConflictCopies.isConflictCopy("page.html"));
        assertFalse(ConflictCopies.isConflictCopy("notes.conflict-free.txt"));
        assertFalse(ConflictCopies.isConflictCopy(".conflict-lb2-7"), "no file name before it");
    }

    @Test
    void theWinnerIsServed() throws Exception {
        assertEquals("winner", strict.get("/page.html").text());
        assertEquals("ordinary", strict.get("/notes.conflict-free.txt").text());
    }

    @Test
    void aConflictCopyIsMissingToClients() throws Exception {
        for (String path : new String[] {"/page.html.conflict-lb2-7", "/logo.png.conflict-node_a.example-12",
                "/alias.html"}) {
            RawHttp.Response r = strict.get(path);
            assertEquals(404, r.status(), path);
            assertFalse(r.text().contains(LOSER), path);
            RawHttp.Response f = lenient.get(path);
            assertFalse(f.text().contains(LOSER), path + " through the fallback");
        }
    }
}
