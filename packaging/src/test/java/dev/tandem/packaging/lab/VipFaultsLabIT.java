package dev.tandem.packaging.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.testkit.HttpPoller;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Network faults around a VIP, each seen by a client: a client and three possible nodes on a bridge, each node
 * the packaged Tandem with a python backend in its namespace, adverts every 100 ms. The client asks for the VIP
 * every 10 ms, each time on a new connection ({@link HttpPoller}), while the test breaks the network: the
 * master's link flapping, a partition between the nodes that then heals, adverts lost at random, and an IPv6 VIP
 * taken over. Each test asserts the requests lost and who holds the VIP afterwards (the address on each node,
 * the node's own state, the client's neighbour entry, and who answers), and logs what it measured.
 * Needs root and {@code ip netns} (and {@code nft} for the partition and the loss); skips, saying why, without.
 * The lab's work directory is kept when a test fails, or always with {@code -Dtandem.lab.keep=true}.
 */
class VipFaultsLabIT {

    private static final Logger log = LoggerFactory.getLogger(VipFaultsLabIT.class);
    private static final Pattern STATE = Pattern.compile("\"state\"\\s*:\\s*\"([A-Z]+)\"");
    private static final int CLUSTER_PORT = 7400;
    /** The nft table the lab's faults are made with, in a node's namespace. */
    private static final String FAULTS = "tandem_lab_faults";

    private static LabNodes labNodes;
    private static Lab lab;
    private static Path work;

    @RegisterExtension
    static final LabNodes.Failures FAILURES = new LabNodes.Failures();

    /** The nodes this test started, by name. */
    private final Map<String, Process> nodes = new LinkedHashMap<>();
    private final Map<String, Integer> logStart = new LinkedHashMap<>();

    @BeforeAll
    static void buildLab() throws Exception {
        labNodes = LabNodes.open("tandem-vipfaults-", 3);
        lab = labNodes.lab;
        work = labNodes.work;
        for (String name : List.of("n1", "n2", "n3")) {
            labNodes.backend(name, "0.0.0.0");
        }
    }

    @AfterAll
    static void removeLab() throws IOException {
        if (labNodes != null) {
            labNodes.close(FAILURES.keep(), "the nodes' logs and the client's output");
        }
    }

    @AfterEach
    void stopNodes() throws Exception {
        nodes.values().forEach(Lab::kill);
        nodes.clear();
        for (String name : List.of("n1", "n2", "n3")) {
            String ns = ns(name);
            lab.sh("ip", "-n", ns, "link", "set", "eth0", "up");
            Lab.run(List.of("ip", "-n", ns, "addr", "del", Lab.VIP + "/24", "dev", "eth0"));
            Lab.run(List.of("ip", "-n", ns, "-6", "addr", "del", Lab.VIP6 + "/64", "dev", "eth0"));
            // an IPv6 node address goes with a link set down
            Lab.run(List.of("ip", "-n", ns, "-6", "addr", "add", Lab.NET6 + name.substring(1) + "/64", "dev", "eth0", "nodad"));
            if (Lab.has("nft")) {
                Lab.run(List.of("ip", "netns", "exec", ns, "nft", "flush", "ruleset"));
            }
        }
        Lab.run(List.of("ip", "-n", lab.client, "neigh", "flush", "dev", "eth0"));
    }

    private static String ns(String name) {
        return labNodes.ns(name);
    }

    /** What node {@code name} logged in this test. */
    private String testLog(String name) throws IOException {
        return labNodes.logSince(name, logStart.getOrDefault(name, 0));
    }

    private String logs() {
        return labNodes.logs(nodes.keySet());
    }

    // ------------------------------------------------------------------ nodes

    /** A VIP and how the nodes are set up around it. */
    private record Setup(boolean v6, boolean preempt, List<String> prefer) {
        String vip() {
            return v6 ? Lab.VIP6 : Lab.VIP;
        }

        String cidr() {
            return v6 ? Lab.VIP6 + "/64" : Lab.VIP + "/24";
        }

        String url() {
            return v6 ? "http://[" + Lab.VIP6 + "]/" : "http://" + Lab.VIP + "/";
        }
    }

    /**
     * Starts every node of {@code setup.prefer()}, the first alone until it answers on the VIP (started together,
     * a backup whose election began first took the VIP, and without preemption kept it); returns once the others
     * have joined. Patient: on a host with a load of 35, a node's JVM took 25 s to log its first line and was
     * not serving a minute after it was started.
     */
    private void start(Setup setup) throws Exception {
        for (String name : setup.prefer()) {
            logStart.put(name, labNodes.logLength(name));
            nodes.put(name, labNodes.run(name, labNodes.config(name).bind((setup.v6() ? "[" + Lab.VIP6 + "]" : Lab.VIP) + ":80")
                    .vip(setup.cidr()).prefer(setup.prefer()).preempt(setup.preempt())));
            if (nodes.size() == 1) {
                await().atMost(150, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                        .failFast(() -> nodes.values().stream().anyMatch(p -> !p.isAlive()))
                        .until(() -> answer(setup).equals(name));
            }
        }
        String first = setup.prefer().get(0);
        await().atMost(150, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .failFast(() -> nodes.values().stream().anyMatch(p -> !p.isAlive()))
                .until(() -> answer(setup).equals(first) && setup.prefer().stream().allMatch(this::joined));
        // Then a steady state, held for a second, before any fault: on a loaded host a backup can be master for an
        // instant at its start (its election began before it heard the first node) and then keeps the address
        // while it drains, seconds. A fault begun then measures that drain, not the fault.
        long t0 = System.nanoTime();
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).during(Duration.ofSeconds(1))
                .failFast(() -> nodes.values().stream().anyMatch(p -> !p.isAlive()))
                .until(() -> masters().equals(List.of(first)) && addressHolders(setup).equals(List.of(first)));
        log.info("steady ({} the only master and holder of the address) after {} ms", first,
                (System.nanoTime() - t0) / 1_000_000);
    }

    private boolean joined(String name) {
        try {
            return testLog(name).contains("cluster: node " + name + " on UDP");
        } catch (IOException e) {
            return false;
        }
    }

    private String answer(Setup setup) throws Exception {
        return lab.output(lab.client, "curl", "-g", "-s", "-m", "0.5", setup.url()).trim();
    }

    /** The node's own view of the VIP: MASTER, BACKUP, INIT, or "" when its admin endpoint does not answer. */
    private String state(String name) throws Exception {
        Matcher m = STATE.matcher(lab.output(ns(name), "curl", "-s", "-m", "1", "http://127.0.0.1:9090/status"));
        return m.find() ? m.group(1) : "";
    }

    private boolean hasAddress(String name, Setup setup) throws Exception {
        return lab.output(ns(name), "ip", "-o", "addr", "show", "dev", "eth0").contains(" " + setup.vip() + "/");
    }

    /** The nodes that have the VIP's address on their interface now. */
    private List<String> addressHolders(Setup setup) throws Exception {
        List<String> holders = new ArrayList<>();
        for (String name : nodes.keySet()) {
            if (hasAddress(name, setup)) {
                holders.add(name);
            }
        }
        return holders;
    }

    /** The nodes that are master of the VIP, as each says. */
    private List<String> masters() throws Exception {
        List<String> masters = new ArrayList<>();
        for (String name : nodes.keySet()) {
            if (state(name).equals("MASTER")) {
                masters.add(name);
            }
        }
        return masters;
    }

    private String mac(String name) throws Exception {
        return labNodes.mac(ns(name));
    }

    /** The client's neighbour entry for the VIP. */
    private String neighbour(Setup setup) throws Exception {
        return setup.v6() ? lab.output(lab.client, "ip", "-6", "neigh", "show", Lab.VIP6)
                : lab.output(lab.client, "ip", "neigh", "show", Lab.VIP);
    }

    /**
     * After a fault: exactly one node holds the VIP, {@code holder}, and the client reaches it. Its peers have
     * stepped down at once; one that stepped aside keeps the address only while it drains (seconds).
     */
    private void onlyHolder(String holder, Setup setup) throws Exception {
        try {
            await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                assertEquals(List.of(holder), masters(), "masters" + logs());
                assertEquals(List.of(holder), addressHolders(setup), "nodes with the address" + logs());
                assertEquals(holder, answer(setup), "who answers");
                assertTrue(neighbour(setup).contains(mac(holder)), "the client's neighbour entry: " + neighbour(setup));
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + network(), e);
        }
    }

    /** What each namespace shows of the VIP (neighbours, addresses, nft rules), for an assertion's message. */
    private String network() throws Exception {
        StringBuilder b = new StringBuilder("\n--- client: ip neigh\n").append(lab.output(lab.client, "ip", "neigh"));
        for (String name : nodes.keySet()) {
            b.append("\n--- ").append(name).append(" (").append(mac(name)).append("): ip addr\n")
                    .append(lab.output(ns(name), "ip", "-o", "addr", "show", "dev", "eth0"))
                    .append("\n--- ").append(name).append(": nft list ruleset\n")
                    .append(lab.output(ns(name), "nft", "list", "ruleset"));
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ the client

    /**
     * The client, polling {@code setup}'s VIP for {@code millis}; returns once it has seen 50 answers from
     * {@code holder}. Patient: an answer that takes a second on this shared machine is not a lost one.
     */
    private Process poller(Setup setup, long millis, Path out, String holder) throws Exception {
        Process p = Poller.start(lab, setup.url(), millis, 1000, 2000, false, out);
        Poller.awaitAnswers(out, holder, 50, 20);
        return p;
    }

    private Poller.Result finish(Process poller, Path out) throws Exception {
        return Poller.finish(poller, out, 90);
    }

    private static void assumeNft() {
        assumeTrue(Lab.has("nft"), "lab skipped: it needs nft (apt-get install nftables)");
    }

    /** Runs an nft script in node {@code name}'s namespace. */
    private void nft(String name, String script) throws Exception {
        lab.sh("ip", "netns", "exec", ns(name), "nft", script);
    }

    /** How many times node {@code name} became master in this test. */
    private int takeovers(String name) throws IOException {
        return (int) testLog(name).lines().filter(l -> l.contains("-> MASTER")).count();
    }

    // ------------------------------------------------------------------ the faults

    /**
     * The master's link goes down for {@code flapMillis} and comes back. While it is down the backup takes over
     * and announces; the master, cut off, stays master, and its announcements fail. When the link is back, the
     * two masters hear each other: the backup steps aside (it hears a higher priority), the returning master
     * hears the backup claim the VIP and announces it again (and its link watch does too), so the clients come
     * back to it: not a request is lost at the failback. {@code preempt} makes no difference: the master never
     * stopped being master. The backup, stepping down, answers ARP for the VIP until the master has announced it
     * since its link came back (an announcement from before the flap tells nothing: the neighbours were drawn
     * to the backup since); gone quiet sooner, a client that asked in between got no answer from either node.
     * The client runs until it has been answered by the master a while after the failback, however long
     * the steps before took on a busy host.
     */
    @ParameterizedTest(name = "link down for {0} ms, preempt {1}")
    @CsvSource({"1000, true", "5000, true", "1000, false", "5000, false"})
    void theMastersLinkFlaps(long flapMillis, boolean preempt) throws Exception {
        Setup setup = new Setup(false, preempt, List.of("n1", "n2"));
        start(setup);
        Path out = work.resolve("poll-flap-" + flapMillis + "-" + preempt + ".out");
        Path stop = work.resolve("poll-flap-" + flapMillis + "-" + preempt + ".stop");
        Process poller = Poller.start(lab, setup.url(), flapMillis + 120_000, 1000, 2000, false, out, stop);
        Poller.awaitAnswers(out, "n1", 50, 20);
        long down = System.currentTimeMillis();
        lab.sh("ip", "-n", lab.n1, "link", "set", "eth0", "down");
        // n2 took over and the client follows it, then the rest of the flap
        await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20))
                .until(() -> Files.readString(out).contains(" ok 200 n2 "));
        await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20))
                .until(() -> System.currentTimeMillis() - down >= flapMillis);
        long up = System.currentTimeMillis();
        lab.sh("ip", "-n", lab.n1, "link", "set", "eth0", "up");
        // the failback, and long enough after it for the backup's drain to end and its address to go
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .until(() -> System.currentTimeMillis() - up >= 10_000 && Poller.answersSince(out, "n1", up) >= 20);
        Poller.stop(stop);
        Poller.Result seen = finish(poller, out);

        log.info("link flap {} ms (preempt {}): link down for {} ms; failover: {} failed, outage {} ms; failback: {} failed, "
                        + "longest gap {} ms; {} requests", flapMillis, preempt, up - down, seen.failedBefore(up).size(),
                seen.gapFrom(down), seen.failedFrom(up).size(), seen.gapFrom(up), seen.requests());
        assertTrue(seen.answeredBy("n2"), "n2 took over while n1's link was down" + logs());
        assertEquals(List.of(), seen.failedFrom(up), "no request lost at the failback" + logs());
        assertEquals("n1", seen.lastAnswerer(), "the client is back on n1" + logs());
        onlyHolder("n1", setup);
        assertTrue(testLog("n1").contains("has its link again"), "n1 saw its link come back" + logs());
        Instant announced = firstLogged("n1", "VIP " + setup.vip() + ": announced on", up);
        Instant quiet = firstLogged("n2", "VIP " + setup.vip() + ": answering no more ARP requests", down);
        assertTrue(announced != null, "n1 announced the VIP after its link came back" + logs());
        assertTrue(quiet == null || !quiet.isBefore(announced), "n2 answered ARP for the VIP until n1 had announced "
                + "it after its link came back (n1 announced at " + announced + ", n2 went quiet at " + quiet + ")" + logs());
    }

    /** When node {@code name} first logged a line containing {@code text} at or after {@code epochMillis}, or null. */
    private Instant firstLogged(String name, String text, long epochMillis) throws IOException {
        Instant from = Instant.ofEpochMilli(epochMillis);
        for (String line : testLog(name).lines().toList()) {
            int sp = line.indexOf(' ');
            if (sp > 0 && line.contains(text)) {
                try {
                    Instant at = Instant.parse(line.substring(0, sp));
                    if (!at.isBefore(from)) {
                        return at;
                    }
                } catch (java.time.format.DateTimeParseException e) {
                    // not a log line of the node's own (a stack trace's)
                }
            }
        }
        return null;
    }

    /**
     * The nodes cannot hear each other (the cluster port is dropped between them) while the client reaches both:
     * without witnesses both become master, and the client is answered throughout. When the partition heals the
     * less preferred one steps down at once and the other announces the VIP again: exactly one holder, and the
     * client on it, without a request lost.
     */
    @Test
    void aPartitionBetweenTwoNodesThenTheHeal() throws Exception {
        partitionThenHeal(List.of("n1", "n2"), List.of("n1", "n2"));
    }

    /** Three nodes, n1 cut off from n2 and n3: n2 takes the VIP on its side, and gives it back at the heal. */
    @Test
    void aPartitionOfThreeNodesThenTheHeal() throws Exception {
        partitionThenHeal(List.of("n1", "n2", "n3"), List.of("n1", "n2"));
    }

    /** Cuts the first of {@code prefer} off from the others; {@code mastersMeanwhile} are the masters then. */
    private void partitionThenHeal(List<String> prefer, List<String> mastersMeanwhile) throws Exception {
        assumeNft();
        Setup setup = new Setup(false, true, prefer);
        start(setup);
        String label = prefer.size() + " nodes";
        Path out = work.resolve("poll-partition-" + prefer.size() + ".out");
        Process poller = poller(setup, 16_000, out, "n1");
        StringBuilder rules = new StringBuilder();
        for (String other : prefer.subList(1, prefer.size())) {
            String at = Lab.NET + "." + other.substring(1);
            rules.append("  chain in_").append(other).append(" { type filter hook input priority 0; ip saddr ").append(at)
                    .append(" udp dport ").append(CLUSTER_PORT).append(" drop; }\n");
            rules.append("  chain out_").append(other).append(" { type filter hook output priority 0; ip daddr ").append(at)
                    .append(" udp dport ").append(CLUSTER_PORT).append(" drop; }\n");
        }
        nft("n1", "table inet " + FAULTS + " {\n" + rules + "}");
        long cut = System.currentTimeMillis();
        await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50))
                .until(() -> masters().equals(mastersMeanwhile));
        long split = System.currentTimeMillis();
        // the partition lasts a few seconds, both sides answering
        await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50))
                .until(() -> System.currentTimeMillis() - cut >= 4000);
        assertEquals(mastersMeanwhile, masters(), "one master on each side" + logs());
        long heal = System.currentTimeMillis();
        nft("n1", "delete table inet " + FAULTS);
        await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20)).until(() -> masters().equals(List.of("n1")));
        long oneMaster = System.currentTimeMillis();
        Poller.Result seen = finish(poller, out);

        log.info("partition, {}: two masters {} ms after the cut; heal: one master after {} ms (status polled); {} failed "
                        + "during the partition, {} failed after the heal, longest gap after the heal {} ms; {} requests",
                label, split - cut, oneMaster - heal, seen.failedBefore(heal).size(), seen.failedFrom(heal).size(),
                seen.gapFrom(heal), seen.requests());
        assertTrue(oneMaster - heal < 5000, "one master soon after the heal: " + (oneMaster - heal) + " ms" + logs());
        assertEquals(List.of(), seen.failedFrom(heal), "no request lost at the heal" + logs());
        assertEquals("n1", seen.lastAnswerer(), "the client is on n1" + logs());
        assertTrue(testLog("n1").contains("announcing it again: n2 "), "n1 announced again" + logs());
        // n2 answered ARP until n1's adverts said it had announced the VIP after hearing n2, not on the strength
        // of n1's round from before the partition
        assertTrue(testLog("n2").contains("n1 announced it since it heard this node"), "n2 waited for n1's round" + logs());
        for (String node : List.of("n1", "n2")) {
            testLog(node).lines().filter(l -> l.contains("announc") || l.contains("ARP") || l.contains("-> "))
                    .forEach(l -> log.info("heal, {}: {}", node, l));
        }
        onlyHolder("n1", setup);
    }

    /**
     * 30% of the cluster's packets between the two nodes are lost, both ways, for 15 s. The backup misses three
     * adverts in a row about once every 4 s (0.3^3 per advert) and takes the VIP, as RFC 5798's timers say (and
     * keepalived's would); n1 hears it claim the VIP and takes its clients back at once, passing on to it the
     * connections they opened meanwhile. The client is answered throughout; a request can fail only at such a
     * takeover (a connection to n1 that the takeover moved to n2 mid-request is reset), and the VIP ends on n1.
     * n2 is master for a few tens of ms at a time, and may take the VIP back while it still drains: every advert
     * of such a mastership can be lost, and so can the release that ended the drain before it; n1 then learns of
     * it only by n2's new drain, and must announce again all the same (it did not, in 1 run of 3: the client sat
     * on n2's MAC, where the address was gone, until its ARP entry went stale, over 30 s).
     */
    @Test
    void lossOnTheClusterLink() throws Exception {
        assumeNft();
        Setup setup = new Setup(false, true, List.of("n1", "n2"));
        start(setup);
        Path out = work.resolve("poll-loss.out");
        Process poller = poller(setup, 16_000, out, "n1");
        String n1 = Lab.NET + ".1";
        nft("n2", "table inet " + FAULTS + " {\n"
                + "  chain in { type filter hook input priority 0; ip saddr " + n1 + " udp dport " + CLUSTER_PORT
                + " numgen random mod 100 < 30 drop; }\n"
                + "  chain out { type filter hook output priority 0; ip daddr " + n1 + " udp dport " + CLUSTER_PORT
                + " numgen random mod 100 < 30 drop; }\n"
                + "}");
        long from = System.currentTimeMillis();
        Poller.Result seen = finish(poller, out);
        nft("n2", "delete table inet " + FAULTS);
        int flaps = takeovers("n2");
        log.info("30% loss: n2 took the VIP {} time(s); {} failed of {}, longest gap {} ms", flaps,
                seen.failedFrom(from).size(), seen.requests(), seen.gapFrom(from));
        assertTrue(seen.failedFrom(from).size() <= flaps, "a request lost only at a takeover by n2 ("
                + flaps + "): " + seen.failedFrom(from) + logs());
        assertTrue(seen.gapFrom(from) < 2000, "answered throughout: longest gap " + seen.gapFrom(from) + " ms" + logs());
        // (Not the client's last answer: a takeover by n2 in the loss's last moments is allowed, and undone
        // once the loss is over.)
        onlyHolder("n1", setup);
    }

    /**
     * An IPv6 VIP, its master's link down: the backup takes it and sends unsolicited neighbour advertisements, so
     * the client's neighbour entry moves to it at once (the kernel sends none for an address added without
     * duplicate address detection; without them the client kept sending to the dead master's MAC until its
     * entry went stale) and requests resume.
     */
    @Test
    void anIpv6VipTakenOver() throws Exception {
        Setup setup = new Setup(true, true, List.of("n1", "n2"));
        start(setup);
        assertTrue(neighbour(setup).contains(mac("n1")), neighbour(setup));
        Path out = work.resolve("poll-v6.out");
        Process poller = poller(setup, 6000, out, "n1");
        long down = System.currentTimeMillis();
        lab.sh("ip", "-n", lab.n1, "link", "set", "eth0", "down");
        String n2 = mac("n2");
        await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20)).until(() -> neighbour(setup).contains(n2));
        long moved = System.currentTimeMillis();
        Poller.Result seen = finish(poller, out);
        log.info("IPv6 takeover: the client's neighbour entry moved {} ms after the link went down ({}); {} failed of {}, "
                + "outage {} ms", moved - down, neighbour(setup), seen.failed(), seen.requests(), seen.gapFrom(down));
        assertEquals("n2", seen.lastAnswerer(), "requests resumed on n2" + logs());
        assertTrue(seen.gapFrom(down) < 5000, "outage " + seen.gapFrom(down) + " ms" + logs());
        assertTrue(hasAddress("n2", setup));
    }
}
