package dev.tandem.packaging.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handovers under keep-alive load: the failover lab's two nodes (the VIP preferring n1, adverts every 100 ms, the
 * listener on {@code 0.0.0.0:80}), and in the client two pollers asking for the VIP every 10 ms, one on a
 * connection it keeps alive ({@code HttpPoller --keepalive}, as a browser or a proxy does) and one on a new
 * connection per request. Each round hands the VIP from n1 to n2 ({@code tandem handover}) and back
 * ({@code tandem resume}, n1 preempting); no request of either client may fail. The drain limit is set far above
 * what a handover takes ({@code shutdown.drain_timeout: 30s}): a node that gives the VIP up tells the keep-alive
 * connections to close, so each handover ends about 3 s (the quiet time) after the step-down, never at the limit.
 * {@code -Dtandem.lab.keepalive.rounds=N} (default 20). Needs root, {@code ip netns} and {@code nft}; skips,
 * saying why, without them. Runs after {@code package} (failsafe).
 */
class KeepAliveHandoverLabIT {

    private static final Logger log = LoggerFactory.getLogger(KeepAliveHandoverLabIT.class);
    private static final String URL = "http://" + Lab.VIP + "/";
    /** What a node logs when a drain ran out of time (VipController). */
    private static final String DRAIN_LIMIT_HIT = "after the drain limit";

    private static LabNodes nodes;
    private static Lab lab;
    private static Path work;

    @RegisterExtension
    static final LabNodes.Failures FAILURES = new LabNodes.Failures();

    @BeforeAll
    static void buildLab() throws Exception {
        Path dist = Lab.distributionOrSkip();
        assumeTrue(Lab.has("nft"), "keep-alive handover lab skipped: it needs nft (apt-get install nftables)");
        nodes = LabNodes.open(dist, "tandem-keepalive-lab-", 2);
        lab = nodes.lab;
        work = nodes.work;
        nodes.backend("n1", "127.0.0.1");
        nodes.backend("n2", "127.0.0.1");
    }

    @AfterAll
    static void removeLab() throws IOException {
        if (nodes != null) {
            nodes.close(FAILURES.keep(), "the nodes' logs and the clients' output");
        }
    }

    private static Process node(String ns, String name) throws IOException {
        return nodes.run(name, nodes.config(name).bind("0.0.0.0:80").drainTimeout("30s"));
    }

    private static Path log(String name) {
        return nodes.log(name);
    }

    private static String logs() {
        return nodes.logs(List.of("n1", "n2"));
    }

    private static String answer() throws Exception {
        return lab.output(lab.client, "curl", "-s", "-m", "0.5", URL).trim();
    }

    private static boolean holds(String ns) throws Exception {
        return lab.output(ns, "ip", "-o", "addr", "show", "dev", "eth0").contains(Lab.VIP + "/");
    }

    /**
     * A client polling the VIP every 10 ms for {@code millis}, patient (the machine is shared: the question is
     * whether a request is lost, not how fast it is answered); returns once it has seen 50 answers from n1.
     */
    private static Process poller(long millis, Path out, boolean keepAlive) throws Exception {
        return Poller.start(lab, URL, millis, 1000, 2000, keepAlive, out);
    }

    private static void awaitAnswers(Path out) {
        Poller.awaitAnswers(out, "n1", 50, 20);
    }

    private static Poller.Result finish(Process poller, Path out) throws Exception {
        return Poller.finish(poller, out, 60);
    }

    /**
     * From a node's log past {@code from}: milliseconds from its step-down ({@code MASTER -> BACKUP} with
     * {@code reason}) to the removal of the VIP, the drain the quiet time and the connections took; -1 if absent.
     */
    private static long drainMillis(String name, int from, String reason) throws IOException {
        String since = Files.readString(log(name)).substring(from);
        Instant down = null;
        for (String line : since.lines().toList()) {
            if (down == null && line.contains("MASTER -> BACKUP (" + reason + ")")) {
                down = Instant.parse(line.substring(0, line.indexOf(' ')));
            } else if (down != null && line.contains("VIP " + Lab.VIP + " removed from")) {
                return Duration.between(down, Instant.parse(line.substring(0, line.indexOf(' ')))).toMillis();
            }
        }
        return -1;
    }

    private static int logLength(String name) throws IOException {
        return nodes.logLength(name);
    }

    private static Process cli(String ns, String command, Path out) throws IOException {
        return nodes.cli(ns, command, out);
    }

    @Test
    void twentyHandoversUnderKeepAliveLoadLoseNoRequest() throws Exception {
        Process node1 = node(lab.n1, "n1");
        Process node2 = node(lab.n2, "n2");
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .failFast(() -> !node1.isAlive() || !node2.isAlive())
                .until(() -> answer().equals("n1") && Files.readString(log("n2")).contains("cluster: node n2 on UDP"));

        int rounds = Integer.getInteger("tandem.lab.keepalive.rounds", 20);
        long keptFailed = 0;
        long newFailed = 0;
        long keptRequests = 0;
        long newRequests = 0;
        long retried = 0;
        long longestGap = 0;
        long longestHandover = 0;
        long longestRelease = 0;
        long longestDrain = 0;
        List<String> table = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            Path kept = work.resolve("keepalive-" + round + ".out");
            Path fresh = work.resolve("new-" + round + ".out");
            Process keptPoller = poller(13_000, kept, true);
            Process freshPoller = poller(13_000, fresh, false);
            awaitAnswers(kept);
            awaitAnswers(fresh);

            // n1 hands over: the CLI returns once n1 holds no VIP (drained and removed)
            int n1From = logLength("n1");
            int n2From = logLength("n2");
            Path handoverOut = work.resolve("handover-" + round + ".out");
            long t0 = System.nanoTime();
            Process handover = cli(lab.n1, "handover", handoverOut);
            assertTrue(handover.waitFor(60, TimeUnit.SECONDS), "tandem handover ends" + logs());
            long handoverMillis = (System.nanoTime() - t0) / 1_000_000L;
            assertEquals(0, handover.exitValue(), Files.readString(handoverOut) + logs());
            assertFalse(holds(lab.n1), "n1 removed the VIP" + logs());

            // n1 resumes and takes the VIP back (preempt); n2 steps aside and drains as n1 did
            Path resumeOut = work.resolve("resume-" + round + ".out");
            long t1 = System.nanoTime();
            Process resume = cli(lab.n1, "resume", resumeOut);
            assertTrue(resume.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, resume.exitValue(), Files.readString(resumeOut));
            await().atMost(40, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50)).until(() -> !holds(lab.n2));
            long releaseMillis = (System.nanoTime() - t1) / 1_000_000L;
            await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).until(() -> answer().equals("n1"));

            long n1Drain = drainMillis("n1", n1From, "handover");
            long n2Drain = drainMillis("n2", n2From, "higher_priority");
            Poller.Result k = finish(keptPoller, kept);
            Poller.Result f = finish(freshPoller, fresh);
            keptFailed += k.failed();
            newFailed += f.failed();
            keptRequests += k.requests();
            newRequests += f.requests();
            retried += k.retried();
            longestGap = Math.max(longestGap, Math.max(k.maxGapMillis(), f.maxGapMillis()));
            longestHandover = Math.max(longestHandover, handoverMillis);
            longestRelease = Math.max(longestRelease, releaseMillis);
            longestDrain = Math.max(longestDrain, Math.max(n1Drain, n2Drain));
            String line = String.format("round %d/%d: handover %d ms (CLI), n1 step-down to removal %d ms; resume until "
                    + "n2 released %d ms, n2 step-down to removal %d ms; keep-alive client %d failed of %d on %d "
                    + "connection(s), %d retried, longest gap %d ms; new-connection client %d failed of %d, longest gap "
                    + "%d ms", round, rounds, handoverMillis, n1Drain, releaseMillis, n2Drain, k.failed(), k.requests(),
                    k.connections(), k.retried(), k.maxGapMillis(), f.failed(), f.requests(), f.maxGapMillis());
            table.add(line);
            log.info("(keep-alive) {}", line);
            assertTrue(k.failedLines().isEmpty(), "keep-alive client lost no request: " + k.failedLines() + logs());
            assertTrue(f.failedLines().isEmpty(), "new-connection client lost no request: " + f.failedLines() + logs());
            assertTrue(k.answeredBy("n2"), "the kept-alive client moved to n2 during the handover" + logs());
            assertTrue(k.connections() < k.requests() / 10, "the client kept its connections alive: " + k.connections()
                    + " for " + k.requests() + " requests");
        }
        String n1Log = Files.readString(log("n1"));
        String n2Log = Files.readString(log("n2"));
        log.info("(keep-alive) {} rounds: keep-alive client {} failed of {} ({} retried after an idle close), "
                        + "new-connection client {} failed of {}, longest gap {} ms, longest handover {} ms, longest "
                        + "release after resume {} ms, longest step-down to removal {} ms\n{}", rounds, keptFailed,
                keptRequests, retried, newFailed, newRequests, longestGap, longestHandover, longestRelease, longestDrain,
                String.join("\n", table));
        assertFalse(n1Log.contains(DRAIN_LIMIT_HIT) || n2Log.contains(DRAIN_LIMIT_HIT),
                "no drain ran into its limit: the keep-alive connections were let go" + logs());
        assertTrue(longestDrain >= 0 && longestDrain < 20_000, "each drain ended well before its 30 s limit: longest "
                + longestDrain + " ms");
        assertTrue(longestHandover < 20_000, "each handover ended well before the 30 s drain limit: longest "
                + longestHandover + " ms");
    }
}
