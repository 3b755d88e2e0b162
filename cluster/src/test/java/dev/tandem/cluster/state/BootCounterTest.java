package dev.tandem.cluster.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootCounterTest {

    private static final Clock NOW = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

    @Test
    void countsEveryStartWhateverTheClockSays(@TempDir Path dir) throws Exception {
        long first = BootCounter.next(dir, "a", NOW);
        assertEquals(NOW.millis() * 1000, first, "starts above any wall-clock epoch an older version sent");
        long second = BootCounter.next(dir, "a", Clock.offset(NOW, Duration.ofHours(-1)));
        assertEquals(first + 1, second, "a clock an hour behind does not send the count back");
        assertEquals(second + 1, BootCounter.next(dir, "a", Clock.offset(NOW, Duration.ofDays(-400))));
        assertEquals((second + 1) + "\n", Files.readString(dir.resolve("cluster-a.boot")));
        assertEquals(NOW.millis() * 1000, BootCounter.next(dir, "b", NOW), "one counter per node name");
        assertTrue(Files.list(dir).noneMatch(p -> p.toString().endsWith(".tmp")), "no temporary file left");
    }

    @Test
    void createsTheDirectory(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("var/lib/tandem");
        assertEquals(NOW.millis() * 1000, BootCounter.next(state, "a", NOW));
        assertTrue(Files.isRegularFile(state.resolve("cluster-a.boot")));
    }

    @Test
    void aDirectoryThatCannotBeWrittenIsNamedWithTheKey(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("a-file");
        Files.writeString(file, "x");
        var e = assertThrows(java.io.IOException.class, () -> BootCounter.next(file.resolve("state"), "a", NOW));
        assertTrue(e.getMessage().startsWith("cluster.state_dir: " + file.resolve("state")), e.getMessage());
        Path readOnly = dir.resolve("ro");
        Files.createDirectory(readOnly, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("r-xr-xr-x")));
        // root writes anywhere: only an unprivileged run can see the refusal
        if (!Files.isWritable(readOnly)) {
            var denied = assertThrows(java.io.IOException.class, () -> BootCounter.next(readOnly, "a", NOW));
            assertTrue(denied.getMessage().startsWith("cluster.state_dir: " + readOnly.resolve("cluster-a.boot")),
                    denied.getMessage());
        }
    }

    @Test
    void aFileThatHoldsNoCountFailsTheStart(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("cluster-a.boot"), "garbage\n");
        var e = assertThrows(java.io.IOException.class, () -> BootCounter.next(dir, "a", NOW));
        assertTrue(e.getMessage().contains("cluster.state_dir: " + dir.resolve("cluster-a.boot") + ": not a boot count"),
                e.getMessage());
    }
}
