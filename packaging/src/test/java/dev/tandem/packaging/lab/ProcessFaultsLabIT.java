package dev.tandem.packaging.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Faults of the process rather than the network, in the failover lab's setting (a client and two nodes on a
 * bridge, the VIP preferring n1, adverts every 100 ms, a client asking every 10 ms on a new connection):
 * the master killed with SIGKILL and its restart failing (what it left is removed by {@code tandem cleanup},
 * as the unit's ExecStopPost runs it), and the master stopped with SIGSTOP for 3 s, then continued (preempt on:
 * n1 takes its VIP back). Needs root and {@code ip netns}; skips, saying why, without them. Runs after
 * {@code package} (failsafe). The work directory is kept when a test fails, or always with
 * {@code -Dtandem.lab.keep=true}.
 */
class ProcessFaultsLabIT {

    private static final Logger log = LoggerFactory.getLogger(ProcessFaultsLabIT.class);
    private static final String URL = "http://" + Lab.VIP + "/";
    private static LabNodes nodes;
    private static Lab lab;
    private static Path work;

    @RegisterExtension
    static final LabNodes.Failures FAILURES = new LabNodes.Failures();

    private Process node1;
    private Process node2;
    /** {@code cluster.announce_refresh} of both nodes' configs, or null for the default (none). */
    private String announceRefresh;

    @BeforeAll
    static void buildLab() throws Exception {
        nodes = LabNodes.open("tandem-faults-", 2);
        lab = nodes.lab;
        work = nodes.work;
        nodes.backend("n1", "0.0.0.0");
        nodes.backend("n2", "0.0.0.0");
    }

    @AfterAll
    static void removeLab() throws IOException {
        if (nodes != null) {
            nodes.close(FAILURES.keep(), "the nodes' logs and the client's output");
        }
    }

    @AfterEach
    void stopNodes() throws Exception {
        for (Process p : new Process[]{node1, node2}) {
            if (p != null) {
                Lab.kill(p); // SIGKILL ends a stopped process too
            }
        }
        for (String ns : List.of(lab.n1, lab.n2)) {
            Lab.run(List.of("ip", "-n", ns, "addr", "del", Lab.VIP + "/24", "dev", "eth0"));
            if (Lab.has("nft")) {
                Lab.run(List.of("ip", "netns", "exec", ns, "nft", "flush", "ruleset"));
            }
        }
    }

    private static Path config(String name) {
        return nodes.configFile(name);
    }

    private static Path stateDir() {
        return work.resolve("state");
    }

    /** The node's config; {@code secretFile} is the cluster key's path (a wrong one makes the config invalid). */
    private static void writeConfig(String name, Path secretFile) throws IOException {
        Files.writeString(config(name), new LabNodes.NodeConfig(secretFile, stateDir()).yaml());
    }

    private Process node(String ns, String name) throws IOException {
        LabNodes.NodeConfig c = new LabNodes.NodeConfig(nodes.key, stateDir());
        if (announceRefresh != null) {
            c.announceRefresh(announceRefresh);
        }
        Files.writeString(config(name), c.yaml());
        return start(ns, name);
    }

    private Process start(String ns, String name) throws IOException {
        return nodes.run(name, config(name), log(name));
    }

    private static Path log(String name) {
        return nodes.log(name);
    }

    private String answer() throws Exception {
        return lab.output(lab.client, "curl", "-s", "-m", "0.5", URL).trim();
    }

    private boolean holds(String ns) throws Exception {
        return lab.output(ns, "ip", "-o", "addr", "show", "dev", "eth0").contains(Lab.VIP + "/24");
    }

    private String tables(String ns) throws Exception {
        return Lab.has("nft") ? nodes.rules(ns) : "";
    }

    private void startBoth() throws Exception {
        int n2From = nodes.logLength("n2");
        node1 = node(lab.n1, "n1");
        node2 = node(lab.n2, "n2");
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .failFast(() -> !node1.isAlive() || !node2.isAlive())
                .until(() -> answer().equals("n1") && Files.readString(log("n2")).contains("cluster: node n2 on UDP"));
        steady(n2From);
    }

    /**
     * Before a fault: n1 holds the VIP, n2 neither holds nor drains it, and no handover rule is left, for a whole
     * second (three master-down intervals). On a loaded machine n2 can be master for an instant at start-up (it
     * took the VIP before it heard n1), and it then keeps the address while it drains, 3 s at least, with n1
     * passing segments on to it: a fault begun then would find n2 holding the address already, and measure that
     * drain rather than the fault. {@code n2From}: where n2's log of this run begins.
     */
    private void steady(int n2From) throws Exception {
        long t0 = System.nanoTime();
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .during(Duration.ofSeconds(1))
                .failFast(() -> !node1.isAlive() || !node2.isAlive())
                .until(() -> holds(lab.n1) && !holds(lab.n2) && tables(lab.n1).isEmpty() && tables(lab.n2).isEmpty());
        log.info("steady (n1 holds the VIP, n2 neither holds nor drains it, no rule left) after {} ms{}",
                (System.nanoTime() - t0) / 1_000_000, nodes.logSince("n2", n2From).contains("BACKUP -> MASTER")
                        ? "; n2 had been master at start-up" : "");
    }

    /**
     * The client, polling for {@code millis}; returns once it has seen 80 answers from n1. Patient (1 s to
     * connect, 2 s to answer), as for a handover: the question is whether a request is lost, and on this shared
     * machine an answer that takes 400 ms while two JVMs start (a restart, a cleanup) is not a lost one. The
     * outage shows in the longest gap between answers.
     */
    private Process poller(long millis, Path out) throws Exception {
        return poller(millis, out, 1000, 2000);
    }

    private Process poller(long millis, Path out, int connectTimeoutMillis, int readTimeoutMillis) throws Exception {
        Process p = Poller.start(lab, URL, millis, connectTimeoutMillis, readTimeoutMillis, false, out);
        Poller.awaitAnswers(out, "n1", 80, 10);
        return p;
    }

    /** The client's clock (ms since it started) now: the end of its last request. */
    private static long clientNow(Path out) throws Exception {
        return Poller.clientNow(out);
    }

    private static Poller.Result finish(Process poller, Path out) throws Exception {
        return Poller.finish(poller, out, 60);
    }

    private static String logs() {
        return nodes.logs(List.of("n1", "n2"));
    }

    private Lab.Result cleanup(String ns, String name) throws Exception {
        return Lab.run(List.of("ip", "netns", "exec", ns, "sh", nodes.dist.resolve("bin/tandem").toString(), "cleanup",
                "--config", config(name).toString(), "--node", name));
    }

    @Test
    void aKilledMasterWhoseRestartFailsLeavesNothingOnceCleanedUp() throws Exception {
        startBoth();
        int from = nodes.logLength("n2");
        Path out = work.resolve("poll-kill.out");
        Process poller = poller(8000, out);
        Lab.kill(node1); // SIGKILL, as the OOM killer does
        await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50)).until(() -> holds(lab.n2));
        // No mirror here: the presence link's connection tells n2 that n1's process is gone. (The transition's log
        // line is written after the address is asked for, so it may come an instant after the address.)
        await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50))
                .until(() -> nodes.logSince("n2", from).contains(": BACKUP -> MASTER ("));
        String since = nodes.logSince("n2", from);
        assertTrue(since.contains("n1 closed its presence connection and refuses the next"), since);
        // Taken over as n1's process was seen gone, 1.5 intervals after its last advert rather than 3; on a very
        // busy host the word can come so late that the master-down timer is due first (measured once at load 13:
        // the word 21 ms before it). ClusterIntegrationTest proves the sooner takeover with 1 s adverts.
        assertTrue(since.contains(": BACKUP -> MASTER (peer_gone)") || since.contains(": BACKUP -> MASTER (master_down)"),
                "taken over:\n" + since);
        log.info("(a) SIGKILL, no mirror: n2 took over {}", since.contains("(peer_gone)") ? "on the presence link's word"
                : "at the master-down interval, the presence link's word coming later");
        assertTrue(holds(lab.n1), "a killed node leaves its address behind (else this test proves nothing)");
        Path record = stateDir().resolve("cluster-n1.held");
        assertTrue(Files.readString(record).contains("address " + Lab.VIP + "/24 eth0"), Files.readString(record));

        // The restart fails: the config now names a key that is not there (a bad edit, a lost file).
        writeConfig("n1", work.resolve("missing.key"));
        Process restart = start(lab.n1, "n1");
        assertTrue(restart.waitFor(60, TimeUnit.SECONDS), "the restart gives up" + logs());
        assertTrue(restart.exitValue() != 0, "the restart fails" + logs());
        assertTrue(holds(lab.n1), "a start that fails before joining the cluster removes nothing");

        // What the unit's ExecStopPost runs after that failed start: the same config file.
        Lab.Result cleaned = cleanup(lab.n1, "n1");
        log.info("(a) tandem cleanup after SIGKILL and a failed restart: exit {}:\n{}", cleaned.exit(), cleaned.output());
        assertEquals(0, cleaned.exit(), cleaned.output());
        assertTrue(cleaned.output().contains("removed address " + Lab.VIP + "/24 eth0"), cleaned.output());
        assertTrue(!holds(lab.n1), "no VIP left on n1");
        assertEquals("", tables(lab.n1), "no tandem_ table left on n1");
        assertTrue(!Files.exists(record), "the record is emptied");
        // Idempotent: again, nothing to remove, exit 0.
        Lab.Result again = cleanup(lab.n1, "n1");
        assertEquals(0, again.exit(), again.output());
        assertTrue(!again.output().contains("removed"), again.output());

        Poller.Result seen = finish(poller, out);
        long lastFailure = seen.failures().stream().mapToLong(Poller.Request::end).max().orElse(-1);
        log.info("(a) SIGKILL of the master: {} failed of {}, longest gap {} ms; the cleanup drew no request away "
                + "(last failure at {} ms of the client's run)", seen.failed(), seen.requests(), seen.maxGapMillis(),
                lastFailure);
        assertTrue(seen.lastAnswer().contains(" n2 "), "n2 answers" + logs());
        assertTrue(seen.maxGapMillis() < 3000, "answers resumed: longest gap " + seen.maxGapMillis() + " ms" + logs());
        // After the takeover, n2 answers every request: neither the failed restart nor the cleanup takes any away.
        long takeover = seen.all().stream().filter(r -> r.ok() && r.detail().contains(" n2 ")).mapToLong(Poller.Request::start)
                .min().orElseThrow();
        assertTrue(seen.failures().stream().allMatch(r -> r.start() < takeover), "failures after the takeover: "
                + seen.failures().stream().filter(r -> r.start() >= takeover).toList() + logs());
        assertEquals("n2", answer());
    }

    @Test
    void aKilledMasterWithAMirrorIsTakenOverWellUnderTheMasterDownInterval() throws Exception {
        // With a mirror, n2 holds a TCP connection to n1: the kernel of a killed n1 closes it at once and refuses
        // the next, and n2 takes over once n1's next advert is overdue (100 ms + 50 ms + skew 22 ms after the
        // last one) rather than after the master-down interval (3 x 100 ms + skew = 322 ms).
        for (String name : List.of("n1", "n2")) {
            Path www = work.resolve("www-" + name);
            Files.createDirectories(www);
            Files.writeString(config(name), new LabNodes.NodeConfig(nodes.key, stateDir())
                    .mirror(www, work.resolve("mirror-state-" + name)).yaml());
        }
        int n2From = nodes.logLength("n2");
        node1 = start(lab.n1, "n1");
        node2 = start(lab.n2, "n2");
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .failFast(() -> !node1.isAlive() || !node2.isAlive())
                .until(() -> answer().equals("n1") && Files.readString(log("n2")).contains("mirror: connected to n1"));
        steady(n2From);
        int from = nodes.logLength("n2");
        Path out = work.resolve("poll-kill-mirror.out");
        Process poller = poller(6000, out, 100, 300);
        Instant killed = Instant.now();
        Lab.kill(node1);
        await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20)).until(() -> holds(lab.n2));
        Poller.Result seen = finish(poller, out);
        String since = nodes.logSince("n2", from);
        Matcher m = Pattern.compile("(?m)^(\\S+) INFO .*VIP " + Pattern.quote(Lab.VIP) + ".*: BACKUP -> MASTER \\((\\w+)\\)")
                .matcher(since);
        assertTrue(m.find(), "n2's takeover in its log:\n" + since);
        long ms = Duration.between(killed, java.time.OffsetDateTime.parse(m.group(1)).toInstant()).toMillis();
        log.info("(c) SIGKILL of the master, mirror on: n2 master {} ms after the kill ({}); client: {} failed of {}, "
                + "longest gap {} ms", ms, m.group(2), seen.failed(), seen.requests(), seen.maxGapMillis());
        assertEquals("peer_gone", m.group(2), "taken over as n1's process was seen gone" + logs());
        assertTrue(since.contains("mirror: n1 closed its connection and refuses the next"), since);
        assertTrue(ms < 260, "n2 master " + ms + " ms after the kill (master-down interval: 322 ms)" + logs());
        assertTrue(seen.lastAnswer().contains(" n2 "), "n2 answers" + logs());
    }

    @Test
    void aMasterStoppedForThreeSecondsLosesOnlyThatWindow() throws Exception {
        startBoth();
        stopTheMasterForThreeSeconds("(b)", work.resolve("poll-stop.out"));
    }

    /**
     * The same fault with {@code announce_refresh: 1s}: n1 begins a round of announcements every second, so the
     * stop lands in one (without the refresh, only a stop within the 2 s of a round, 5 s after n1's takeover, did:
     * it failed in CI once, a longest gap of 3,070 ms). A round that n1 left to a process of its own (arping
     * {@code -c 3}) went on through the stop and drew the client back from n2 after n2 had announced; each of
     * n1's announcements now goes out from n1 itself, when due, so a stopped n1 sends none.
     */
    @Test
    void aMasterStoppedMidAnnouncementDrawsNoClientBackFromTheNewHolder() throws Exception {
        announceRefresh = "1s";
        startBoth();
        stopTheMasterForThreeSeconds("(d)", work.resolve("poll-stop-refresh.out"));
    }

    /** SIGSTOP of n1 (the master) for 3 s, then SIGCONT, with the client polling; {@code label} for the log. */
    private void stopTheMasterForThreeSeconds(String label, Path out) throws Exception {
        // A request that reaches the stopped n1 (its kernel still accepts connections on the VIP) waits for the
        // read timeout: 1 s here, so that the outage the client sees is not the patient client's 2 s.
        Process poller = poller(12000, out, 500, 1000);
        // (else the takeover timed below is the address n2 keeps from a start-up mastership while it drains)
        assertTrue(!holds(lab.n2), "n2 neither holds nor drains the VIP as the fault begins" + logs());
        long pid = node1.pid();
        long stoppedAt = clientNow(out);
        long t0 = System.nanoTime();
        assertEquals(0, Lab.run(List.of("kill", "-STOP", Long.toString(pid))).exit());
        // n2 takes over while n1 is stopped: within the master-down interval (3 x 100 ms + skew), give or take
        // a loaded machine.
        await().atMost(5, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20)).until(() -> holds(lab.n2));
        long takeoverMs = (System.nanoTime() - t0) / 1_000_000;
        // The fault lasts 3 s.
        await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(10))
                .until(() -> System.nanoTime() - t0 >= TimeUnit.SECONDS.toNanos(3));
        long continuedAt = clientNow(out);
        assertEquals(0, Lab.run(List.of("kill", "-CONT", Long.toString(pid))).exit());
        // Exactly one holder afterwards (n1, preferred, takes it back with preempt on).
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50))
                .until(() -> holds(lab.n1) != holds(lab.n2));
        Poller.Result seen = finish(poller, out);
        assertTrue(holds(lab.n1) != holds(lab.n2), "exactly one node holds the VIP" + logs());

        List<Poller.Request> during = seen.failures().stream().filter(r -> r.start() < continuedAt).toList();
        List<Poller.Request> after = seen.failures().stream().filter(r -> r.start() >= continuedAt).toList();
        long n2Answers = seen.all().stream().filter(r -> r.ok() && r.detail().contains(" n2 ")).count();
        long firstN2 = seen.all().stream().filter(r -> r.ok() && r.detail().contains(" n2 "))
                .mapToLong(Poller.Request::end).min().orElse(Long.MAX_VALUE);
        // A request begun once n2 has announced the VIP reaches n2, until SIGCONT: the stopped n1 announces
        // nothing more that draws the client back. (n2 announces as it adds the address; 300 ms for a loaded host.)
        long announcedAt = stoppedAt + takeoverMs + 300;
        List<Poller.Request> drawnBack = during.stream().filter(r -> r.start() >= announcedAt).toList();
        log.info("{} SIGSTOP 3 s: n2 held the VIP {} ms after the stop (seen by the test), first answered {} ms after "
                + "it; client: {} failed of {}, longest gap {} ms; {} failed between the stop and SIGCONT (client time "
                + "{}-{} ms), {} of them begun after n2 announced, {} after SIGCONT: {}; {} answered by n2; holder at "
                + "the end: {}", label, takeoverMs, firstN2 == Long.MAX_VALUE ? -1 : firstN2 - stoppedAt,
                seen.failed(), seen.requests(), seen.maxGapMillis(), during.size(), stoppedAt, continuedAt,
                drawnBack.size(), after.size(), after, n2Answers, holds(lab.n1) ? "n1" : "n2");
        assertTrue(n2Answers > 0, "n2 answered while n1 was stopped" + logs());
        assertTrue(drawnBack.isEmpty(), "no request begun after n2 announced the VIP failed while n1 was stopped "
                + "(nothing drew the client back to n1): " + drawnBack + logs());
        assertTrue(during.stream().allMatch(r -> r.start() >= stoppedAt - 50), "no failure before the stop: " + during);
        assertTrue(seen.maxGapMillis() < 3000, "the outage is not the whole stop: " + seen.maxGapMillis() + " ms" + logs());
        // The failback may lose a request: n1 resumes as the master it never stopped being, and its neighbours
        // move back to it (a round of announcements due while it was stopped goes out) without n1 passing on the
        // segments of connections the client opened to n2 an instant before, as a preempting node does: n1's
        // kernel resets such a connection. Measured: 0 or 1 per run. What must hold: nothing is lost after it.
        assertTrue(after.stream().allMatch(r -> r.start() < continuedAt + 1000),
                "failures after SIGCONT only at the failback itself: " + after + logs());
    }
}
