package dev.tandem.packaging.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.testkit.HttpPoller;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The failover lab: a client and two nodes on a bridge, each node the packaged Tandem with a python backend
 * in its namespace, the VIP preferring n1, adverts every 100 ms. A client asks for the VIP every 10 ms, each
 * time on a new connection, while the master fails in one way or another; it must keep getting answers.
 * Needs root and {@code ip netns}; skips, saying why, without them (the handovers also need {@code nft}).
 * Runs after {@code package} (failsafe). {@code -Dtandem.lab.handovers=N} repeats the handover under load N
 * times on the same two nodes (handover, resume, handover, ...). The lab's work directory (the nodes' logs, the
 * client's output, one line per request) is kept when a test fails, or always with {@code -Dtandem.lab.keep=true}.
 */
class FailoverLabIT {

    private static final Logger log = LoggerFactory.getLogger(FailoverLabIT.class);
    private static final Pattern SUMMARY = Pattern.compile("summary requests=(\\d+) ok=(\\d+) failed=(\\d+) max_gap_ms=(\\d+)");
    private static final String URL = "http://" + Lab.VIP + "/";
    /** nft's name for the VIP's rules during a handover (IpCommandDriver's). */
    private static final String RULES = "tandem_" + Lab.VIP.replace('.', '_');
    private static final Pattern PASSED_ON = Pattern.compile("\\((\\d+) segment\\(s\\) passed on\\)");

    private static Lab lab;
    private static Path work;
    private static Path dist;
    private static Process backend1;
    private static Process backend2;
    private static volatile boolean failed;

    @RegisterExtension
    static final TestWatcher FAILURES = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            failed = true;
        }
    };
    private Process node1;
    private Process node2;
    /** Where the nodes' logs (which go on from one test to the next) stood when this test began. */
    private final Map<String, Integer> logStart = new HashMap<>();

    @BeforeEach
    void markTheLogs() throws IOException {
        logStart.put("n1", logLength("n1"));
        logStart.put("n2", logLength("n2"));
    }

    /** What a node logged in this test. */
    private String testLog(String name) throws IOException {
        return logSince(name, logStart.getOrDefault(name, 0));
    }

    @BeforeAll
    static void buildLab() throws Exception {
        dist = Lab.distributionOrSkip();
        work = Files.createTempDirectory("tandem-lab-");
        lab = new Lab();
        try {
            lab.build();
            Files.write(work.resolve("cluster.key"), SecureRandom.getInstanceStrong().generateSeed(32));
            backend1 = backend(lab.n1, "n1");
            backend2 = backend(lab.n2, "n2");
        } catch (Exception e) {
            lab.close();
            lab = null;
            throw e;
        }
    }

    @AfterAll
    static void removeLab() throws IOException {
        if (lab != null) {
            lab.close();
        }
        if (work != null && (failed || Boolean.getBoolean("tandem.lab.keep"))) {
            log.warn("lab: kept {} (the nodes' logs and the client's output)", work);
        } else if (work != null) {
            try (var files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @AfterEach
    void stopNodes() throws Exception {
        for (Process p : new Process[]{node1, node2}) {
            if (p != null) {
                Lab.kill(p);
            }
        }
        for (String ns : List.of(lab.n1, lab.n2)) {
            lab.sh("ip", "-n", ns, "link", "set", "eth0", "up");
            Lab.run(List.of("ip", "-n", ns, "addr", "del", Lab.VIP + "/24", "dev", "eth0"));
            if (Lab.has("nft")) {
                Lab.run(List.of("ip", "netns", "exec", ns, "nft", "flush", "ruleset"));
            }
        }
    }

    private static Process backend(String ns, String name) throws IOException {
        Path root = Files.createDirectories(work.resolve("www-" + name));
        Files.writeString(root.resolve("index.html"), name + "\n");
        return lab.spawn(ns, List.of("python3", "-m", "http.server", "8000", "--bind", "0.0.0.0", "--directory",
                root.toString()), work.resolve("backend-" + name + ".log"));
    }

    private Process node(String ns, String name) throws IOException {
        Path config = work.resolve("tandem-" + name + ".yaml");
        Files.writeString(config, """
                listeners:
                  - {name: http, bind: "%1$s:80"}
                sites:
                  - {hosts: ["*"], upstream: web}
                upstreams:
                  web:
                    servers: [{address: "127.0.0.1:8000"}]
                    timeouts: {connect: 1s, read: 5s, write: 5s}
                    # Dead backends are refused at once and found within 2 checks; the timeout only has to outlast
                    # a stall of this shared machine (a 200 ms one marked a live backend down, and its node
                    # answered 503, in the middle of a handover round).
                    health: {http: {path: /}, interval: 200ms, timeout: 1s, rise: 2, fall: 2}
                cluster:
                  nodes: {n1: %2$s.1, n2: %2$s.2}
                  secret_file: %3$s
                  advert_interval: 100ms
                  state_dir: %4$s
                  vips:
                    - {address: %1$s/24, interface: eth0, prefer: [n1, n2]}
                """.formatted(Lab.VIP, Lab.NET, work.resolve("cluster.key"), work.resolve("state-" + name)));
        return lab.spawn(ns, List.of("sh", dist.resolve("bin/tandem").toString(), "run", "--config", config.toString(),
                "--node", name), log(name));
    }

    private static Path log(String name) {
        return work.resolve("tandem-" + name + ".log");
    }

    private String answer() throws Exception {
        return lab.output(lab.client, "curl", "-s", "-m", "0.5", URL).trim();
    }

    /** Both nodes up, the VIP answered by n1, and n2 started as its backup. */
    private void startBoth() throws Exception {
        node1 = node(lab.n1, "n1");
        node2 = node(lab.n2, "n2");
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .failFast(() -> !node1.isAlive() || !node2.isAlive())
                .until(() -> answer().equals("n1") && testLog("n2").contains("cluster: node n2 on UDP"));
    }

    /** The client, polling for {@code millis}; returns once it has seen 80 answers from n1. */
    private Process poller(long millis, Path out) throws Exception {
        return poller(millis, out, 100, 300, "n1");
    }

    /**
     * For a handover, where the question is whether a request is lost, not how fast it is answered: the
     * machine is shared, and an answer that takes 400 ms while other builds run is not a lost one. The
     * timeouts only bound a request that would never be answered.
     */
    private Process patientPoller(long millis, Path out, String holder) throws Exception {
        return poller(millis, out, 1000, 2000, holder);
    }

    /** The client, polling for {@code millis}; returns once it has seen 80 answers from {@code holder}. */
    private Process poller(long millis, Path out, int connectTimeoutMillis, int readTimeoutMillis, String holder)
            throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = Path.of(HttpPoller.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        Process p = lab.spawn(lab.client, List.of(java, "-cp", cp, HttpPoller.class.getName(), URL, "10",
                Long.toString(millis), Integer.toString(connectTimeoutMillis), Integer.toString(readTimeoutMillis)), out);
        // the backup has heard the master for a while, and the client is running
        await().atMost(10, TimeUnit.SECONDS).until(() -> Files.exists(out)
                && Files.readAllLines(out).stream().filter(l -> l.contains(" ok 200 " + holder + " ")).count() >= 80);
        return p;
    }

    private record Seen(int requests, int failed, int maxGapMillis, List<String> lines) {
        boolean answeredBy(String node) {
            return lines.stream().anyMatch(l -> l.contains(" ok 200 " + node + " "));
        }

        String last() {
            return lines.stream().filter(l -> l.contains(" ok ")).reduce((a, b) -> b).orElse("");
        }

        /** The request that took longest ({@code START_MS END_MS ...}), to tell a slow answer from a gap. */
        String slowest() {
            return lines.stream().filter(l -> l.matches("\\d+ \\d+ .*")).max(Comparator.comparingLong(l -> {
                String[] f = l.split(" ", 3);
                return Long.parseLong(f[1]) - Long.parseLong(f[0]);
            })).orElse("");
        }
    }

    /**
     * A planned move loses no request: not a reset, a timeout, a refusal or an error status. (A connection
     * opened to the old holder an instant before the client's ARP entry moves has its next segments reach the
     * new holder, which passes them on to the old one while it drains, rather than resetting them.)
     */
    private static void noRequestLost(Seen seen, String logs) {
        List<String> failures = seen.lines().stream().filter(l -> l.contains(" fail ")).toList();
        assertTrue(failures.isEmpty(), "no request lost: " + failures + logs);
    }

    private static void assumeNft() {
        assumeTrue(Lab.has("nft"), "handover lab skipped: it needs nft (apt-get install nftables)");
    }

    /** The tables of Tandem's handover rules in namespace {@code ns} (none once a handover is over). */
    private String rules(String ns) throws Exception {
        return lab.output(ns, "nft", "list", "tables").lines().filter(l -> l.contains(RULES))
                .reduce((a, b) -> a + "; " + b).orElse("");
    }

    /** How far a node's log goes now (the logs go on from one test to the next). */
    private static int logLength(String name) throws IOException {
        return Files.exists(log(name)) ? Files.readString(log(name)).length() : 0;
    }

    /** What a node logged past {@code from}. */
    private static String logSince(String name, int from) throws IOException {
        return Files.readString(log(name)).substring(from);
    }

    /**
     * How many segments node {@code name} passed on to the old holder in the last forwarding its log tells of
     * past {@code from} (-1: none ended there yet).
     */
    private static long passedOn(String name, int from) throws IOException {
        Matcher m = PASSED_ON.matcher(logSince(name, from));
        long last = -1;
        while (m.find()) {
            last = Long.parseLong(m.group(1));
        }
        return last;
    }

    private String mac(String ns) throws Exception {
        Matcher m = Pattern.compile("link/ether (\\S+)").matcher(lab.output(ns, "ip", "link", "show", "eth0"));
        assertTrue(m.find());
        return m.group(1).toLowerCase(Locale.ROOT);
    }

    private Seen finish(Process poller, Path out) throws Exception {
        assertTrue(poller.waitFor(60, TimeUnit.SECONDS), "the client ends by itself");
        List<String> lines = Files.readAllLines(out);
        Matcher m = lines.stream().map(SUMMARY::matcher).filter(Matcher::find).findFirst()
                .orElseThrow(() -> new AssertionError("no summary from the client: " + lines));
        return new Seen(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)), lines);
    }

    private String logs() {
        return "\n--- n1:\n" + Lab.tail(log("n1")) + "\n--- n2:\n" + Lab.tail(log("n2"));
    }

    @Test
    void theMastersLinkGoesDown() throws Exception {
        startBoth();
        Path out = work.resolve("poll-link.out");
        Process poller = poller(4000, out);
        lab.sh("ip", "-n", lab.n1, "link", "set", "eth0", "down");
        Seen seen = finish(poller, out);
        log.info("(a) link down: outage {} ms, {} failed of {}", seen.maxGapMillis(), seen.failed(), seen.requests());
        assertTrue(seen.answeredBy("n2") && seen.last().contains(" n2 "), "n2 took over" + logs());
        assertTrue(seen.maxGapMillis() < 3000, "answers resumed: longest gap " + seen.maxGapMillis() + " ms" + logs());
    }

    @Test
    void theMasterIsKilledAndItsLeftoverAddressIsRemovedWhenItComesBack() throws Exception {
        startBoth();
        Path out = work.resolve("poll-kill.out");
        Process poller = poller(4000, out);
        Lab.kill(node1);
        Seen seen = finish(poller, out);
        log.info("(b) SIGKILL: outage {} ms, {} failed of {}", seen.maxGapMillis(), seen.failed(), seen.requests());
        assertTrue(seen.answeredBy("n2") && seen.last().contains(" n2 "), "n2 took over" + logs());
        assertTrue(seen.maxGapMillis() < 3000, "answers resumed: longest gap " + seen.maxGapMillis() + " ms" + logs());
        assertTrue(lab.output(lab.n1, "ip", "-o", "addr", "show", "dev", "eth0").contains(Lab.VIP + "/24"),
                "a killed node leaves its address behind");

        // Back after the crash: the address left behind goes (its record in state_dir says so), and n1, preferred,
        // takes the VIP again.
        node1 = node(lab.n1, "n1");
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> testLog("n1").contains("removed address " + Lab.VIP + "/24 eth0, left by a previous run"));
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).until(() -> answer().equals("n1"));
    }

    @Test
    void theMastersBackendsAllDie() throws Exception {
        startBoth();
        Path out = work.resolve("poll-backends.out");
        Process poller = poller(5000, out);
        Lab.kill(backend1);
        Seen seen = finish(poller, out);
        backend1 = backend(lab.n1, "n1");
        log.info("(c) backends dead: outage {} ms, {} failed of {}", seen.maxGapMillis(), seen.failed(), seen.requests());
        assertTrue(seen.answeredBy("n2") && seen.last().contains(" n2 "), "n2 took over" + logs());
        assertTrue(testLog("n1").contains("cannot serve"), logs());
        assertTrue(testLog("n2").contains("(peer_fault)"), "taken over at the skew time" + logs());

        // healthy again, n1 takes the VIP back (preempt)
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).until(() -> answer().equals("n1"));
    }

    @Test
    void tandemHandoverAndResumeUnderLoadLoseNoRequest() throws Exception {
        assumeNft();
        startBoth();
        int rounds = Integer.getInteger("tandem.lab.handovers", 1);
        int lost = 0;
        for (int round = 1; round <= rounds; round++) {
            Path out = work.resolve("poll-handover-" + round + ".out");
            int logFrom = logLength("n2");
            Process poller = patientPoller(10000, out, "n1");
            Path cli = work.resolve("handover-" + round + ".out");
            Process handover = lab.spawn(lab.n1, List.of("sh", dist.resolve("bin/tandem").toString(), "handover"), cli);
            assertTrue(handover.waitFor(40, TimeUnit.SECONDS), "tandem handover ends" + logs());
            assertEquals(0, handover.exitValue(), Files.readString(cli) + logs());
            assertTrue(Files.readString(cli).contains("handover complete"), Files.readString(cli));
            Seen seen = finish(poller, out);
            lost += seen.failed();
            await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).until(() -> rules(lab.n2).isEmpty());
            log.info("(d) tandem handover {}/{}: {} failed of {}, longest gap {} ms (slowest request: {}), {} segment(s) "
                    + "passed on to n1 (lost so far: {}); CLI said:\n{}", round, rounds, seen.failed(), seen.requests(),
                    seen.maxGapMillis(), seen.slowest(), passedOn("n2", logFrom), lost, Files.readString(cli));
            noRequestLost(seen, logs());
            assertTrue(seen.last().contains(" n2 "), "n2 holds the VIP" + logs());
            assertTrue(lab.output(lab.n1, "sh", dist.resolve("bin/tandem").toString(), "status").contains("MAINTENANCE"));
            // n1 released and took its rules with it; n2 ended its forwarding once n1 said it released (above)
            assertEquals("", rules(lab.n1));

            // The end of the maintenance, under load too: n1 takes its VIP back (preempt) and n2 steps aside,
            // draining as a node that hands over does.
            Path back = work.resolve("poll-resume-" + round + ".out");
            int n1LogFrom = logLength("n1");
            Process backPoller = patientPoller(8000, back, "n2");
            Path resumed = work.resolve("resume-" + round + ".out");
            Process resume = lab.spawn(lab.n1, List.of("sh", dist.resolve("bin/tandem").toString(), "resume"), resumed);
            assertTrue(resume.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, resume.exitValue(), Files.readString(resumed));
            await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).until(() -> answer().equals("n1")
                    && !lab.output(lab.n2, "ip", "-o", "addr", "show", "dev", "eth0").contains(Lab.VIP + "/"));
            Seen resumedSeen = finish(backPoller, back);
            lost += resumedSeen.failed();
            await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                    .until(() -> (rules(lab.n1) + rules(lab.n2)).isEmpty());
            log.info("(d) resume {}/{}: {} failed of {}, longest gap {} ms (slowest request: {}), {} segment(s) "
                    + "passed on to n2 (lost so far: {})", round, rounds, resumedSeen.failed(), resumedSeen.requests(),
                    resumedSeen.maxGapMillis(), resumedSeen.slowest(), passedOn("n1", n1LogFrom), lost);
            noRequestLost(resumedSeen, logs());
            assertTrue(resumedSeen.last().contains(" n1 "), "n1 holds the VIP again" + logs());
        }
    }

    /**
     * The mechanism behind the lost request of a handover, made to happen every time: a connection opened to
     * n1 sends the end of its request after the client's ARP entry moved to n2. n2 passes it on to n1, which
     * answers, where n2's kernel used to reset it. Meanwhile a client that asks who has the VIP hears only n2.
     */
    @Test
    void aConnectionThatStraddlesTheMoveIsServedByTheOldHolderAndOnlyTheNewOneAnswersArp() throws Exception {
        assumeNft();
        startBoth();
        Straddler straddler = straddler("straddle");

        Path cli = work.resolve("handover-straddle.out");
        int logFrom = logLength("n2");
        int n1From = logLength("n1");
        Process handover = lab.spawn(lab.n1, List.of("sh", dist.resolve("bin/tandem").toString(), "handover"), cli);
        String n2 = mac(lab.n2);
        // n2 announced (the client's entry moved) and n1 stepped down, keeping the address while it drains
        await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50)).until(() ->
                lab.output(lab.client, "ip", "neigh", "show", Lab.VIP).contains(n2)
                        && logSince("n1", n1From).contains("answering no more ARP requests"));
        assertTrue(lab.output(lab.n1, "ip", "-o", "addr", "show", "dev", "eth0").contains(Lab.VIP + "/"), logs());
        // every probe broadcast, and every answer counted (arping's exit status says nothing useful here)
        String arp = Lab.run(List.of("ip", "netns", "exec", lab.client, "arping", "-b", "-c", "3", "-I", "eth0", Lab.VIP))
                .output();
        List<String> answeredBy = Pattern.compile("\\[([0-9A-Fa-f:]{17})\\]").matcher(arp).results()
                .map(r -> r.group(1).toLowerCase(Locale.ROOT)).toList();
        assertTrue(!answeredBy.isEmpty() && answeredBy.stream().allMatch(n2::equals),
                "only n2 answers who has the VIP: " + arp + logs());

        assertEquals("answer n1", straddler.finish(), logs());
        assertTrue(handover.waitFor(40, TimeUnit.SECONDS), "tandem handover ends" + logs());
        assertEquals(0, handover.exitValue(), Files.readString(cli) + logs());
        await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .until(() -> passedOn("n2", logFrom) >= 0);
        assertTrue(passedOn("n2", logFrom) > 0, "n2 passed the straddler's segments on" + logs());
        await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .until(() -> (rules(lab.n1) + rules(lab.n2)).isEmpty());
    }

    /**
     * A client that opens a connection to the VIP and sends all of a request but its last line, then waits
     * (until {@link #finish}), so that its connection straddles whatever moves the VIP meanwhile.
     */
    private record Straddler(Process process, Path go, Path out) {
        /** Sends the end of the request; what the client got: {@code answer NODE}, or {@code fail ...}. */
        String finish() throws Exception {
            Files.writeString(go, "go");
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the client ends");
            return Files.readString(out).lines().reduce((a, b) -> b).orElse("").trim();
        }
    }

    private Straddler straddler(String name) throws Exception {
        Path go = work.resolve(name + ".go");
        Path out = work.resolve(name + ".out");
        Files.deleteIfExists(go);
        Process p = lab.spawn(lab.client, List.of("python3", "-c", """
                import os, socket, sys, time
                s = socket.create_connection((sys.argv[1], 80), timeout=20)
                s.sendall(b"GET / HTTP/1.1\\r\\nHost: lab\\r\\nConnection: close\\r\\n")
                print("sent", flush=True)
                while not os.path.exists(sys.argv[2]):
                    time.sleep(0.01)
                s.sendall(b"\\r\\n")
                data = b""
                try:
                    while True:
                        b = s.recv(65536)
                        if not b:
                            break
                        data += b
                    print("answer", data.split(b"\\r\\n\\r\\n", 1)[-1].decode().strip(), flush=True)
                except OSError as e:
                    print("fail", repr(e), flush=True)
                """, Lab.VIP, go.toString()), out);
        await().atMost(10, TimeUnit.SECONDS).until(() -> Files.exists(out) && Files.readString(out).contains("sent"));
        return new Straddler(p, go, out);
    }

    /**
     * The VIP taken back (resume, preempt) by a node that still drains it after handing it over: its own
     * connections stay with it, and those opened to the peer meanwhile are passed on to the peer.
     */
    @Test
    void aNodeTakingBackAVipItStillDrainsKeepsItsConnectionsAndPassesOnThePeers() throws Exception {
        assumeNft();
        startBoth();
        Straddler toN1 = straddler("straddle-n1");
        int n1From = logLength("n1");
        int n2From = logLength("n2");
        Process handover = lab.spawn(lab.n1, List.of("sh", dist.resolve("bin/tandem").toString(), "handover"),
                work.resolve("handover-retake.out"));
        String n1 = mac(lab.n1);
        String n2 = mac(lab.n2);
        // n1 drains (its straddler keeps it from being drained), and the client talks to n2
        await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50)).until(() ->
                lab.output(lab.client, "ip", "neigh", "show", Lab.VIP).contains(n2)
                        && logSince("n1", n1From).contains("answering no more ARP requests"));
        Straddler toN2 = straddler("straddle-n2");

        Process resume = lab.spawn(lab.n1, List.of("sh", dist.resolve("bin/tandem").toString(), "resume"),
                work.resolve("resume-retake.out"));
        assertTrue(resume.waitFor(30, TimeUnit.SECONDS));
        Lab.kill(handover); // it ends with the maintenance, as a failure: resumed before it completed
        await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50)).until(() ->
                lab.output(lab.client, "ip", "neigh", "show", Lab.VIP).contains(n1)
                        && logSince("n2", n2From).contains("draining, then releasing it"));
        assertTrue(logSince("n1", n1From).contains("connection(s) already here stay here"), logs());
        assertTrue(lab.output(lab.n1, "ip", "-o", "addr", "show", "dev", "eth0").contains(Lab.VIP + "/"),
                "n1 never let the address go" + logs());

        assertEquals("answer n1", toN1.finish(), logs());
        assertEquals("answer n2", toN2.finish(), "passed on to n2" + logs());
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .until(() -> passedOn("n1", n1From) > 0 && (rules(lab.n1) + rules(lab.n2)).isEmpty());
    }

    @Test
    void aPlannedStopUnderLoadLosesNoRequest() throws Exception {
        assumeNft();
        startBoth();
        Path out = work.resolve("poll-planned.out");
        Process poller = patientPoller(12000, out, "n1");
        node1.destroy(); // SIGTERM: hand over, drain, then stop
        assertTrue(node1.waitFor(30, TimeUnit.SECONDS), "n1 stops" + logs());
        Seen seen = finish(poller, out);
        log.info("(d) planned stop: {} failed of {}, longest gap {} ms", seen.failed(), seen.requests(), seen.maxGapMillis());
        noRequestLost(seen, logs());
        assertTrue(seen.last().contains(" n2 "), "n2 holds the VIP" + logs());
        assertTrue(testLog("n1").contains("handover complete"), logs());
    }
}
