package dev.tandem.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The distribution {@code package} leaves in target/tandem, as an operator who unpacked it would start it. */
class DistributionIT {

    private static final Path DIST = Path.of("target", "tandem");

    @Test
    void binTandemIsExecutableAndStartsAsItIs() throws Exception {
        Path launcher = DIST.resolve("bin/tandem");
        assertTrue(Files.exists(launcher), "no distribution at " + DIST.toAbsolutePath() + " (run after package)");
        assertTrue(Files.isExecutable(launcher), launcher + " is not executable (its source must be committed 100755)");
        // Run directly, not through sh: a launcher committed without its x bit fails here with "permission denied".
        ProcessBuilder b = new ProcessBuilder(launcher.toAbsolutePath().toString(), "--help").redirectErrorStream(true);
        b.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = b.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("usage: tandem"), out);
    }
}
