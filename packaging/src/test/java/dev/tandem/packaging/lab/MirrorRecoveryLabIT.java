package dev.tandem.packaging.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How the mirror between two real Tandem processes (each in its own network namespace) recovers from what a
 * machine or a network does to it mid-way: the receiver killed during a large transfer, the link down during
 * one, edits on both sides of a partition, a node restored from an old backup, and an hour of clock skew. Each
 * node mirrors its config, a static root {@code www} served on port 80, and {@code bigfs/files}, a directory
 * on a tmpfs of its own that holds the large files (written beside it in {@code bigfs/staging} and renamed in,
 * as a deploy tool would). What must hold: a file is at its name whole or not at all; what was interrupted
 * arrives once the fault is over; concurrent edits end the same on both nodes, the loser kept and never served;
 * versions, not wall clocks, decide. Needs root and {@code ip netns}; skips, saying why, without them. Runs
 * after {@code package} (failsafe).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MirrorRecoveryLabIT {

    private static final String CONFIG = """
            listeners:
              - {name: http, bind: "0.0.0.0:80"}
            sites:
              - {hosts: ["*"], static: {root: www, fallback: true}, upstream: web}
            upstreams:
              web:
                servers: [{address: "127.0.0.1:8001"}]
            cluster:
              nodes: {n1: %1$s.1, n2: %1$s.2}
              secret_file: cluster.key
              advert_interval: 100ms
              state_dir: state-cluster
              mirror:
                paths: [tandem.yaml, www, bigfs/files]
                state_dir: state
                scan_interval: 1s
            """;

    private static final long MIB = 1024 * 1024;
    /** libfaketime, from Debian's {@code faketime} package (the clock skew test needs it). */
    private static final Path FAKETIME = Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");

    @RegisterExtension
    static final LabNodes.Failures failures = new LabNodes.Failures();

    private static LabNodes nodes;
    private static Lab lab;
    private static Path work;
    private static Process node1;
    private static Process node2;

    @BeforeAll
    static void buildLab() throws Exception {
        nodes = LabNodes.open("tandem-mirrorrecovery-", 2);
        lab = nodes.lab;
        work = nodes.work;
        try {
            for (String n : List.of("n1", "n2")) {
                Path dir = Files.createDirectories(work.resolve(n));
                Files.copy(nodes.key, dir.resolve("cluster.key"));
                Files.createDirectories(dir.resolve("www"));
                Files.createDirectories(dir.resolve("bigfs"));
                // room for a large file, its copy being received and the one before it (tmpfs: no disk is flushed)
                lab.sh("mount", "-t", "tmpfs", "-o", "size=1500m", "tandem-lab", dir.resolve("bigfs").toString());
                Files.createDirectories(dir.resolve("bigfs/files"));
                Files.createDirectories(dir.resolve("bigfs/staging"));
                Files.writeString(dir.resolve("tandem.yaml"), CONFIG.formatted(Lab.NET));
                nodes.backend(nodes.ns(n), n + "-web", "backend", "127.0.0.1", 8001);
            }
            node1 = start("n1", false);
            node2 = start("n2", false);
            awaitFirstSync("n1", 0, node1);
            awaitFirstSync("n2", 0, node2);
        } catch (Exception | AssertionError e) {
            System.err.println(nodes.logs(List.of("n1", "n2")));
            unmount();
            nodes.close(true, "the logs of a lab that did not start");
            throw e;
        }
    }

    @AfterAll
    static void removeLab() throws IOException {
        if (nodes != null) {
            if (failures.keep()) {
                System.err.println(nodes.logs(List.of("n1", "n2")));
            }
            lab.close();
            unmount();
            nodes.close(failures.keep(), "the nodes' logs and roots");
        }
    }

    /** The work directory goes after the tmpfs mounts under it (which outlive the lab's namespaces). */
    private static void unmount() {
        for (String n : List.of("n1", "n2")) {
            try {
                Lab.run(List.of("umount", "-l", work.resolve(n).resolve("bigfs").toString()));
            } catch (IOException | InterruptedException e) {
                // not mounted
            }
        }
    }

    // ------------------------------------------------------------------ nodes

    /**
     * Starts node {@code name} on its config; {@code skewed}: with its wall clock an hour behind the other's
     * (libfaketime; the monotonic clock, which timers and timeouts use, is left alone).
     */
    private static Process start(String name, boolean skewed) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (skewed) {
            cmd.addAll(List.of("env", "LD_PRELOAD=" + FAKETIME, "FAKETIME=-1h", "FAKETIME_DONT_FAKE_MONOTONIC=1",
                    "FAKETIME_NO_CACHE=1"));
        }
        cmd.addAll(List.of("sh", nodes.dist.resolve("bin/tandem").toString(), "run", "--config",
                work.resolve(name).resolve("tandem.yaml").toString(), "--node", name));
        return lab.spawn(nodes.ns(name), cmd, nodes.log(name));
    }

    /** Waits until node {@code name} logged its first sync past {@code from} of its log. */
    private static void awaitFirstSync(String name, int from, Process p) {
        await().atMost(90, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .failFast("node " + name + " exited", () -> !p.isAlive())
                .until(() -> nodes.logSince(name, from).contains("mirror: first sync"));
    }

    /** Stops n2 as systemd does (SIGTERM), and waits for it to be gone. */
    private static void stopN2() throws InterruptedException {
        node2.destroy();
        assertTrue(node2.waitFor(60, TimeUnit.SECONDS), "n2 stops on SIGTERM");
    }

    /** Starts n2 again and waits for its first sync. */
    private static void restartN2(boolean skewed) throws IOException {
        int from = nodes.logLength("n2");
        node2 = start("n2", skewed);
        awaitFirstSync("n2", from, node2);
    }

    // ------------------------------------------------------------------ files

    private static Path path(String node, String rel) {
        return work.resolve(node).resolve(rel);
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** {@code mib} MiB of random data in n1's staging directory (the same tmpfs as its mirrored files). */
    private static Path staged(String name, int mib) throws Exception {
        Path f = path("n1", "bigfs/staging/" + name);
        lab.sh("sh", "-c", "head -c " + mib + "M /dev/urandom > " + f);
        assertEquals(mib * MIB, Files.size(f));
        return f;
    }

    /** The mirror's temporary files in {@code dir} (a file being received). */
    private static List<Path> temps(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().contains(".tandem-mirror-")).toList();
        }
    }

    /** The size of the largest temporary file in {@code dir} (0 if none). */
    private static long receivedSoFar(Path dir) throws IOException {
        long most = 0;
        for (Path t : temps(dir)) {
            try {
                most = Math.max(most, Files.size(t));
            } catch (IOException e) {
                // renamed or removed meanwhile
            }
        }
        return most;
    }

    private static boolean content(Path file, String expected) {
        try {
            return Files.readString(file).equals(expected);
        } catch (IOException e) {
            return false;
        }
    }

    /** Writes {@code text} to {@code file} as an editor saves: a temporary file renamed over it. */
    private static void save(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".swp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    // ------------------------------------------------------------------ what the nodes say

    /** The node's /status, without white space (it may be indented). */
    private static String status(String node) throws Exception {
        return lab.output(nodes.ns(node), "curl", "-s", "-m", "2", "http://127.0.0.1:9090/status").replaceAll("\\s", "");
    }

    /**
     * The version and origin the node's status gives the static root {@code www}: those of its file of the
     * highest version.
     */
    private record RootVersion(long version, String origin) {
    }

    private static RootVersion www(String node) throws Exception {
        Matcher m = Pattern.compile("\"path\":\"" + Pattern.quote(path(node, "www").toString())
                + "\",\"directory\":true,\"version\":(\\d+),\"origin\":\"?([^\",]*)").matcher(status(node));
        return m.find() ? new RootVersion(Long.parseLong(m.group(1)), m.group(2)) : new RootVersion(-1, "");
    }

    /** {@code STATUS BODY} a client gets for {@code path} from node {@code n} ({@code .1} or {@code .2}). */
    private static String get(int n, String path) throws Exception {
        String out = lab.output(lab.client, "curl", "-s", "-m", "5", "-w", "\n%{http_code}",
                "http://" + Lab.NET + "." + n + "/" + path);
        int nl = out.lastIndexOf('\n');
        return nl < 0 ? out : out.substring(nl + 1) + " " + out.substring(0, nl).trim();
    }

    private static void link(String node, String state) throws Exception {
        lab.sh("ip", "-n", nodes.ns(node), "link", "set", "eth0", state);
    }

    // ------------------------------------------------------------------ the faults

    @Test
    @Order(1)
    void aReceiverKilledMidTransferLeavesNoHalfFileAndResumes() throws Exception {
        Path staged = staged("killed.bin", 400);
        String hash = sha256(staged);
        Path files2 = path("n2", "bigfs/files");
        Path target = files2.resolve("killed.bin");
        Files.move(staged, path("n1", "bigfs/files/killed.bin"), StandardCopyOption.ATOMIC_MOVE);

        // well into the transfer (tens of MiB of 400 arrived), but far from its end
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20))
                .failFast("the whole file arrived before the kill", () -> Files.exists(target))
                .until(() -> receivedSoFar(files2) >= 32 * MIB);
        Lab.kill(node2);
        long soFar = receivedSoFar(files2);
        assertFalse(Files.exists(target), "nothing at the file's name");
        assertTrue(soFar > 0 && soFar < 400 * MIB, "the kill left part of the file, under a temporary name: " + soFar);

        long started = System.nanoTime();
        restartN2(false);
        await().atMost(120, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .failFast("n2 exited", () -> !node2.isAlive())
                .until(() -> Files.exists(target));
        assertEquals(400 * MIB, Files.size(target), "a file is at its name only whole");
        assertEquals(hash, sha256(target));
        assertEquals(List.of(), temps(files2), "the interrupted write's leftover is gone");
        assertTrue(Files.readString(nodes.log("n2")).contains("left by an interrupted write"), "and that was logged");
        System.out.printf("kill -9 mid-transfer: %d MiB of 400 had arrived; the whole file %d ms after the restart%n",
                soFar / MIB, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    @Test
    @Order(2)
    void theLinkDownMidTransferLeavesNoPartialFileAndTheTransferEndsOnceItIsBack() throws Exception {
        Path staged = staged("linkdown.bin", 300);
        String hash = sha256(staged);
        Path files2 = path("n2", "bigfs/files");
        Path target = files2.resolve("linkdown.bin");
        Files.move(staged, path("n1", "bigfs/files/linkdown.bin"), StandardCopyOption.ATOMIC_MOVE);

        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20))
                .failFast("the whole file arrived before the link went down", () -> Files.exists(target))
                .until(() -> receivedSoFar(files2) >= 16 * MIB);
        long beforeDown;
        int from = nodes.logLength("n2");
        try {
            link("n2", "down");
            beforeDown = receivedSoFar(files2);
            // a few seconds without the link: nothing appears at the file's name, the transfer stalls
            await().during(4, TimeUnit.SECONDS).atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                    .until(() -> !Files.exists(target));
            assertTrue(receivedSoFar(files2) < 300 * MIB, "still partial, and under a temporary name");
            // down until the receiver gives the connection up (its read timeout): the part received goes
            await().atMost(40, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                    .until(() -> nodes.logSince("n2", from).contains("linkdown.bin from n1 interrupted"));
            await().atMost(10, TimeUnit.SECONDS).until(() -> temps(files2).isEmpty());
            assertFalse(Files.exists(target));
        } finally {
            link("n2", "up");
        }
        long up = System.nanoTime();
        await().atMost(120, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .failFast("n2 exited", () -> !node2.isAlive())
                .until(() -> Files.exists(target));
        assertEquals(300 * MIB, Files.size(target), "a file is at its name only whole");
        assertEquals(hash, sha256(target));
        await().atMost(10, TimeUnit.SECONDS).until(() -> temps(files2).isEmpty());
        System.out.printf("link down mid-transfer: %d MiB of 300 had arrived; the whole file %d ms after the link was up%n",
                beforeDown / MIB, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - up));
    }

    @Test
    @Order(3)
    void editsOnBothSidesOfAPartitionEndTheSameOnBothAndTheLoserIsKeptButNotServed() throws Exception {
        Path page1 = path("n1", "www/page.html");
        Path page2 = path("n2", "www/page.html");
        save(page1, "before the partition\n");
        await().atMost(30, TimeUnit.SECONDS).until(() -> content(page2, "before the partition\n"));
        await().atMost(30, TimeUnit.SECONDS).until(() -> www("n1").version() == www("n2").version());
        long base = www("n1").version();

        try {
            link("n2", "down");
            save(page1, "edited on n1\n");
            save(page2, "edited on n2\n");
            // each node made its edit a version before they meet again
            await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                    .until(() -> www("n1").version() > base && www("n1").origin().equals("n1"));
            await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                    .until(() -> www("n2").version() > base && www("n2").origin().equals("n2"));
            assertEquals(www("n1").version(), www("n2").version(), "one edit each on the same version");
        } finally {
            link("n2", "up");
        }

        // Concurrent versions of the same number: the greater node name wins, on both nodes.
        long v = base + 1;
        String kept = "page.html.conflict-n1-" + v;
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> content(page1, "edited on n2\n") && content(page2, "edited on n2\n")
                        && content(path("n1", "www/" + kept), "edited on n1\n")
                        && content(path("n2", "www/" + kept), "edited on n1\n"));
        await().during(3, TimeUnit.SECONDS).atMost(10, TimeUnit.SECONDS)
                .until(() -> content(page1, "edited on n2\n") && content(page2, "edited on n2\n"));

        for (int n = 1; n <= 2; n++) {
            assertEquals("200 edited on n2", get(n, "page.html"));
            String copy = get(n, kept);
            assertTrue(copy.startsWith("404"), "the conflict copy is never served (node " + n + "): " + copy);
            assertFalse(copy.contains("edited on n1"), copy);
        }
        for (String n : List.of("n1", "n2")) {
            String s = status(n);
            assertTrue(s.contains("\"kept_as\":\"" + path(n, "www/" + kept) + "\""), n + " lists the conflict: " + s);
            assertTrue(s.contains("\"loser\":\"" + v + "@n1\",\"winner\":\"" + v + "@n2\""), n + ": " + s);
        }
    }

    @Test
    @Order(4)
    void aNodeRestoredFromAWeekOldBackupNeitherResurrectsNorRollsBack() throws Exception {
        Path www1 = path("n1", "www");
        Path www2 = path("n2", "www");
        for (String f : List.of("kept", "gone", "same")) {
            save(www1.resolve(f + ".html"), f + " as backed up\n");
        }
        await().atMost(30, TimeUnit.SECONDS).until(() -> content(www2.resolve("gone.html"), "gone as backed up\n")
                && content(www2.resolve("kept.html"), "kept as backed up\n")
                && content(www2.resolve("same.html"), "same as backed up\n"));

        // the backup: n2's root and mirror state, taken with n2 stopped
        Path backup = Files.createDirectories(work.resolve("n2-backup"));
        stopN2();
        lab.sh("cp", "-a", www2.toString(), path("n2", "state").toString(), backup.toString());
        restartN2(false);

        // a week of work on n1, which n2 follows
        save(www1.resolve("kept.html"), "kept as edited since\n");
        Files.delete(www1.resolve("gone.html"));
        save(www1.resolve("new.html"), "new since\n");
        await().atMost(30, TimeUnit.SECONDS).until(() -> content(www2.resolve("kept.html"), "kept as edited since\n")
                && !Files.exists(www2.resolve("gone.html")) && content(www2.resolve("new.html"), "new since\n"));

        // n2 restored from the backup, with the backup's week-old times
        stopN2();
        lab.sh("rm", "-rf", www2.toString(), path("n2", "state").toString());
        lab.sh("cp", "-a", backup.resolve("www").toString(), backup.resolve("state").toString(), path("n2", "").toString());
        lab.sh("sh", "-c", "find " + www2 + " " + path("n2", "state") + " -exec touch -h -d '7 days ago' {} +");
        assertTrue(Files.exists(www2.resolve("gone.html")) && content(www2.resolve("kept.html"), "kept as backed up\n"));
        restartN2(false);

        // n2 takes the week's edits and deletions; n1 gets nothing of the backup back
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> content(www2.resolve("kept.html"), "kept as edited since\n")
                        && !Files.exists(www2.resolve("gone.html")) && content(www2.resolve("new.html"), "new since\n"));
        await().during(5, TimeUnit.SECONDS).atMost(15, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> content(www1.resolve("kept.html"), "kept as edited since\n")
                        && content(www2.resolve("kept.html"), "kept as edited since\n")
                        && !Files.exists(www1.resolve("gone.html")) && !Files.exists(www2.resolve("gone.html"))
                        && content(www1.resolve("same.html"), "same as backed up\n")
                        && content(www2.resolve("same.html"), "same as backed up\n"));
        for (Path dir : List.of(www1, www2)) {
            try (Stream<Path> s = Files.list(dir)) {
                List<String> copies = s.map(p -> p.getFileName().toString())
                        .filter(n -> n.startsWith("kept.html.conflict-") || n.startsWith("gone.html.conflict-")).toList();
                assertEquals(List.of(), copies, "the backup's versions are older, not concurrent: no conflict in " + dir);
            }
        }
        assertEquals("200 kept as edited since", get(2, "kept.html"));
    }

    /**
     * A node reinstalled without its mirror state, its files copied back from a backup (with {@code cp}, so
     * with new times): it must take the deletion and the edit the cluster made since the backup, and bring
     * neither the deleted file back (not even as a conflict copy) nor lose the file a person added to it.
     */
    @Test
    @Order(7)
    void aNodeRestoredWithoutItsStateNeitherResurrectsNorLosesAnAddedFile() throws Exception {
        Path www1 = path("n1", "www");
        Path www2 = path("n2", "www");
        save(www1.resolve("ns-kept.html"), "ns-kept as backed up\n");
        save(www1.resolve("ns-gone.html"), "ns-gone as backed up\n");
        await().atMost(30, TimeUnit.SECONDS).until(() -> content(www2.resolve("ns-kept.html"), "ns-kept as backed up\n")
                && content(www2.resolve("ns-gone.html"), "ns-gone as backed up\n"));
        Path backup = Files.createDirectories(work.resolve("n2-backup-files"));
        lab.sh("cp", "-r", www2.toString(), backup.toString());

        stopN2();
        save(www1.resolve("ns-kept.html"), "ns-kept as edited since\n");
        Files.delete(www1.resolve("ns-gone.html"));
        // n2 reinstalled: no state, the files copied back, and one added by a person before it starts
        lab.sh("rm", "-rf", www2.toString(), path("n2", "state").toString());
        lab.sh("cp", "-r", backup.resolve("www").toString(), path("n2", "").toString());
        save(www2.resolve("ns-added.html"), "ns-added on n2\n");
        assertTrue(content(www2.resolve("ns-gone.html"), "ns-gone as backed up\n"));
        int from = nodes.logLength("n2");
        restartN2(false);

        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> content(www2.resolve("ns-kept.html"), "ns-kept as edited since\n")
                        && !Files.exists(www2.resolve("ns-gone.html"))
                        && content(www1.resolve("ns-added.html"), "ns-added on n2\n"));
        await().during(5, TimeUnit.SECONDS).atMost(15, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> content(www1.resolve("ns-kept.html"), "ns-kept as edited since\n")
                        && !Files.exists(www1.resolve("ns-gone.html")) && !Files.exists(www2.resolve("ns-gone.html")));
        for (Path dir : List.of(www1, www2)) {
            try (Stream<Path> s = Files.list(dir)) {
                List<String> copies = s.map(p -> p.getFileName().toString())
                        .filter(n -> n.startsWith("ns-gone.html")).toList();
                assertEquals(List.of(), copies, "the deleted file comes back in no form in " + dir);
            }
        }
        assertTrue(nodes.logSince("n2", from).contains("no record of versions here"), nodes.logSince("n2", from));
        assertEquals("200 ns-kept as edited since", get(2, "ns-kept.html"));
        assertEquals("200 ns-added on n2", get(1, "ns-added.html"));
    }

    /**
     * A restored node's counter is back where the backup left it: an edit it makes before it meets its peer
     * again gets the very version (the same vector) an edit it made after the backup already had, with other
     * content. The two must still end the same on both nodes, the other one kept, not each node keeping its own
     * as if they agreed.
     */
    @Test
    @Order(5)
    void aRestoredNodesEditBeforeItRejoinsEndsTheSameOnBothNodes() throws Exception {
        Path mine1 = path("n1", "www/mine.html");
        Path mine2 = path("n2", "www/mine.html");
        save(mine2, "mine as backed up\n");
        await().atMost(30, TimeUnit.SECONDS).until(() -> content(mine1, "mine as backed up\n"));

        Path backup = Files.createDirectories(work.resolve("n2-backup-mine"));
        stopN2();
        lab.sh("cp", "-a", path("n2", "www").toString(), path("n2", "state").toString(), backup.toString());
        restartN2(false);
        save(mine2, "mine as edited since\n");
        await().atMost(30, TimeUnit.SECONDS).until(() -> content(mine1, "mine as edited since\n"));

        // restored, and started while it cannot reach n1; edited there at once
        stopN2();
        lab.sh("rm", "-rf", path("n2", "www").toString(), path("n2", "state").toString());
        lab.sh("cp", "-a", backup.resolve("www").toString(), backup.resolve("state").toString(), path("n2", "").toString());
        String restored;
        try {
            link("n2", "down");
            int from = nodes.logLength("n2");
            node2 = start("n2", false);
            await().atMost(90, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                    .failFast("n2 exited", () -> !node2.isAlive())
                    .until(() -> nodes.logSince("n2", from).contains("mirror: node n2: "));
            assertTrue(content(mine2, "mine as backed up\n"));
            save(mine2, "mine as edited after the restore\n");
            await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                    .until(() -> nodes.logSince("n2", from).contains("mine.html changed here"));
            restored = nodes.logSince("n2", from);
        } finally {
            link("n2", "up");
        }
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> Files.readString(mine1).equals(Files.readString(mine2)));
        String won = Files.readString(mine1);
        String lost = won.equals("mine as edited since\n") ? "mine as edited after the restore\n" : "mine as edited since\n";
        for (String n : List.of("n1", "n2")) {
            await().atMost(30, TimeUnit.SECONDS).until(() -> {
                try (Stream<Path> s = Files.list(path(n, "www"))) {
                    return s.filter(p -> p.getFileName().toString().startsWith("mine.html.conflict-"))
                            .anyMatch(p -> content(p, lost));
                }
            });
        }
        await().during(3, TimeUnit.SECONDS).atMost(10, TimeUnit.SECONDS)
                .until(() -> content(mine1, won) && content(mine2, won));
        assertTrue(restored.contains("mine.html changed here"), restored);
    }

    @Test
    @Order(6)
    void anHourOfClockSkewChangesNothingVersionsDecide() throws Exception {
        Assumptions.assumeTrue(Files.exists(FAKETIME), "clock skew test skipped: no " + FAKETIME + " (apt-get install faketime)");
        stopN2();
        restartN2(true);
        Path skew1 = path("n1", "www/skew.html");
        Path skew2 = path("n2", "www/skew.html");
        int from1 = nodes.logLength("n1");
        int from2 = nodes.logLength("n2");

        save(skew1, "one, from n1\n");
        await().atMost(30, TimeUnit.SECONDS).until(() -> content(skew2, "one, from n1\n"));
        Edit one = await().atMost(10, TimeUnit.SECONDS).until(() -> edit("n1", "skew.html", from1, 0), e -> e != null);

        // n2's edit comes later, but its clock stamps it an hour earlier: it still replaces n1's, on both nodes
        save(skew2, "two, from n2\n");
        await().atMost(30, TimeUnit.SECONDS).until(() -> content(skew1, "two, from n2\n"));
        Edit two = await().atMost(10, TimeUnit.SECONDS).until(() -> edit("n2", "skew.html", from2, 0), e -> e != null);
        assertTrue(two.at().isBefore(one.at().minus(Duration.ofMinutes(50))),
                "n2's clock is an hour behind n1's: " + one + " then " + two);
        assertTrue(two.version() > one.version(), one + " then " + two);

        save(skew1, "three, from n1\n");
        await().atMost(30, TimeUnit.SECONDS).until(() -> content(skew2, "three, from n1\n"));
        Edit three = await().atMost(10, TimeUnit.SECONDS)
                .until(() -> edit("n1", "skew.html", from1, one.version()), e -> e != null);
        assertTrue(three.version() > two.version(), two + " then " + three);
        await().during(3, TimeUnit.SECONDS).atMost(10, TimeUnit.SECONDS)
                .until(() -> content(skew1, "three, from n1\n") && content(skew2, "three, from n1\n"));
        for (String n : List.of("n1", "n2")) {
            try (Stream<Path> s = Files.list(path(n, "www"))) {
                assertEquals(List.of(), s.map(p -> p.getFileName().toString())
                        .filter(f -> f.startsWith("skew.html.conflict-")).toList(), "one edit after another: no conflict");
            }
        }
        // n2 started again with its clock behind its previous start: each node still sees the other in sync
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(500))
                .until(() -> inSyncWith("n1", "n2") && inSyncWith("n2", "n1"));
    }

    /** Whether node {@code node}'s status says it holds what {@code peer} holds. */
    private static boolean inSyncWith(String node, String peer) throws Exception {
        return Pattern.compile("\\{\"node\":\"" + peer + "\",\"sending\":\\w+,\"receiving\":\\w+,\"in_sync\":true")
                .matcher(status(node)).find();
    }

    /** An edit a node made, as its log says: when (by its own clock) and which version. */
    private record Edit(Instant at, long version) {
    }

    /** Node {@code node}'s first edit of {@code file} logged past {@code from} with a version above {@code above}. */
    private static Edit edit(String node, String file, int from, long above) throws IOException {
        Matcher m = Pattern.compile("(?m)^(\\S+) INFO .*" + Pattern.quote(file) + " changed here: version (\\d+)@"
                + node + "$").matcher(nodes.logSince(node, from));
        while (m.find()) {
            long version = Long.parseLong(m.group(2));
            if (version > above) {
                return new Edit(java.time.OffsetDateTime.parse(m.group(1)).toInstant(), version);
            }
        }
        return null;
    }
}
