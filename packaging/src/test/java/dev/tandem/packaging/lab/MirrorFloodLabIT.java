package dev.tandem.packaging.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stranger (the client's namespace, not a node of {@code cluster.nodes}) floods n2's mirror port with
 * thousands of connections at once, silent, garbage and handshakes that stop half-way, bounded in count and
 * time, while n1 restarts and edits its config: n1 gets its first sync with n2 through the flood, and n2 routes
 * by each of n1's edits within a generous bound. Needs root and {@code ip netns}; skips, saying why, without
 * them. Runs after {@code package} (failsafe).
 */
class MirrorFloodLabIT {

    private static final String CONFIG = """
            listeners:
              - {name: http, bind: "0.0.0.0:80"}
            sites:
              - {hosts: ["*"], upstream: web}
            upstreams:
              web:
                servers: [{address: "127.0.0.1:%3$d"}]
                timeouts: {connect: 1s, read: 5s, write: 5s}
            cluster:
              nodes: {n1: %1$s.1, n2: %1$s.2}
              port: 7400
              secret_file: cluster.key
              advert_interval: 100ms
              state_dir: %2$s-cluster
              mirror:
                paths: [tandem.yaml]
                state_dir: %2$s
            """;

    /**
     * Bounded: at most {@code most} connections over at most {@code seconds}; one opened every millisecond or
     * so and held 4 s (just under the listener's handshake timeout), so that thousands are open at once.
     * Prints how many it opened.
     */
    private static final String FLOOD = """
            import collections, os, resource, socket, sys, time
            host, port, seconds, most = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
            resource.setrlimit(resource.RLIMIT_NOFILE, (16384, 16384))
            held = collections.deque()
            opened = 0
            t0 = time.monotonic()
            print("flooding", flush=True)
            while time.monotonic() - t0 < seconds and opened < most:
                now = time.monotonic()
                while held and now - held[0][1] > 4:
                    held.popleft()[0].close()
                try:
                    s = socket.create_connection((host, port), timeout=1)
                    if opened % 3 == 1:
                        s.send(os.urandom(200))
                    elif opened % 3 == 2:
                        s.send(b"\\x00\\x00\\x00\\x64\\x01\\x02\\x03")
                    held.append((s, now))
                except OSError:
                    pass
                opened += 1
                time.sleep(0.001)
            print("opened=%d" % opened, flush=True)
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
        nodes = LabNodes.open("tandem-mirrorflood-lab-", 2);
        lab = nodes.lab;
        work = nodes.work;
        try {
            for (String n : List.of("n1", "n2")) {
                Path dir = Files.createDirectories(work.resolve(n));
                Files.copy(nodes.key, dir.resolve("cluster.key"));
                Files.writeString(dir.resolve("tandem.yaml"), config(8001));
                String ns = nodes.ns(n);
                nodes.backend(ns, n + "-one", "one", "127.0.0.1", 8001);
                nodes.backend(ns, n + "-two", "two", "127.0.0.1", 8002);
            }
            node1 = node("n1");
            node2 = node("n2");
            await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                    .failFast(() -> !node1.isAlive() || !node2.isAlive())
                    .until(() -> answer(Lab.NET + ".2").equals("one")
                            && Files.readString(log("n2")).contains("mirror: first sync")
                            && Files.readString(log("n1")).contains("mirror: first sync"));
        } catch (Exception | AssertionError e) {
            System.err.println(logs());
            lab.close();
            throw e;
        }
    }

    @AfterAll
    static void removeLab() throws IOException {
        if (nodes != null) {
            nodes.close(failures.keep(), "the nodes' logs");
        }
    }

    private static String config(int port) {
        return CONFIG.formatted(Lab.NET, "state", port);
    }

    private static Process node(String name) throws IOException {
        return nodes.run(name, work.resolve(name).resolve("tandem.yaml"), log(name));
    }

    private static Path log(String name) {
        return nodes.log(name);
    }

    private static String answer(String address) throws Exception {
        return lab.output(lab.client, "curl", "-s", "-m", "0.5", "http://" + address + "/").trim();
    }

    private static String logs() {
        return nodes.logs(List.of("n1", "n2"));
    }

    private static void save(String text) throws IOException {
        Path config = work.resolve("n1/tandem.yaml");
        Path tmp = config.resolveSibling(".tandem.yaml.swp");
        Files.writeString(tmp, text);
        Files.move(tmp, config, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void thePeersKeepSyncingWhileAStrangerFloodsTheMirrorPort() throws Exception {
        Path floodLog = work.resolve("flood.log");
        Process flood = lab.spawn(lab.client, List.of("python3", "-c", FLOOD, Lab.NET + ".2", "7400", "120", "60000"),
                floodLog);
        try {
            await().atMost(10, TimeUnit.SECONDS).until(() -> Files.exists(floodLog)
                    && Files.readString(floodLog).contains("flooding"));
            // In force: n2 refuses some of the stranger's connections (whatever for).
            await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).until(() ->
                    Files.readString(log("n2")).lines().anyMatch(l -> l.contains("mirror: connection from")
                            && l.contains(Lab.NET + ".100") && l.contains("refused")));

            // n1 restarts and must get through to n2 for its first sync.
            Lab.kill(node1);
            int from = nodes.logLength("n1");
            node1 = node("n1");
            await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).failFast(() -> !node1.isAlive())
                    .until(() -> nodes.logSince("n1", from).contains("mirror: first sync over"));
            assertTrue(nodes.logSince("n1", from).contains("first sync over (synced with n2)"),
                    "n1's first sync went through the flood" + logs());

            // n1's edits reach n2 through the flood (generous bounds: an edit takes well under a second).
            int port = 8001;
            for (int i = 0; i < 3; i++) {
                port = port == 8001 ? 8002 : 8001;
                String expected = port == 8002 ? "two" : "one";
                save(config(port));
                await().atMost(15, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50))
                        .until(() -> answer(Lab.NET + ".2").equals(expected));
            }
            assertTrue(flood.isAlive(), "the flood went on all along: " + Files.readString(floodLog));
        } finally {
            Lab.kill(flood);
        }
        String n2 = Files.readString(log("n2"));
        assertTrue(n2.contains("refused (stranger)"), "the strangers were refused as they were accepted" + logs());
        assertTrue(!n2.contains("too many connections in their handshake"), "no stranger reached the handshake");
    }
}
