package dev.tandem.packaging.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The mirror's disk faults between two real Tandem processes, each in its own network namespace, mirroring
 * their config, a static root {@code www} and a root {@code mnt} that must be a mount point (a tmpfs on each
 * node). An emptied root (what an unmounted disk or a failed restore looks like) must leave every file on the
 * peer until an operator confirms the deletion, and so must one made in batches (a root {@code split} of its
 * own); an unmounted mount point must not be scanned at all. Needs root
 * and {@code ip netns}; skips, saying why, without them. Runs after {@code package} (failsafe).
 */
class MirrorFaultsLabIT {

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
                paths: [tandem.yaml, www, mnt, split]
                state_dir: state
                scan_interval: 1s
                require_mount: [mnt]
            """;

    @RegisterExtension
    static final LabNodes.Failures failures = new LabNodes.Failures();

    private static LabNodes nodes;
    private static Lab lab;
    private static Path work;
    private static Process node1;
    private static Process node2;

    @BeforeAll
    static void buildLab() throws Exception {
        nodes = LabNodes.open("tandem-mirrorfaults-", 2);
        lab = nodes.lab;
        work = nodes.work;
        try {
            for (String n : List.of("n1", "n2")) {
                Path dir = Files.createDirectories(work.resolve(n));
                Files.copy(nodes.key, dir.resolve("cluster.key"));
                Files.createDirectories(dir.resolve("www"));
                Files.createDirectories(dir.resolve("mnt"));
                Files.createDirectories(dir.resolve("split"));
                lab.sh("mount", "-t", "tmpfs", "-o", "size=4m", "tandem-lab", dir.resolve("mnt").toString());
                Files.writeString(dir.resolve("tandem.yaml"), CONFIG.formatted(Lab.NET));
                nodes.backend(nodes.ns(n), n + "-web", "backend", "127.0.0.1", 8001);
            }
            node1 = nodes.run("n1", work.resolve("n1/tandem.yaml"), nodes.log("n1"));
            node2 = nodes.run("n2", work.resolve("n2/tandem.yaml"), nodes.log("n2"));
            await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                    .failFast(() -> !node1.isAlive() || !node2.isAlive())
                    .until(() -> Files.readString(nodes.log("n1")).contains("mirror: first sync")
                            && Files.readString(nodes.log("n2")).contains("mirror: first sync"));
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
                Lab.run(List.of("umount", "-l", work.resolve(n).resolve("mnt").toString()));
            } catch (IOException | InterruptedException e) {
                // not mounted
            }
        }
    }

    private static long files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    /** The node's /status, without white space (it may be indented). */
    private static String status(String node) throws Exception {
        return lab.output(nodes.ns(node), "curl", "-s", "-m", "2", "http://127.0.0.1:9090/status").replaceAll("\\s", "");
    }

    /**
     * Runs {@code cmd} in node {@code name}'s mount namespace: {@code ip netns exec} gave the node one of its own
     * at its start, and a mount or unmount made outside it afterwards does not reach it.
     */
    private static Lab.Result inNode(String name, String... cmd) throws Exception {
        // bin/tandem execs java: the process started is the JVM itself, or (a shell that forked) its parent
        long pid = Stream.concat(Stream.of(node(name).toHandle()), node(name).descendants())
                .filter(h -> h.info().command().orElse("").endsWith("java"))
                .mapToLong(ProcessHandle::pid).findFirst().orElse(node(name).pid());
        List<String> full = new java.util.ArrayList<>(List.of("nsenter", "-t", Long.toString(pid), "-m", "--"));
        full.addAll(List.of(cmd));
        return Lab.run(full);
    }

    private static Process node(String name) {
        return name.equals("n1") ? node1 : node2;
    }

    /** The regular files of {@code dir} as node {@code name} sees them. */
    private static long filesInNode(String name, Path dir) throws Exception {
        Lab.Result r = inNode(name, "find", dir.toString(), "-maxdepth", "1", "-type", "f");
        return r.output().lines().filter(l -> !l.isBlank()).count();
    }

    private static String metrics(String node) throws Exception {
        return lab.output(nodes.ns(node), "curl", "-s", "-m", "2", "http://127.0.0.1:9090/metrics");
    }

    /** {@code tandem_mirror_deletions_held_total} of the node (the tests of the class share the nodes). */
    private static double held(String node) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^tandem_mirror_deletions_held_total (\\S+)$")
                .matcher(metrics(node));
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    private static Lab.Result cli(String node, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("ip", "netns", "exec", nodes.ns(node), "sh",
                nodes.dist.resolve("bin/tandem").toString()));
        cmd.addAll(List.of(args));
        return Lab.run(cmd);
    }

    private static void fill(Path dir, String prefix) throws IOException {
        for (int i = 0; i < 20; i++) {
            Files.writeString(dir.resolve(prefix + i + ".html"), prefix + " " + i + "\n");
        }
    }

    @Test
    void anEmptiedRootLeavesEveryFileOnThePeerUntilConfirmed() throws Exception {
        Path www1 = work.resolve("n1/www");
        Path www2 = work.resolve("n2/www");
        double heldBefore = held("n1");
        fill(www1, "page");
        await().atMost(30, TimeUnit.SECONDS).until(() -> files(www2) == 20);

        // the root replaced by an empty directory
        Files.move(www1, work.resolve("n1/www.old"));
        Files.createDirectories(www1);
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> status("n1").contains("\"files_then\":20"));
        assertTrue(Files.readString(nodes.log("n1")).contains("deleted at once here: held"), "a WARN says so");
        assertEquals(heldBefore + 1, held("n1"), "counted once");
        // several scans later the peer still has every file
        await().during(3, TimeUnit.SECONDS).atMost(10, TimeUnit.SECONDS).until(() -> files(www2) == 20);
        assertEquals("page 7", lab.output(lab.client, "curl", "-s", "-m", "2", "http://" + Lab.NET + ".2/page7.html").trim());

        Lab.Result confirmed = cli("n1", "mirror", "confirm", www1.toString());
        assertEquals(0, confirmed.exit(), confirmed.output());
        await().atMost(30, TimeUnit.SECONDS).until(() -> files(www2) == 0);
        await().atMost(10, TimeUnit.SECONDS).until(() -> status("n1").contains("\"held_deletions\":[]"));
        Lab.Result none = cli("n1", "mirror", "confirm", www1.toString());
        assertEquals(1, none.exit(), "nothing held any more: " + none.output());
    }

    @Test
    void aMassDeletionMadeInBatchesIsHeldOnceTheyAddUpToOne() throws Exception {
        Path split1 = work.resolve("n1/split");
        Path split2 = work.resolve("n2/split");
        fill(split1, "part");
        await().atMost(30, TimeUnit.SECONDS).until(() -> files(split2) == 20);
        // 5 files at a time, each batch mirrored before the next: none is a mass deletion on its own
        for (int batch = 0; batch < 2; batch++) {
            for (int i = batch * 5; i < batch * 5 + 5; i++) {
                Files.delete(split1.resolve("part" + i + ".html"));
            }
            long left = 20 - (batch + 1) * 5;
            await().atMost(30, TimeUnit.SECONDS).until(() -> files(split2) == left);
        }
        for (int i = 10; i < 15; i++) {
            Files.delete(split1.resolve("part" + i + ".html"));
        }
        // 15 of the 20 within the window: held
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> Files.readString(nodes.log("n1")).contains("of the 20 file(s) of " + split1
                        + " deleted at once here: held"));
        await().during(3, TimeUnit.SECONDS).atMost(10, TimeUnit.SECONDS).until(() -> files(split2) == 10);

        Lab.Result confirmed = cli("n1", "mirror", "confirm", split1.toString());
        assertEquals(0, confirmed.exit(), confirmed.output());
        await().atMost(30, TimeUnit.SECONDS).until(() -> files(split2) == 5);
    }

    @Test
    void anUnmountedMountPointIsNotScanned() throws Exception {
        Path mnt1 = work.resolve("n1/mnt");
        Path mnt2 = work.resolve("n2/mnt");
        fill(mnt1, "disk");
        await().atMost(30, TimeUnit.SECONDS).until(() -> files(mnt2) == 20);

        // unmounted where the node sees it (its own mount namespace): an empty directory is left. As an operator
        // would, tried again while it is busy: the node may still be reading a file there (sending it to n2).
        Lab.Result[] umount = new Lab.Result[1];
        await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> (umount[0] = inNode("n1", "umount", mnt1.toString())).exit() == 0
                        || !umount[0].output().contains("busy"));
        assertEquals(0, umount[0].exit(), umount[0].output());
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> Files.readString(nodes.log("n1")).contains(mnt1 + " is not a mount point"));
        // an edit on the peer meanwhile is not written below n1's mount point (the disk would hide it when it
        // came back, and then offer its older copy as an edit)
        Files.writeString(mnt2.resolve("disk5.html"), "disk 5 edited\n");
        await().during(3, TimeUnit.SECONDS).atMost(10, TimeUnit.SECONDS)
                .until(() -> files(mnt2) == 20 && filesInNode("n1", mnt1) == 0);
        assertTrue(status("n1").contains("\"held_deletions\":[]"), "not scanned: not even a held deletion");

        // mounted again, but empty (a fresh disk): a mass deletion, held; restore fetches the files back
        Lab.Result mount = inNode("n1", "mount", "-t", "tmpfs", "-o", "size=4m", "tandem-lab", mnt1.toString());
        assertEquals(0, mount.exit(), mount.output());
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> status("n1").contains("\"path\":\"" + mnt1 + "\",\"files\":20"));
        Lab.Result restored = cli("n1", "mirror", "restore", mnt1.toString());
        assertEquals(0, restored.exit(), restored.output());
        await().atMost(30, TimeUnit.SECONDS).until(() -> filesInNode("n1", mnt1) == 20);
        assertEquals("disk 3", inNode("n1", "cat", mnt1.resolve("disk3.html").toString()).output().trim());
        assertEquals("disk 5 edited", inNode("n1", "cat", mnt1.resolve("disk5.html").toString()).output().trim());
        assertEquals(20, files(mnt2));
        assertEquals("disk 5 edited", Files.readString(mnt2.resolve("disk5.html")).trim());
    }
}
