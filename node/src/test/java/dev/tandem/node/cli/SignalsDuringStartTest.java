package dev.tandem.node.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.node.wiring.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tandem run} in a process of its own, signalled the instant its handlers are in (the first thing
 * {@code run} does, long before the node runs): a SIGHUP is never fatal and is applied once the node runs; a
 * SIGTERM stops the node cleanly, with exit 0. (Before, the handlers came after the start, and a SIGHUP in
 * that window took the JVM's default action: exit.) The JVM's own boot, before {@code main}, is the one
 * window no Java code can close.
 */
class SignalsDuringStartTest {

    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        started.forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });
    }

    private Process run(Path log) throws Exception {
        // With SIGHUP's default action: a process started ignoring it (a build run under nohup) passes that on,
        // and the JVM then leaves it ignored.
        return run(log, List.of("env", "--default-signal=HUP"));
    }

    /** Runs a node through {@code launcher} (a command that execs the rest of its arguments). */
    private Process run(Path log, List<String> launcher) throws Exception {
        Path config = dir.resolve("tandem.yaml");
        // An upstream nobody listens on: the node starts all the same (health is not awaited).
        Files.writeString(config, TestNodes.config("- { address: \"127.0.0.1:9\" }", ""));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run", "--config", config.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(p);
        return p;
    }

    private static boolean logged(Path log, String text) throws Exception {
        return Files.exists(log) && Files.readString(log).contains(text);
    }

    /** Waits (polling every millisecond) until {@code run} says its handlers are in, then signals at once. */
    private static void signalAsSoonAsHandled(Process p, Path log, String signal) throws Exception {
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(1)).failFast(() -> !p.isAlive())
                .until(() -> logged(log, "signals: SIGHUP reloads"));
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor());
    }

    @Test
    void aSighupDuringTheStartIsQueuedAndAppliedNeverFatal() throws Exception {
        int queued = 0;
        for (int i = 0; i < 3; i++) {
            Path log = dir.resolve("hup-" + i + ".log");
            Process p = run(log);
            signalAsSoonAsHandled(p, log, "HUP");
            try {
                await().atMost(120, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50))
                        .failFast("the node exited", () -> !p.isAlive())
                        .until(() -> logged(log, "reload (SIGHUP): "));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("no reload logged after the SIGHUP; the node's log:\n"
                        + (Files.exists(log) ? Files.readString(log) : "(none)"), e);
            }
            if (logged(log, "SIGHUP before the config is in force")) {
                queued++;
            }
            assertTrue(p.isAlive(), Files.readString(log));
            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), Files.readString(log));
        }
        assertTrue(queued > 0, "at least one SIGHUP came before the node ran (else this test proves nothing)");
    }

    @Test
    void aSighupIgnoredSinceTheProcessStartedIsSaidToDoNothing() throws Exception {
        Path log = dir.resolve("ignored.log");
        Process p = run(log, List.of("nohup"));
        await().atMost(120, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50))
                .failFast("the node exited", () -> !p.isAlive())
                .until(() -> logged(log, "SIGHUP is ignored in this process"));
        p.destroy();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    }

    @Test
    void aSigtermDuringTheStartStopsTheNodeCleanlyOnceItRuns() throws Exception {
        Path log = dir.resolve("term.log");
        Process p = run(log);
        signalAsSoonAsHandled(p, log, "TERM");
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), Files.readString(log));
        assertEquals(0, p.exitValue(), Files.readString(log));
        String text = Files.readString(log);
        assertTrue(text.contains("stop asked during the start"), text);
        assertTrue(text.contains("stopped"), text);
    }
}
