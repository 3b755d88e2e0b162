package dev.tandem.packaging.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS failover across two regions, each node behind its own NAT. The "internet" is a bridge (in a namespace of
 * its own) that joins each region's router, a knot server holding {@code example.com.} with a TSIG key, and two
 * witnesses, one of each kind: an ICMP echo and a TCP connect. Region a: node lb1 on 10.1.0.11 behind router a, which masquerades it as 198.51.100.7 and
 * forwards the cluster port (UDP and TCP) back to it; region b the same for lb2 (10.2.0.12, 198.51.100.9). The
 * nodes run the packaged Tandem with one config, {@code www.example.com.} failing over from lb1 to lb2, and
 * mirror a directory. The record is read at the server with {@code dig}. Between the two regions the cluster's
 * traffic (UDP adverts, the mirror's TCP) takes 100 ms each way, 200 ms a round trip: tc netem is not available
 * here, so each router redirects (nftables dnat) what its node sends to the other region's cluster port to the
 * delaying forwarder (testkit's {@code delay_forward.py}, which the benchmarks run too), and that passes it on
 * 100 ms later from the router's public address.
 *
 * <p>The tests share one lab; before each, both nodes run, every link is up and the record holds lb1. Needs root,
 * {@code ip netns}, {@code nft}, {@code knotd} and {@code dig}; skips, saying why, without them. Runs after
 * {@code package} (failsafe). The work directory (the nodes' and knot's logs) is kept when a test fails.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DnsFailoverLabIT {

    private static final Logger log = LoggerFactory.getLogger(DnsFailoverLabIT.class);

    private static final String KNOTD = "/usr/sbin/knotd";
    private static final String WWW = "www.example.com.";
    /** In the zone from the start: an address no node wrote, which must stay. */
    private static final String FOREIGN = "192.0.2.200";
    private static final String DNS = "198.51.100.53";
    /** One witness of each kind: an ICMP echo, and a TCP connect to a listener in the witnesses' namespace. */
    private static final String ICMP_WITNESS = "198.51.100.101";
    private static final String TCP_WITNESS = "198.51.100.102";
    private static final int TCP_WITNESS_PORT = 7022;
    private static final List<String> WITNESSES = List.of(ICMP_WITNESS,
            "\"tcp:" + TCP_WITNESS + ":" + TCP_WITNESS_PORT + "\"");
    private static final int PORT = 7400;
    private static final Duration HOLD_DOWN = Duration.ofSeconds(5);
    /** 3 adverts of 250 ms: how long a node goes unheard before it counts as lost. */
    private static final Duration LOST_AFTER = Duration.ofMillis(750);
    /** Added each way between the regions. */
    private static final Duration DELAY = Duration.ofMillis(100);
    /** Where each router's forwarder listens, on its LAN address. */
    private static final int FORWARDER_PORT = 27400;
    /** Files in a batch of the mirror case. */
    private static final int BATCH_FILES = 50;

    /** One region: its node's name and addresses, the router's and the node's namespaces. */
    private record Region(String node, String publicAddress, String privateAddress, String gateway, String router,
                          String host) {
        Set<String> record() {
            return Set.of(FOREIGN, publicAddress);
        }
    }

    @RegisterExtension
    static final LabNodes.Failures FAILURES = new LabNodes.Failures();

    private static Lab lab;
    private static Path work;
    private static Path dist;
    private static String dnsHost;
    private static Region a;
    private static Region b;
    private static final Map<String, Process> running = new HashMap<>();
    /** Where each node's log stood when this test began. */
    private final Map<String, Integer> logStart = new HashMap<>();

    @BeforeAll
    static void buildLab() throws Exception {
        dist = Lab.distributionOrSkip();
        for (String tool : List.of("nft", "dig", "ping")) {
            assumeTrue(Lab.has(tool), "dns lab skipped: it needs " + tool + " (apt-get install nftables dnsutils iputils-ping)");
        }
        assumeTrue(Files.isExecutable(Path.of(KNOTD)), "dns lab skipped: it needs knotd (apt-get install knot)");
        lab = new Lab();
        work = Files.createTempDirectory("tandem-dns-lab-");
        try {
            String net = lab.namespace("net");
            lab.sh("ip", "-n", net, "link", "add", "br0", "type", "bridge");
            lab.sh("ip", "-n", net, "link", "set", "br0", "up");
            a = region(net, "lb1", "a", "198.51.100.7", "10.1.0");
            b = region(net, "lb2", "b", "198.51.100.9", "10.2.0");
            Path forwarder = work.resolve("delay_forward.py");
            try (var in = DnsFailoverLabIT.class.getResourceAsStream("/dev/tandem/testkit/delay_forward.py")) {
                assertTrue(in != null, "testkit's delay_forward.py on the class path");
                Files.copy(in, forwarder);
            }
            delay(forwarder, a, b);
            delay(forwarder, b, a);
            dnsHost = lab.namespace("dns");
            uplink(net, dnsHost, "eth0", "pd", DNS);
            String witnesses = lab.namespace("w");
            uplink(net, witnesses, "eth0", "pw", ICMP_WITNESS);
            lab.sh("ip", "-n", witnesses, "addr", "add", TCP_WITNESS + "/24", "dev", "eth0");
            startTcpWitness(witnesses);
            Path tsig = startKnot();
            byte[] clusterKey = SecureRandom.getInstanceStrong().generateSeed(32);
            String config = config(tsig);
            for (Region r : List.of(a, b)) {
                Path dir = Files.createDirectories(work.resolve(r.node()));
                Files.write(dir.resolve("cluster.key"), clusterKey);
                Files.writeString(dir.resolve("tandem.yaml"), config);
                Files.writeString(Files.createDirectories(dir.resolve("site")).resolve("index.html"), "lab\n");
            }
        } catch (Exception | AssertionError e) {
            lab.close();
            throw e;
        }
    }

    @AfterAll
    static void removeLab() throws IOException {
        if (lab == null) {
            return;
        }
        lab.close();
        if (FAILURES.keep()) {
            log.warn("dns lab: kept {} (the nodes' and knot's logs)", work);
        } else {
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * A region: a router namespace with its WAN on the bridge at {@code publicAddress} and its LAN at
     * {@code subnet.1}, and the node's namespace at {@code subnet.(11|12)} behind it. The router masquerades what
     * leaves by its WAN and forwards the cluster port to the node: the node's peers see and dial only its
     * public address, and it reaches nothing by its private one.
     */
    private static Region region(String net, String node, String suffix, String publicAddress, String subnet)
            throws Exception {
        String router = lab.namespace("r" + suffix);
        String host = lab.namespace(suffix);
        String privateAddress = subnet + "." + (10 + Integer.parseInt(node.substring(2)));
        String gateway = subnet + ".1";
        uplink(net, router, "wan", "p" + suffix, publicAddress);
        lab.sh("ip", "link", "add", "eth0", "netns", host, "type", "veth", "peer", "name", "lan", "netns", router);
        lab.sh("ip", "-n", router, "addr", "add", gateway + "/24", "dev", "lan");
        lab.sh("ip", "-n", router, "link", "set", "lan", "up");
        lab.sh("ip", "-n", host, "addr", "add", privateAddress + "/24", "dev", "eth0");
        lab.sh("ip", "-n", host, "link", "set", "eth0", "up");
        lab.sh("ip", "-n", host, "route", "add", "default", "via", gateway);
        lab.sh("ip", "netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        Path rules = work.resolve("nat-" + suffix + ".nft");
        Files.writeString(rules, """
                table ip lab_nat {
                    chain prerouting {
                        type nat hook prerouting priority dstnat; policy accept;
                        iifname "wan" ip daddr %1$s udp dport %3$d dnat to %2$s
                        iifname "wan" ip daddr %1$s tcp dport %3$d dnat to %2$s
                    }
                    chain postrouting {
                        type nat hook postrouting priority srcnat; policy accept;
                        oifname "wan" masquerade
                    }
                }
                """.formatted(publicAddress, privateAddress, PORT));
        lab.sh("ip", "netns", "exec", router, "nft", "-f", rules.toString());
        return new Region(node, publicAddress, privateAddress, gateway, router, host);
    }

    /**
     * What {@code from}'s node sends to {@code to}'s cluster port, UDP and TCP, goes through the delaying
     * forwarder in {@code from}'s router: {@link #DELAY} later, from the router's public address. The other
     * router's forwarder delays the way back. Before any node runs, so that every flow between them is delayed
     * (a dnat applies to new flows only).
     */
    private static void delay(Path forwarder, Region from, Region to) throws Exception {
        Path log = work.resolve("delay-" + from.node() + ".log");
        String listen = from.gateway() + ":" + FORWARDER_PORT;
        Process p = lab.spawn(from.router(), List.of("python3", "-u", forwarder.toString(), "--delay-ms",
                String.valueOf(DELAY.toMillis()), "--tcp", listen, "--udp", listen + "=" + to.publicAddress() + ":" + PORT,
                "--source", from.publicAddress()), log);
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).failFast(() -> !p.isAlive())
                .until(() -> Files.exists(log) && Files.readString(log).contains("delaying"));
        Path rules = work.resolve("delay-" + from.node() + ".nft");
        Files.writeString(rules, """
                table ip lab_delay {
                    chain prerouting {
                        type nat hook prerouting priority dstnat - 1; policy accept;
                        iifname "lan" ip daddr %1$s tcp dport %2$d dnat to %3$s
                        iifname "lan" ip daddr %1$s udp dport %2$d dnat to %3$s
                    }
                }
                """.formatted(to.publicAddress(), PORT, listen));
        lab.sh("ip", "netns", "exec", from.router(), "nft", "-f", rules.toString());
    }

    /** A veth from namespace {@code ns} (as {@code ifname}, at {@code address}/24) to the bridge's {@code port}. */
    private static void uplink(String net, String ns, String ifname, String port, String address) throws Exception {
        lab.sh("ip", "link", "add", ifname, "netns", ns, "type", "veth", "peer", "name", port, "netns", net);
        lab.sh("ip", "-n", net, "link", "set", port, "master", "br0");
        lab.sh("ip", "-n", net, "link", "set", port, "up");
        lab.sh("ip", "-n", ns, "addr", "add", address + "/24", "dev", ifname);
        lab.sh("ip", "-n", ns, "link", "set", ifname, "up");
    }

    /**
     * What the TCP witness connects to: a listener that accepts and closes. (A refused connect counts as reached
     * too, so a listener is not strictly needed; with one, the probe sees the path exactly as in production.)
     */
    private static void startTcpWitness(String ns) throws Exception {
        Path log = work.resolve("tcp-witness.log");
        Process p = lab.spawn(ns, List.of("python3", "-u", "-c", """
                import socket
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("%s", %d))
                s.listen(64)
                print("listening", flush=True)
                while True:
                    c, _ = s.accept()
                    c.close()
                """.formatted(TCP_WITNESS, TCP_WITNESS_PORT)), log);
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).failFast(() -> !p.isAlive())
                .until(() -> Files.exists(log) && Files.readString(log).contains("listening"));
    }

    /**
     * knot, authoritative for {@code example.com.} on port 53 of its namespace, taking updates signed with a
     * fresh TSIG key (as DnsUpdaterKnotTest's server does); returns the key file, as {@code keymgr -t} writes it.
     */
    private static Path startKnot() throws Exception {
        Path dir = Files.createDirectories(work.resolve("knot"));
        Files.createDirectories(dir.resolve("db"));
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String secret = Base64.getEncoder().encodeToString(key);
        Path keyFile = dir.resolve("tsig.key");
        Files.writeString(keyFile, "key:\n  - id: tandem-key.\n    algorithm: hmac-sha256\n    secret: " + secret + "\n");
        Files.writeString(dir.resolve("example.com.zone"), """
                $TTL 300
                @ SOA ns.example.com. admin.example.com. 1 3600 600 86400 60
                @ NS ns.example.com.
                ns A %s
                www A %s
                """.formatted(DNS, FOREIGN));
        Files.writeString(dir.resolve("knot.conf"), """
                server:
                    listen: %s@53
                    rundir: %s
                database:
                    storage: %s
                key:
                  - id: tandem-key.
                    algorithm: hmac-sha256
                    secret: %s
                acl:
                  - id: update
                    key: tandem-key.
                    action: update
                zone:
                  - domain: example.com.
                    storage: %s
                    file: example.com.zone
                    acl: update
                    zonefile-sync: -1
                """.formatted(DNS, dir, dir.resolve("db"), secret, dir));
        Path knotLog = work.resolve("knotd.log");
        Process knot = lab.spawn(dnsHost, List.of(KNOTD, "-c", dir.resolve("knot.conf").toString()), knotLog);
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).failFast(() -> !knot.isAlive())
                .until(() -> Files.exists(knotLog) && Files.readString(knotLog).contains("server started"));
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> www().equals(Set.of(FOREIGN)));
        return keyFile;
    }

    /** The one config both nodes run (each with its own copy, under its own directory). */
    private static String config(Path tsig) {
        return """
                listeners:
                  - {name: http, bind: "0.0.0.0:80"}
                sites:
                  - {hosts: ["*"], upstream: web}
                upstreams:
                  web:
                    servers: [{address: "127.0.0.1:8000"}]
                cluster:
                  nodes:
                    lb1: {address: %s, bind: %s}
                    lb2: {address: %s, bind: %s}
                  port: %d
                  secret_file: cluster.key
                  advert_interval: 250ms
                  state_dir: state-cluster
                  witnesses: [%s]
                  mirror:
                    paths: [site]
                    state_dir: state-mirror
                  dns:
                    server: %s:53
                    zone: example.com.
                    tsig: {name: tandem-key., algorithm: hmac-sha256, secret_file: %s}
                    hold_down: %ds
                    records:
                      - {name: %s, ttl: 5s, mode: failover, prefer: [lb1, lb2]}
                """.formatted(a.publicAddress(), a.privateAddress(), b.publicAddress(), b.privateAddress(), PORT,
                String.join(", ", WITNESSES), DNS, tsig, HOLD_DOWN.toSeconds(), WWW);
    }

    // ------------------------------------------------------------------ the lab's state

    /** The addresses of {@code www} at the server, as dig prints them; empty when dig gets no answer. */
    private static Set<String> www() throws Exception {
        String out = lab.output(dnsHost, "dig", "+short", "+time=2", "+tries=1", "@" + DNS, WWW, "A");
        Set<String> addresses = new LinkedHashSet<>();
        for (String line : out.split("\n")) {
            if (line.matches("\\d+\\.\\d+\\.\\d+\\.\\d+")) {
                addresses.add(line);
            }
        }
        return addresses;
    }

    private static Path log(String node) {
        return work.resolve("tandem-" + node + ".log");
    }

    private static String readLog(String node) throws IOException {
        return Files.exists(log(node)) ? Files.readString(log(node)) : "";
    }

    /** What {@code node} logged in this test. */
    private String testLog(String node) throws IOException {
        String all = readLog(node);
        return all.substring(Math.min(all.length(), logStart.getOrDefault(node, 0)));
    }

    /** Whether {@code node} last said that it reaches a majority of its witnesses. */
    private static boolean reachesMajority(String node) throws IOException {
        String all = readLog(node);
        return all.lastIndexOf("dns: witnesses reached") > all.lastIndexOf("dns: no witness majority");
    }

    private static String logs() throws IOException {
        StringBuilder out = new StringBuilder();
        for (String n : List.of("lb1", "lb2")) {
            out.append("\n--- ").append(n).append(":\n").append(Lab.tail(log(n)));
        }
        // The forwarders say when they held the link up beyond its delay (a busy machine): the link's doing, not
        // the nodes'.
        for (String n : List.of("lb1", "lb2")) {
            out.append("\n--- forwarder from ").append(n).append(":\n").append(Lab.tail(work.resolve("delay-" + n + ".log")));
        }
        return out.append("\n--- knotd:\n").append(Lab.tail(work.resolve("knotd.log"))).toString();
    }

    private static Process start(Region r) throws IOException {
        Path dir = work.resolve(r.node());
        Process p = lab.spawn(r.host(), List.of("sh", dist.resolve("bin/tandem").toString(), "run", "--config",
                dir.resolve("tandem.yaml").toString(), "--node", r.node()), log(r.node()));
        running.put(r.node(), p);
        return p;
    }

    private static boolean alive(Region r) {
        Process p = running.get(r.node());
        return p != null && p.isAlive();
    }

    private static void link(Region r, boolean up) throws Exception {
        lab.sh("ip", "-n", r.router(), "link", "set", "wan", up ? "up" : "down");
    }

    /**
     * Both nodes running, every link up, the record holding lb1 (back there after the last test's fault, which
     * takes a hold-down) and both nodes reaching their witnesses.
     */
    @BeforeEach
    void steadyState() throws Exception {
        link(a, true);
        link(b, true);
        for (Region r : List.of(a, b)) {
            if (!alive(r)) {
                start(r);
            }
        }
        boolean moved = !www().equals(a.record());
        try {
            // Held for 2 s, not seen once: two nodes started together on an empty record can both add themselves
            // (each decided before the other's value was there), and the record shows lb1 alone for a few
            // milliseconds in between, until lb1 takes lb2's value out after the hold-down.
            await().atMost(120, TimeUnit.SECONDS).during(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(250))
                    .failFast(() -> !alive(a) || !alive(b))
                    .until(() -> www().equals(a.record()) && reachesMajority("lb1") && reachesMajority("lb2"));
            if (moved) {
                // The move back must hold: the record stays with lb1 for a hold-down and more before the next
                // case starts, so that what each case times is its own fault's alone.
                Set<String> other = new LinkedHashSet<>();
                await().during(HOLD_DOWN.plusSeconds(1)).atMost(HOLD_DOWN.plusSeconds(30))
                        .pollInterval(Duration.ofMillis(250)).until(() -> {
                            Set<String> now = www();
                            if (!now.isEmpty() && !now.equals(a.record())) {
                                other.addAll(now);
                            }
                            return other.isEmpty();
                        });
            }
        } catch (AssertionError e) {
            throw new AssertionError("no steady state (the record at lb1, both nodes up): " + www() + logs(), e);
        }
        logStart.put("lb1", readLog("lb1").length());
        logStart.put("lb2", readLog("lb2").length());
    }

    /** Drops (or no longer drops) at {@code r}'s router what its node sends to {@code address}. */
    private static void cut(Region r, String address, boolean cut) throws Exception {
        if (cut) {
            Path rules = work.resolve("cut-" + r.node() + ".nft");
            Files.writeString(rules, """
                    table ip lab_cut {
                        chain forward {
                            type filter hook forward priority filter; policy accept;
                            ip daddr %s drop
                        }
                    }
                    """.formatted(address));
            lab.sh("ip", "netns", "exec", r.router(), "nft", "-f", rules.toString());
        } else {
            Lab.run(List.of("ip", "netns", "exec", r.router(), "nft", "delete", "table", "ip", "lab_cut"));
        }
    }

    @AfterEach
    void linksUp() throws Exception {
        link(a, true);
        link(b, true);
        cut(b, TCP_WITNESS, false);
    }

    /** Reads the record every 200 ms for {@code period}: every answer it got. */
    private static List<Set<String>> watch(Duration period) {
        List<Set<String>> seen = new ArrayList<>();
        await().during(period).atMost(period.plusSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            Set<String> now = www();
            if (!now.isEmpty()) {
                seen.add(now);
            }
            return true;
        });
        return seen;
    }

    /** Waits for the record to hold {@code r} (and the foreign address), generously; returns the wait in ms. */
    private static long awaitRecord(Region r, String why) throws Exception {
        long t0 = System.nanoTime();
        try {
            await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                    .until(() -> www().equals(r.record()));
        } catch (AssertionError e) {
            throw new AssertionError(why + ": the record never held " + r.node() + " alone: " + www() + logs(), e);
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    // ------------------------------------------------------------------ the cases

    @Test
    @Order(1)
    void theRecordMovesToTheBackupWhenThePrimarysNodeIsKilled() throws Exception {
        Lab.kill(running.remove("lb1"));
        long ms = awaitRecord(b, "lb1 killed");
        log.info("dns lab: lb1 killed, the record held lb2 at the server {} ms later", ms);
        assertTrue(testLog("lb2").contains("lb1 down (not heard, witnesses confirm)"), logs());
    }

    @Test
    @Order(2)
    void theRecordMovesWhenThePrimarysRegionIsCutOff() throws Exception {
        link(a, false);
        long ms = awaitRecord(b, "region a cut off");
        log.info("dns lab: region a cut off, the record held lb2 at the server {} ms later", ms);
        assertTrue(testLog("lb2").contains("lb1 down (not heard, witnesses confirm)"), logs());
        // lb1, alive but alone, knows it: it reaches no witness and moves nothing.
        await().atMost(30, TimeUnit.SECONDS).until(() -> testLog("lb1").contains("dns: no witness majority"));
    }

    /**
     * lb2 loses lb1's adverts and every witness at once: its own uplink failed, not lb1. The record must stay
     * with lb1 for the whole cut, and when the link comes back (lb2 reaches its witnesses again, and has not
     * heard lb1 for as long as the cut lasted) too.
     */
    @Test
    @Order(3)
    void theRecordStaysWhenTheBackupsOwnUplinkIsCut() throws Exception {
        link(b, false);
        await().atMost(30, TimeUnit.SECONDS).until(() -> testLog("lb2").contains("dns: no witness majority"));
        List<Set<String>> cut = watch(LOST_AFTER.multipliedBy(6));
        link(b, true);
        await().atMost(30, TimeUnit.SECONDS).until(() -> reachesMajority("lb2"));
        List<Set<String>> after = watch(LOST_AFTER.multipliedBy(6));
        for (List<Set<String>> seen : List.of(cut, after)) {
            assertTrue(!seen.isEmpty() && seen.stream().allMatch(a.record()::equals),
                    "the record held lb1 throughout: " + seen + logs());
        }
        assertTrue(!testLog("lb2").contains("dns: " + WWW + ": adding"), "lb2 sent no update" + logs());
    }

    /**
     * lb1, killed, has the record move to lb2; started again, it takes the record back once it has been up (and
     * reaching its witnesses) for the hold-down, not before.
     */
    @Test
    @Order(4)
    void theRecordMovesBackAfterTheHoldDownWhenThePrimaryReturns() throws Exception {
        Lab.kill(running.remove("lb1"));
        awaitRecord(b, "lb1 killed");
        int from = readLog("lb1").length();
        start(a);
        AtomicLong upAt = new AtomicLong();
        AtomicLong backAt = new AtomicLong();
        List<Set<String>> before = new ArrayList<>();
        try {
            await().atMost(120, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).until(() -> {
                if (upAt.get() == 0 && readLog("lb1").substring(from).contains("dns: witnesses reached")) {
                    upAt.set(System.nanoTime());
                }
                Set<String> now = www();
                if (now.equals(a.record())) {
                    backAt.set(System.nanoTime());
                } else if (!now.isEmpty()) {
                    before.add(now);
                }
                return backAt.get() != 0;
            });
        } catch (AssertionError e) {
            throw new AssertionError("the record went back to lb1: " + www() + logs(), e);
        }
        assertTrue(upAt.get() != 0, "lb1 said it reached its witnesses" + logs());
        assertTrue(before.stream().allMatch(b.record()::equals), "until then it held lb2: " + before + logs());
        long waited = TimeUnit.NANOSECONDS.toMillis(backAt.get() - upAt.get());
        log.info("dns lab: the record went back to lb1 {} ms after it reached its witnesses (hold-down {} ms)",
                waited, HOLD_DOWN.toMillis());
        // upAt is when this test saw lb1's log line, a little after lb1 wrote it: a second's allowance.
        assertTrue(waited >= HOLD_DOWN.toMillis() - 1000, "not before the hold-down: " + waited + " ms" + logs());
        assertTrue(testLog("lb1").contains("more preferred than lb2"), logs());
    }

    /**
     * An edit in either region reaches the other, through both routers' NAT and 200 ms of round trip; and a batch
     * of {@link #BATCH_FILES} files moved in at once costs the round trip once, not once per file: it reaches the
     * peer within a few seconds of what one edit takes (per file, 50 round trips would add 10 s).
     */
    @Test
    @Order(5)
    void anEditInEitherRegionReachesTheOther() throws Exception {
        await().atMost(60, TimeUnit.SECONDS).until(() -> readLog("lb1").contains("mirror: first sync")
                && readLog("lb2").contains("mirror: first sync"));
        for (Region[] way : new Region[][]{{a, b}, {b, a}}) {
            long edit = Long.MAX_VALUE;
            for (int i = 0; i < 2; i++) {
                // The best of two: the first may also pay for the JVMs' warming up.
                edit = Math.min(edit, edit(way[0], way[1]));
            }
            long batch = batch(way[0], way[1]);
            log.info("dns lab: at {} ms each way, an edit on {} reached {} in {} ms, a batch of {} files in {} ms",
                    DELAY.toMillis(), way[0].node(), way[1].node(), edit, BATCH_FILES, batch);
            assertTrue(batch < edit + 5_000, "a batch of " + BATCH_FILES + " files took " + batch + " ms, one edit "
                    + edit + " ms: the round trip (" + DELAY.multipliedBy(2).toMillis() + " ms) is paid per file?"
                    + logs());
        }
        assertEquals(Files.readString(work.resolve("lb1/site/page.html")), Files.readString(work.resolve("lb2/site/page.html")));
        // The mirror's connection went through a forwarder (the nodes' own flows are delayed, not some other way).
        String relayed = Files.readString(work.resolve("delay-lb1.log")) + Files.readString(work.resolve("delay-lb2.log"));
        assertTrue(relayed.contains(":" + PORT + ", delayed"), "a forwarder relayed the mirror's connection: " + relayed);
    }

    /** One file edited on {@code from} (a temporary file renamed in): the ms until {@code to}'s disk holds it. */
    private long edit(Region from, Region to) throws Exception {
        String text = "edited on " + from.node() + " " + System.nanoTime() + "\n";
        Path site = work.resolve(from.node()).resolve("site");
        Path tmp = site.resolve(".page.html.swp");
        Files.writeString(tmp, text);
        long t0 = System.nanoTime();
        Files.move(tmp, site.resolve("page.html"), StandardCopyOption.ATOMIC_MOVE);
        Path there = work.resolve(to.node()).resolve("site/page.html");
        try {
            await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20))
                    .until(() -> Files.exists(there) && Files.readString(there).equals(text));
        } catch (AssertionError e) {
            throw new AssertionError("the edit on " + from.node() + " never reached " + to.node() + logs(), e);
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    /**
     * {@link #BATCH_FILES} files of 2 KiB written beside the site and moved in at once as a new directory: the ms
     * until {@code to}'s disk holds every one of them.
     */
    private long batch(Region from, Region to) throws Exception {
        String name = "batch-" + from.node() + "-" + System.nanoTime();
        Path staging = Files.createDirectories(work.resolve(from.node()).resolve(name));
        String filler = "x".repeat(2048 - 40);
        for (int i = 0; i < BATCH_FILES; i++) {
            Files.writeString(staging.resolve("f" + i + ".html"), name + " " + i + "\n" + filler);
        }
        long t0 = System.nanoTime();
        Files.move(staging, work.resolve(from.node()).resolve("site").resolve(name), StandardCopyOption.ATOMIC_MOVE);
        Path there = work.resolve(to.node()).resolve("site").resolve(name);
        try {
            await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20)).until(() -> {
                for (int i = 0; i < BATCH_FILES; i++) {
                    Path f = there.resolve("f" + i + ".html");
                    if (!Files.exists(f) || Files.size(f) != name.length() + 1 + String.valueOf(i).length() + 1
                            + filler.length()) {
                        return false;
                    }
                }
                return true;
            });
        } catch (AssertionError e) {
            throw new AssertionError("the batch on " + from.node() + " never reached " + to.node() + logs(), e);
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    /**
     * The witnesses split 1:1: region b's router drops what lb2 sends to the TCP witness, then lb1's region is
     * cut off. lb2 has lost lb1 and reaches one witness of two, no majority: the record stays with lb1. When the
     * witness answers lb2 again (lb1 still cut off) the record moves, so what held it was the split alone.
     */
    @Test
    @Order(6)
    void theRecordStaysWhenTheWitnessesSplitOneToOne() throws Exception {
        cut(b, TCP_WITNESS, true);
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .until(() -> testLog("lb2").contains("witnesses answering: 1 of 2 (no answer: [tcp:" + TCP_WITNESS));
        link(a, false);
        await().atMost(30, TimeUnit.SECONDS).until(() -> testLog("lb2").contains("dns: no witness majority"));
        List<Set<String>> split = watch(LOST_AFTER.multipliedBy(8));
        assertTrue(!split.isEmpty() && split.stream().allMatch(a.record()::equals),
                "the record held lb1 throughout the split: " + split + logs());
        assertTrue(!testLog("lb2").contains("dns: " + WWW + ": adding"), "lb2 sent no update" + logs());
        cut(b, TCP_WITNESS, false);
        long ms = awaitRecord(b, "the TCP witness back, lb1 still cut off");
        log.info("dns lab: the TCP witness answering lb2 again, the record held lb2 {} ms later", ms);
        assertTrue(testLog("lb2").contains("lb1 down (not heard, witnesses confirm)"), logs());
    }
}
