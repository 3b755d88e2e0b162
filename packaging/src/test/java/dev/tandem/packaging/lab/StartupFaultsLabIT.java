package dev.tandem.packaging.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up faults in the lab: node n1 (the packaged Tandem, the VIP preferring it, adverts every 100 ms, the
 * client's address as its ICMP witness) starts alone, its peer n2 never running. Started cut off (its link to
 * the bridge down, or its witness absent) it must take no VIP, ever: a node that cannot tell whether it is the
 * isolated one must not answer ARP for an address its peer may hold. Started with its witness reachable it
 * takes the VIP once the witness answered and it has listened for its peers for the master-down interval.
 * Needs root and {@code ip netns}; skips, saying why, without them. Runs after {@code package} (failsafe).
 */
class StartupFaultsLabIT {

    private static final Logger log = LoggerFactory.getLogger(StartupFaultsLabIT.class);
    private static final String CLIENT = Lab.NET + ".100";
    /** An address on the lab's network that no namespace has: a witness that never answers. */
    private static final String NOBODY = Lab.NET + ".99";
    /** n1's master-down interval: 3 adverts of 100 ms and the skew of priority 250 (6/256 of one). */
    private static final long MASTER_DOWN_MILLIS = 302;

    private static LabNodes nodes;
    private static Lab lab;
    private static Path work;
    private Process node;
    private int run;

    @RegisterExtension
    static final LabNodes.Failures FAILURES = new LabNodes.Failures();

    @BeforeAll
    static void buildLab() throws Exception {
        nodes = LabNodes.open("tandem-startup-lab-", 2);
        lab = nodes.lab;
        work = nodes.work;
    }

    @AfterAll
    static void removeLab() throws IOException {
        if (nodes != null) {
            nodes.close(FAILURES.keep(), "the node's logs");
        }
    }

    @AfterEach
    void stopNode() throws Exception {
        if (node != null) {
            Lab.kill(node);
        }
        lab.sh("ip", "-n", lab.n1, "link", "set", "eth0", "up");
        Lab.run(List.of("ip", "-n", lab.n1, "addr", "del", Lab.VIP + "/24", "dev", "eth0"));
    }

    private Path start(String witness) throws IOException {
        run++;
        Path config = work.resolve("tandem-n1-" + run + ".yaml");
        Files.writeString(config, nodes.config("n1").unchecked().witness(witness).yaml());
        Path out = work.resolve("tandem-n1-" + run + ".log");
        node = nodes.run("n1", config, out);
        return out;
    }

    private boolean vipOnN1() throws Exception {
        return lab.output(lab.n1, "ip", "-o", "addr", "show", "dev", "eth0").contains(" " + Lab.VIP + "/");
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    /** Polls n1's addresses for ~5 s once its cluster runs: the VIP never appears, and its log never took it. */
    private void neverTakesTheVip(Path out) throws Exception {
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).failFast(() -> !node.isAlive())
                .until(() -> read(out).contains("cluster: node n1 on UDP"));
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int polls = 0;
        while (System.nanoTime() - until < 0) {
            assertFalse(vipOnN1(), "the VIP appeared on the isolated node after " + polls + " polls\n" + Lab.tail(out));
            polls++;
            await().pollDelay(Duration.ofMillis(50)).until(() -> true);
        }
        assertTrue(node.isAlive(), Lab.tail(out));
        String text = read(out);
        assertFalse(text.contains("-> MASTER"), "the node took the VIP:\n" + Lab.tail(out));
        assertFalse(text.contains("arping"), "the node announced the VIP:\n" + Lab.tail(out));
        assertTrue(text.contains("no witness answers"), "the node says it reaches no witness:\n" + Lab.tail(out));
        log.info("start-up isolated: VIP absent on n1 through {} polls over 5 s", polls);
    }

    @Test
    void startedWithItsLinkDownANodeTakesNoVip() throws Exception {
        lab.sh("ip", "-n", lab.n1, "link", "set", "eth0", "down");
        neverTakesTheVip(start(CLIENT));
    }

    @Test
    void startedWithItsWitnessesUnreachableANodeTakesNoVip() throws Exception {
        neverTakesTheVip(start(NOBODY));
    }

    @Test
    void startedWithItsWitnessReachableANodeTakesTheVipAfterTheMasterDownInterval() throws Exception {
        Path out = start(CLIENT);
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).failFast(() -> !node.isAlive())
                .until(this::vipOnN1);
        String text = read(out);
        Optional<OffsetDateTime> reached = timeOf(text, "witnesses reached");
        Optional<OffsetDateTime> master = timeOf(text, "-> MASTER");
        assertTrue(reached.isPresent() && master.isPresent(), Lab.tail(out));
        long afterVerdict = Duration.between(reached.get(), master.get()).toMillis();
        // the log's clock has milliseconds; the node's timer runs from a moment after the verdict's line
        assertTrue(afterVerdict >= MASTER_DOWN_MILLIS - 2,
                "master " + afterVerdict + " ms after the witness answered (expected: >= the master-down interval)\n"
                        + Lab.tail(out));
        assertTrue(lab.output(lab.client, "ping", "-n", "-q", "-c", "1", "-W", "2", Lab.VIP).contains("1 received"),
                "the client reaches the VIP");
        log.info("start-up with a witness: master {} ms after the witness answered", afterVerdict);
    }

    /** The time of the first log line that contains {@code text} (the distribution logs ISO-8601 times). */
    private static Optional<OffsetDateTime> timeOf(String log, String text) {
        return log.lines().filter(l -> l.contains(text)).findFirst()
                .map(l -> OffsetDateTime.parse(l.substring(0, l.indexOf(' '))));
    }
}
