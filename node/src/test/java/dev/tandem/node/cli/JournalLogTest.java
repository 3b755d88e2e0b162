package dev.tandem.node.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.node.wiring.TestNodes;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tandem run} in a process of its own with the distribution's logback.xml: with {@code JOURNAL_STREAM}
 * naming its standard error (systemd connected it to the journal) every log line starts with its sd-daemon
 * priority and has no timestamp of its own; without it, or when it names another stream, every line starts with
 * one timestamp.
 */
class JournalLogTest {

    private static final Pattern TIMESTAMP = Pattern.compile("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S* ");
    private static final Pattern PRIORITY = Pattern.compile("^<[0-7]>");

    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        started.forEach(Process::destroyForcibly);
    }

    /** Runs a node whose only server refuses, under a health check that says so at WARN; returns its log lines. */
    private List<String> run(boolean journal) throws Exception {
        Path config = dir.resolve("tandem.yaml");
        Files.writeString(config, TestNodes.config("- { address: \"127.0.0.1:9\" }",
                "").replace("    retries: 0\n", "    retries: 0\n    health: { tcp: true, interval: 100ms, fall: 1 }\n"));
        URL logback = Main.class.getResource("/logback.xml");
        assertTrue(logback != null && logback.getPath().contains("classes"), "the distribution's logback.xml: " + logback);
        Path log = dir.resolve("node-" + started.size() + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder b = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dlogback.configurationFile=" + logback, "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "run", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        b.environment().remove("JOURNAL_STREAM");
        if (journal) {
            // As systemd does: the device and inode of the stream it gave the process as standard error.
            Files.createFile(log);
            b.environment().put("JOURNAL_STREAM", Files.getAttribute(log, "unix:dev") + ":" + Files.getAttribute(log, "unix:ino"));
        }
        Process p = b.start();
        started.add(p);
        await().atMost(120, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .failFast("the node exited", () -> !p.isAlive())
                .until(() -> Files.readString(log).contains("is DOWN"));
        p.destroy();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return Files.readAllLines(log).stream().filter(l -> !l.isBlank()).toList();
    }

    @Test
    void underTheJournalLinesCarryTheirPriorityAndNoTimestamp() throws Exception {
        List<String> lines = run(true);
        for (String line : lines) {
            assertTrue(PRIORITY.matcher(line).find(), "no priority: " + line + "\n" + String.join("\n", lines));
            assertFalse(TIMESTAMP.matcher(line.substring(3)).find(), "a timestamp of its own: " + line);
        }
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("<4>WARN ") && l.contains("is DOWN")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("<6>INFO ")), String.join("\n", lines));
    }

    @Test
    void aJournalStreamInheritedByARedirectedStandardErrorIsNotTheJournal() throws Exception {
        Path config = dir.resolve("tandem.yaml");
        Files.writeString(config, "not: [a config");
        URL logback = Main.class.getResource("/logback.xml");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder b = new ProcessBuilder(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dlogback.configurationFile=" + logback, "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "run", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("redirected.log").toFile());
        // A stream other than this standard error (as when a service's child redirects its output).
        b.environment().put("JOURNAL_STREAM", "8:4242");
        Process p = b.start();
        started.add(p);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        List<String> lines = Files.readAllLines(dir.resolve("redirected.log"));
        assertTrue(lines.stream().anyMatch(l -> TIMESTAMP.matcher(l).find() && l.contains("INFO ")), String.join("\n", lines));
        assertTrue(lines.stream().noneMatch(l -> PRIORITY.matcher(l).find()), String.join("\n", lines));
    }

    @Test
    void elsewhereEachLineStartsWithOneTimestamp() throws Exception {
        List<String> lines = run(false);
        for (String line : lines) {
            assertTrue(TIMESTAMP.matcher(line).find(), "no timestamp: " + line + "\n" + String.join("\n", lines));
            assertFalse(PRIORITY.matcher(line).find(), line);
        }
        assertEquals(1, lines.stream().filter(l -> l.contains("is DOWN")).count(), String.join("\n", lines));
    }
}
