package dev.tandem.packaging.deb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The .deb under a real systemd: a Debian 12 root made by debootstrap (src/test/lab/nspawn-root.sh, cached
 * between runs), booted with {@code systemd-nspawn -b --register=no --keep-unit --private-network} on an overlay
 * that is thrown away afterwards; the package installed there with dpkg, the shipped config's application server
 * (127.0.0.1:8000) a small python3 server that can answer slowly. In order, as an operator would: start and
 * status; an edit and {@code systemctl reload}; a broken edit, whose reload fails while the old config keeps
 * serving; the warnings in {@code journalctl -p warning} at their priority; a stop with a request in flight,
 * which finishes. Needs root; skips, saying why, without it or the tools.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SystemdNspawnLabIT {

    private static final Logger log = LoggerFactory.getLogger(SystemdNspawnLabIT.class);
    private static final String CONFIG = "/etc/tandem/tandem.yaml";
    /** The shipped config's only site sends everything to the upstream; the edits add routes under it. */
    private static final String SITE_UPSTREAM = "    upstream: app";
    private static final String VERSION_ROUTE = SITE_UPSTREAM + "\n    routes:\n"
            + "      - exact: /version\n"
            + "        return: { status: 200, body: \"edited\\n\" }\n";
    private static final String BROKEN_ROUTE = VERSION_ROUTE
            + "      - prefix: /old/\n"
            + "        upstream: nowhere\n";

    private final long began = System.nanoTime();
    /** The first step that failed: each step runs on what the ones before it left, so the later ones are skipped. */
    private final AtomicReference<String> failedStep = new AtomicReference<>();
    @RegisterExtension
    final TestWatcher steps = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            failedStep.compareAndSet(null, context.getDisplayName());
        }
    };
    private Path work;
    /**
     * Held while a machine runs. Booted with {@code --register=no --keep-unit}, a machine's systemd makes its units'
     * cgroups under this process's own, which on a host whose init is not systemd is the same node for every run:
     * two machines at once (two builds on one host) would make and empty each other's {@code tandem.service}.
     */
    private java.nio.channels.FileLock oneMachine;
    private NspawnMachine machine;
    private String shipped;

    private static Optional<String> unavailable() throws Exception {
        Command id = Command.run("id", "-u");
        if (!id.out().strip().equals("0")) {
            return Optional.of("booting a container needs root (running as uid " + id.out().strip() + ")");
        }
        for (String tool : List.of("systemd-nspawn", "debootstrap", "unshare", "nsenter", "setpriv", "flock")) {
            if (!Command.available(tool)) {
                return Optional.of("the systemd lab needs " + tool + " (apt-get install systemd-container debootstrap util-linux)");
            }
        }
        if (!Files.readString(Path.of("/proc/filesystems")).contains("\toverlay\n")) {
            return Optional.of("no overlay file system in this kernel");
        }
        return Optional.empty();
    }

    @BeforeAll
    void bootAndInstall() throws Exception {
        Optional<String> why = unavailable();
        assumeTrue(why.isEmpty(), () -> "systemd lab skipped: " + why.orElse(""));
        Path deb = DebPackage.built().orElseThrow(() -> new AssertionError("no target/tandem_*_all.deb: jdeb did not run"));

        long t0 = System.nanoTime();
        // Made once per machine (minutes), then reused: the script prints the root's path.
        Command rootMade = Command.run(1800, List.of("sh", Path.of("src/test/lab/nspawn-root.sh").toAbsolutePath().toString()));
        assertEquals(0, rootMade.exit(), rootMade.describe());
        Path root = Path.of(rootMade.out().strip());
        log.info("root {} ready in {} ms{}", root, millisSince(t0), rootMade.err().isBlank() ? "" : ":\n" + rootMade.err());

        Path lock = Files.createDirectories(Path.of("/run/lock")).resolve("tandem-nspawn-lab.lock");
        long waited = System.nanoTime();
        oneMachine = java.nio.channels.FileChannel.open(lock, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE).lock();
        log.info("the machine lock {} taken in {} ms", lock, millisSince(waited));

        work = Files.createTempDirectory("tandem-nspawn-");
        Path layer = Files.createDirectory(work.resolve("layer"));
        String name = "tandem-lab-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        long t1 = System.nanoTime();
        machine = NspawnMachine.boot(root, layer, name, work.resolve("console.log"), Duration.ofSeconds(180));
        log.info("{} booted in {} ms", name, millisSince(t1));

        long t2 = System.nanoTime();
        Files.copy(deb, machine.file("/root/tandem.deb"));
        Command dpkg = machine.exec(Duration.ofSeconds(300), "dpkg", "-i", "/root/tandem.deb");
        assertEquals(0, dpkg.exit(), dpkg.describe());
        shipped = Files.readString(machine.file(CONFIG));
        assertTrue(shipped.contains("\n" + SITE_UPSTREAM + "\n"), "the shipped config changed; the edits below need its site:\n" + shipped);
        Files.copy(Path.of("src/test/lab/slow-backend.py"), machine.file("/usr/local/bin/slow-backend.py"));
        Files.copy(Path.of("src/test/lab/slow-backend.service"), machine.file("/etc/systemd/system/slow-backend.service"));
        machine.ok("systemctl", "daemon-reload");
        machine.ok("systemctl", "start", "slow-backend");
        await("the backend answers", Duration.ofSeconds(60), () -> curl("http://127.0.0.1:8000/").out().equals("backend /\n"));
        log.info("dpkg -i and the backend in {} ms", millisSince(t2));
    }

    @BeforeEach
    void theStepsBeforePassed() {
        assumeTrue(failedStep.get() == null, () -> "skipped: it needs what " + failedStep.get() + " failed to leave");
    }

    @AfterAll
    void powerOff() throws Exception {
        try {
            if (machine != null) {
                log.info("journal of tandem:\n{}", machine.exec("journalctl", "-u", "tandem", "--no-pager", "-o", "short-iso").out());
                machine.close();
                log.info("console:\n{}", machine.console());
            }
        } finally {
            if (oneMachine != null) {
                oneMachine.channel().close();
            }
            if (work != null) {
                // The overlay's tmpfs was mounted in the boot's own mount namespace, gone with it: only plain files here.
                Command.run("rm", "-rf", "--one-file-system", work.toString());
            }
            log.info("systemd lab took {} ms in all", millisSince(began));
        }
    }

    @Test
    @Order(1)
    void installedNotStartedThenStartAndStatus() throws Exception {
        // A first install neither enables nor starts it.
        assertEquals("disabled", machine.exec("systemctl", "is-enabled", "tandem").out().strip());
        assertEquals("inactive", machine.exec("systemctl", "is-active", "tandem").out().strip());

        long t = System.nanoTime();
        machine.ok("systemctl", "start", "tandem");
        // Type=exec: started means the JVM runs, not that it listens yet.
        await("Tandem serves port 80", Duration.ofSeconds(120), () -> curl("http://127.0.0.1/hello").out().equals("backend /hello\n"));
        log.info("systemctl start to the first answer: {} ms", millisSince(t));

        Command status = machine.exec("systemctl", "status", "tandem", "--no-pager", "--lines=20");
        assertEquals(0, status.exit(), status.describe());
        assertTrue(status.out().contains("Active: active (running)"), status.out());
        assertTrue(status.out().contains(" run --config /etc/tandem/tandem.yaml"), status.out());
        String pid = mainPid();
        assertEquals("tandem", machine.ok("ps", "-o", "user=", "-p", pid).strip());
        assertEquals("0", machine.ok("systemctl", "show", "tandem", "-p", "NRestarts", "--value").strip(), "it restarted");
    }

    @Test
    @Order(2)
    void reloadAfterAnEdit() throws Exception {
        String pid = mainPid();
        assertEquals("backend /version\n", curl("http://127.0.0.1/version").out());
        long before = configVersion();

        Files.writeString(machine.file(CONFIG), shipped.replace(SITE_UPSTREAM + "\n", VERSION_ROUTE), StandardCharsets.UTF_8);
        Command reload = machine.exec("systemctl", "reload", "tandem");
        assertEquals(0, reload.exit(), reload.describe());
        // systemctl returns once SIGHUP is sent; the node reads the file on its own control thread.
        await("the edit in force", Duration.ofSeconds(60), () -> curl("http://127.0.0.1/version").out().equals("edited\n"));
        await("the SIGHUP handled", Duration.ofSeconds(60), () -> tandemJournal("info").contains("reload (SIGHUP)"));
        // The file watcher and the SIGHUP saw one edit: one new version, however they came in.
        assertEquals(before + 1, configVersion());
        assertEquals(pid, mainPid(), "a reload restarted the process");
        assertEquals("backend /hello\n", curl("http://127.0.0.1/hello").out());
    }

    @Test
    @Order(3)
    void aBrokenEditIsRefusedAndTheOldConfigKeepsServing() throws Exception {
        String pid = mainPid();
        long before = configVersion();
        String broken = shipped.replace(SITE_UPSTREAM + "\n", BROKEN_ROUTE);
        Files.writeString(machine.file(CONFIG), broken, StandardCharsets.UTF_8);

        Command reload = machine.exec("systemctl", "reload", "tandem");
        assertNotEquals(0, reload.exit(), "a reload of a config that does not validate succeeded:\n" + reload.describe());
        // ExecReload's check refused it before any signal; the node's own file watcher refused it too.
        String line = lineOf(broken, "upstream: nowhere");
        await("the node's refusal logged", Duration.ofSeconds(60),
                () -> tandemJournal("warning").contains("reload (file) rejected, config version " + before + " stays in force"));
        assertTrue(tandemJournal("warning").contains(CONFIG + ":" + line + ":"), tandemJournal("warning"));

        assertEquals("active", machine.exec("systemctl", "is-active", "tandem").out().strip());
        assertEquals(pid, mainPid());
        assertEquals(before, configVersion());
        assertEquals("edited\n", curl("http://127.0.0.1/version").out());
        assertEquals("backend /old/page\n", curl("http://127.0.0.1/old/page").out());
        Command checked = machine.exec("journalctl", "-u", "tandem", "--no-pager", "-o", "cat");
        assertTrue(checked.out().contains(CONFIG + ":" + line + ":"), "the failed reload's check says nothing in the journal:\n" + checked.out());
    }

    @Test
    @Order(4)
    void warningsAtWarningPriorityWithOneTimestamp() throws Exception {
        Command warnings = machine.exec("journalctl", "-u", "tandem", "-p", "warning", "--no-pager", "-o", "cat");
        assertEquals(0, warnings.exit(), warnings.describe());
        assertTrue(warnings.out().contains("rejected, config version"), "journalctl -p warning shows no warning of Tandem:\n"
                + warnings.out());
        String node = tandemJournal("warning");
        assertFalse(node.contains("reload (SIGHUP)"), "an INFO line at warning priority:\n" + node);
        // Only what went wrong: not Netty's note that a container with only loopback has no hardware address.
        assertFalse(node.contains("MacAddressUtil"), "a harmless start-up note at warning priority:\n" + node);
        assertTrue(tandemJournal("info").contains("reload (SIGHUP)"));
        // The journal stamps every line: the node's lines carry no timestamp of their own.
        for (String entry : tandemJournal("debug").split("\n")) {
            assertFalse(entry.matches("^\\d{4}-\\d\\d-\\d\\d[T ].*|^\\d\\d:\\d\\d:\\d\\d.*"), "a second timestamp: " + entry);
        }
    }

    @Test
    @Order(5)
    void stopWithARequestInFlightLetsItFinish() throws Exception {
        // The config in force back in the file (the stop's cleanup reads it): the same text, nothing to apply.
        Files.writeString(machine.file(CONFIG), shipped.replace(SITE_UPSTREAM + "\n", VERSION_ROUTE), StandardCharsets.UTF_8);

        // Outside a drain, the connection stays open: the mark of the drain below.
        String usual = machine.ok("curl", "-sS", "-i", "-m", "20", "http://127.0.0.1/hello");
        assertFalse(usual.toLowerCase().contains("connection: close"), usual);

        // 8 s: longer than nsenter, systemctl and the SIGTERM take on a busy machine, shorter than the 10 s drain.
        Path out = work.resolve("in-flight.out");
        Process slow = machine.spawn(out, "curl", "-sS", "-i", "-m", "90", "http://127.0.0.1/slow?s=8&id=in-flight");
        try {
            await("the slow request at the backend", Duration.ofSeconds(60), () -> Files.exists(machine.file("/run/slow-backend/in-flight")));
            assertTrue(slow.isAlive(), "the slow request ended before the stop: " + Files.readString(out));
            long t = System.nanoTime();
            Command stop = machine.exec(Duration.ofSeconds(120), "systemctl", "stop", "tandem");
            log.info("systemctl stop with a request in flight: {} ms", millisSince(t));
            assertEquals(0, stop.exit(), stop.describe());
            assertTrue(slow.waitFor(60, TimeUnit.SECONDS), "the request in flight never ended");
            String response = Files.readString(out);
            assertEquals(0, slow.exitValue(), "the request in flight failed:\n" + response);
            assertTrue(response.startsWith("HTTP/1.1 200"), response);
            assertTrue(response.endsWith("slow answer after 8 s\n"), response);
            // Answered while draining: the node said it would close the connection.
            assertTrue(response.toLowerCase().contains("connection: close"), response);
        } finally {
            slow.destroyForcibly();
        }
        assertEquals("inactive", machine.exec("systemctl", "is-active", "tandem").out().strip());
        String result = machine.ok("systemctl", "show", "tandem", "-p", "Result", "-p", "ExecMainStatus");
        assertTrue(result.contains("Result=success") && result.contains("ExecMainStatus=0"), result);
        assertEquals(7, curl("http://127.0.0.1/hello").exit(), "something still listens on port 80");
        assertTrue(tandemJournal("info").contains("stopping: draining connections"), tandemJournal("info"));
        // A planned stop is no fault: nothing of it at warning priority.
        String warnings = tandemJournal("warning");
        assertFalse(warnings.contains("cannot serve"), "the planned stop logged as a fault:\n" + warnings);
    }

    private Command curl(String url) throws Exception {
        return machine.exec("curl", "-sS", "-m", "20", url);
    }

    private String mainPid() throws Exception {
        String pid = machine.ok("systemctl", "show", "tandem", "-p", "MainPID", "--value").strip();
        assertNotEquals("0", pid, "tandem has no main process");
        return pid;
    }

    /** tandem_config_version from the admin listener's /metrics. */
    private long configVersion() throws Exception {
        String metrics = machine.ok("curl", "-sS", "-m", "20", "http://127.0.0.1:9090/metrics");
        Matcher m = Pattern.compile("(?m)^tandem_config_version(?:\\{[^}]*})? ([0-9.eE+]+)$").matcher(metrics);
        assertTrue(m.find(), "no tandem_config_version in /metrics");
        return (long) Double.parseDouble(m.group(1));
    }

    /** What the node itself (not the checks before a start or a reload) wrote to the journal, down to {@code priority}. */
    private String tandemJournal(String priority) throws Exception {
        return machine.ok("journalctl", "-u", "tandem", "-t", "tandem", "-p", priority, "--no-pager", "-o", "cat");
    }

    private static String lineOf(String text, String part) {
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(part)) {
                return Integer.toString(i + 1);
            }
        }
        throw new AssertionError(part + " not in\n" + text);
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    @FunctionalInterface
    private interface Condition {
        boolean holds() throws Exception;
    }

    /** Polls {@code condition} until it holds; fails after {@code within}. */
    private static void await(String what, Duration within, Condition condition) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + within.toSeconds() + " s: " + what);
            }
            Thread.sleep(200);
        }
    }
}
