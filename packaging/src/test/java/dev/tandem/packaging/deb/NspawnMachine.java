package dev.tandem.packaging.deb;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A Debian system booted under systemd-nspawn (src/test/lab/nspawn-boot.sh), its systemd as PID 1, driven from
 * outside: with --register=no there is no machinectl, so commands run in the container's namespaces and root
 * through nsenter, targeted at its init, and files are reached through that process's /proc root. Closing it
 * powers the container off (SIGTERM to systemd-nspawn), or kills its PID namespace when that does not end it.
 */
final class NspawnMachine implements AutoCloseable {

    private static final String PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final Process nspawn;
    private final long init;
    private final Path console;

    private NspawnMachine(Process nspawn, long init, Path console) {
        this.nspawn = nspawn;
        this.init = init;
        this.console = console;
    }

    /**
     * Boots an overlay of {@code root} whose writes go to a tmpfs on {@code work} (which must exist), the console
     * going to {@code console}, and returns once systemd says the boot is over.
     */
    static NspawnMachine boot(Path root, Path work, String name, Path console, Duration within) throws Exception {
        // Should this JVM die without closing it, the container is powered off all the same (SIGTERM to nspawn).
        Process p = new ProcessBuilder("setpriv", "--pdeathsig", "TERM", "unshare", "--mount", "--propagation", "private",
                "sh", Path.of("src/test/lab/nspawn-boot.sh").toAbsolutePath().toString(), root.toString(), work.toString(), name)
                .redirectErrorStream(true).redirectOutput(console.toFile()).start();
        long deadline = System.nanoTime() + within.toNanos();
        Optional<Long> started = Optional.empty();
        try {
            long init = awaitInit(p, deadline);
            started = Optional.of(init);
            NspawnMachine m = new NspawnMachine(p, init, console);
            // Until its init has made /run/systemd/private, systemctl cannot reach it: retry until then.
            Command state;
            do {
                state = m.exec(Duration.ofSeconds(Math.max(1, (deadline - System.nanoTime()) / 1_000_000_000L)),
                        "systemctl", "is-system-running", "--wait");
                if (state.out().strip().matches("running|degraded")) {
                    return m;
                }
                Thread.sleep(100);
            } while (System.nanoTime() < deadline && p.isAlive());
            throw new AssertionError("the container did not finish booting: " + state.describe() + "\nconsole:\n" + m.console());
        } catch (Exception | AssertionError e) {
            kill(p, started);
            throw e;
        }
    }

    /** The container's init: the child of systemd-nspawn that is PID 1 in a PID namespace of its own. */
    private static long awaitInit(Process p, long deadline) throws Exception {
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError("systemd-nspawn exited with " + p.exitValue());
            }
            for (ProcessHandle child : p.children().toList()) {
                if (isNamespaceInit(child.pid())) {
                    return child.pid();
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("systemd-nspawn started no init in time");
    }

    private static boolean isNamespaceInit(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("NSpid:")) {
                    String[] ids = line.substring("NSpid:".length()).trim().split("\\s+");
                    return ids.length == 2 && ids[1].equals("1");
                }
            }
        } catch (IOException e) {
            // gone, or not yet readable
        }
        return false;
    }

    /** Runs {@code argv} in the container as root, with a plain environment, killing it after {@code timeout}. */
    Command exec(Duration timeout, String... argv) throws IOException, InterruptedException {
        return Command.run(timeout.toSeconds(), inside(argv));
    }

    Command exec(String... argv) throws IOException, InterruptedException {
        return exec(Duration.ofSeconds(120), argv);
    }

    /** Runs {@code argv} in the container, which must exit 0; its standard output. */
    String ok(String... argv) throws IOException, InterruptedException {
        Command c = exec(argv);
        if (c.exit() != 0) {
            throw new AssertionError(c.describe());
        }
        return c.out();
    }

    /** Starts {@code argv} in the container and returns at once; its output goes to {@code out}. */
    Process spawn(Path out, String... argv) throws IOException {
        return new ProcessBuilder(inside(argv)).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    }

    private List<String> inside(String... argv) {
        List<String> all = new ArrayList<>(List.of("nsenter", "--target", Long.toString(init), "--mount", "--uts", "--ipc",
                "--net", "--pid", "--cgroup", "--root", "--wd", "env", "-i", PATH, "LANG=C.UTF-8", "SYSTEMD_PAGER=", "TERM=dumb"));
        all.addAll(List.of(argv));
        return all;
    }

    /** A path inside the container, as this host sees it (through its init's root). */
    Path file(String path) {
        return Path.of("/proc", Long.toString(init), "root", path.replaceFirst("^/+", ""));
    }

    /** What the container wrote on its console so far. */
    String console() {
        try {
            return Files.readString(console, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(console: " + e.getMessage() + ")";
        }
    }

    /** Powers the container off; kills it when that takes more than a minute. */
    @Override
    public void close() {
        kill(nspawn, Optional.of(init));
    }

    private static void kill(Process nspawn, Optional<Long> init) {
        try {
            nspawn.destroy();
            if (!nspawn.waitFor(60, TimeUnit.SECONDS)) {
                // Killing its init ends every process of the container (its PID namespace goes with it).
                init.flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
                nspawn.destroyForcibly();
                nspawn.waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            init.flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
            nspawn.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
