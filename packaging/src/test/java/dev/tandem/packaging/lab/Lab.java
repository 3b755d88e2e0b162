package dev.tandem.packaging.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A small network in namespaces: a client and two nodes on one bridge (itself in a namespace, so nothing
 * touches the host's own network). Names carry a random id so that concurrent runs never meet; everything
 * made here (namespaces, and with them their veths and the bridge; processes) goes on {@link #close()}.
 */
final class Lab implements AutoCloseable {

    static final String NET = "10.201.0";
    static final String VIP = NET + ".50";
    /** The same network in IPv6 (a /64), with the same host numbers: client ::100, n1 ::1, and so on. */
    static final String NET6 = "fd20:1::";
    static final String VIP6 = NET6 + "50";

    final String id = String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
    final String sw = "tl" + id + "-sw";
    final String client = "tl" + id + "-c";
    final String n1 = "tl" + id + "-1";
    final String n2 = "tl" + id + "-2";
    /** Made only by {@link #build(int) build(3)}. */
    final String n3 = "tl" + id + "-3";
    private final List<String> made = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    /** Removes the lab when the test JVM is stopped before the test could (a timeout, Ctrl-C, a kill). */
    private final Thread onExit = new Thread(this::close, "lab-cleanup");
    private boolean hooked;

    /** Why a lab cannot run here, or empty when it can. */
    /**
     * The distribution the lab's nodes run ({@code -Dtandem.dist}, else target/tandem); the calling test is
     * skipped, with the reason, when this machine cannot hold a lab or the distribution is not built.
     */
    static Path distributionOrSkip() {
        Optional<String> why = unavailable();
        assumeTrue(why.isEmpty(), () -> "lab skipped: " + why.orElse(""));
        Path dist = Path.of(System.getProperty("tandem.dist", "target/tandem")).toAbsolutePath();
        assumeTrue(Files.exists(dist.resolve("bin/tandem")), "lab skipped: no distribution at " + dist + " (run after package)");
        return dist;
    }

    static Optional<String> unavailable() {
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String uid = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            p.waitFor(5, TimeUnit.SECONDS);
            if (!uid.equals("0")) {
                return Optional.of("the failover lab needs root for network namespaces (running as uid " + uid + ")");
            }
            for (String tool : List.of("ip", "python3", "arping", "curl")) {
                if (run(List.of("sh", "-c", "command -v " + tool)).exit != 0) {
                    return Optional.of("the failover lab needs " + tool + " (apt-get install iproute2 python3 iputils-arping curl)");
                }
            }
            String probe = "tlprobe" + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
            Result add = run(List.of("ip", "netns", "add", probe));
            if (add.exit != 0) {
                return Optional.of("ip netns add fails here: " + add.output);
            }
            Result bridge = run(List.of("ip", "-n", probe, "link", "add", "br0", "type", "bridge"));
            run(List.of("ip", "netns", "del", probe));
            if (bridge.exit != 0) {
                return Optional.of("no bridge in a network namespace here: " + bridge.output);
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("cannot run the lab's tools: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
    }

    record Result(int exit, String output) {
    }

    /** Whether {@code tool} is installed. */
    static boolean has(String tool) {
        try {
            return run(List.of("sh", "-c", "command -v " + tool)).exit == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static Result run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, String.join(" ", cmd) + ": timed out");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
    }

    /** Runs {@code cmd}; it must succeed. */
    String sh(String... cmd) throws IOException, InterruptedException {
        Result r = run(List.of(cmd));
        if (r.exit != 0) {
            throw new IOException(String.join(" ", cmd) + ": exit " + r.exit + ": " + r.output);
        }
        return r.output;
    }

    /** Creates the namespaces, the bridge and the links, and addresses client .100, n1 .1, n2 .2. */
    void build() throws IOException, InterruptedException {
        build(2);
    }

    /**
     * {@link #build()} with {@code nodes} nodes (2 or 3), each node and the client with an IPv6 address too
     * ({@link #NET6}, no duplicate address detection, so that it is usable at once).
     */
    void build(int nodes) throws IOException, InterruptedException {
        hookCleanup();
        List<String> all = new ArrayList<>(List.of(sw, client, n1, n2));
        if (nodes > 2) {
            all.add(n3);
        }
        for (String ns : all) {
            sh("ip", "netns", "add", ns);
            made.add(ns);
            sh("ip", "-n", ns, "link", "set", "lo", "up");
        }
        sh("ip", "-n", sw, "link", "add", "br0", "type", "bridge");
        sh("ip", "-n", sw, "link", "set", "br0", "up");
        List<String[]> ends = new ArrayList<>(List.of(new String[]{client, "pc"}, new String[]{n1, "p1"},
                new String[]{n2, "p2"}));
        if (nodes > 2) {
            ends.add(new String[]{n3, "p3"});
        }
        for (String[] e : ends) {
            sh("ip", "link", "add", "eth0", "netns", e[0], "type", "veth", "peer", "name", e[1], "netns", sw);
            sh("ip", "-n", sw, "link", "set", e[1], "master", "br0");
            sh("ip", "-n", sw, "link", "set", e[1], "up");
            sh("ip", "-n", e[0], "link", "set", "eth0", "up");
        }
        sh("ip", "-n", client, "addr", "add", NET + ".100/24", "dev", "eth0");
        sh("ip", "-n", n1, "addr", "add", NET + ".1/24", "dev", "eth0");
        sh("ip", "-n", n2, "addr", "add", NET + ".2/24", "dev", "eth0");
        sh("ip", "-n", client, "addr", "add", NET6 + "100/64", "dev", "eth0", "nodad");
        sh("ip", "-n", n1, "addr", "add", NET6 + "1/64", "dev", "eth0", "nodad");
        sh("ip", "-n", n2, "addr", "add", NET6 + "2/64", "dev", "eth0", "nodad");
        if (nodes > 2) {
            sh("ip", "-n", n3, "addr", "add", NET + ".3/24", "dev", "eth0");
            sh("ip", "-n", n3, "addr", "add", NET6 + "3/64", "dev", "eth0", "nodad");
        }
    }

    private synchronized void hookCleanup() {
        if (!hooked) {
            Runtime.getRuntime().addShutdownHook(onExit);
            hooked = true;
        }
    }

    /**
     * For a lab of another shape than {@link #build}'s: a namespace named {@code tl<id>-suffix}, its loopback up,
     * removed with the others on {@link #close()}.
     */
    String namespace(String suffix) throws IOException, InterruptedException {
        hookCleanup();
        String ns = "tl" + id + "-" + suffix;
        sh("ip", "netns", "add", ns);
        made.add(ns);
        sh("ip", "-n", ns, "link", "set", "lo", "up");
        return ns;
    }

    /** Starts {@code cmd} in namespace {@code ns}, its output to {@code log}; stopped by {@link #close()}. */
    Process spawn(String ns, List<String> cmd, Path log) throws IOException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(cmd);
        Process p = new ProcessBuilder(full).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        synchronized (processes) {
            processes.add(p);
        }
        return p;
    }

    /** What {@code cmd} prints in namespace {@code ns} (empty on failure). */
    String output(String ns, String... cmd) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(cmd));
        Result r = run(full);
        return r.exit == 0 ? r.output : "";
    }

    static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Kills every process started here (their namespaces stay). */
    void killAll() {
        List<Process> all;
        synchronized (processes) {
            all = new ArrayList<>(processes);
            processes.clear();
        }
        all.forEach(Lab::kill);
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 25), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public synchronized void close() {
        if (hooked && Thread.currentThread() != onExit) {
            hooked = false;
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException e) {
                // the JVM is exiting: the hook runs (and finds nothing left to do)
            }
        }
        killAll();
        for (String ns : made) {
            try {
                run(List.of("ip", "netns", "del", ns));
            } catch (IOException e) {
                System.err.println("lab: cannot delete namespace " + ns + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        made.clear();
    }
}
