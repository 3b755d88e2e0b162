package dev.tandem.cluster.vip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.VipConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands the driver runs, and how it reads their answers, with a scripted command runner. */
class IpCommandDriverTest {

    /** Stands in for /proc: sys/net/... for the interfaces' settings, net/tcp and net/tcp6 for the connections. */
    @TempDir
    Path proc;

    private final List<String> ran = Collections.synchronizedList(new ArrayList<>());

    private final List<Process> started = Collections.synchronizedList(new ArrayList<>());

    /** Answers {@code run} from {@code answers}; {@code start} runs a harmless stand-in that exits as arping would. */
    private IpCommandDriver driver(Function<String, CommandRunner.Result> answers) {
        return driver(answers, true);
    }

    private IpCommandDriver driver(Function<String, CommandRunner.Result> answers, boolean nftInstalled) {
        return new IpCommandDriver(new CommandRunner() {
            @Override
            public Result run(List<String> cmd, java.util.Map<String, String> env, java.time.Duration timeout)
                    throws IOException {
                String line = String.join(" ", cmd);
                ran.add(line);
                Result r = answers.apply(line);
                if (r.exit() == TIMED_OUT) {
                    throw new IOException(line + ": no answer within " + timeout.toMillis() + "ms (killed)");
                }
                return r;
            }

            @Override
            public Process start(List<String> cmd) throws IOException {
                String line = String.join(" ", cmd);
                ran.add(line);
                int exit = answers.apply(line).exit();
                Process p = new ProcessBuilder("sh", "-c", "sleep 2; exit " + exit).start();
                if (exit > 1) {
                    // fails at once: ended before the driver looks (a fork on a busy host can take longer than
                    // the driver's look, and a real failure that slow is reported by its exit later)
                    p.destroy();
                    p = new ProcessBuilder("sh", "-c", "exit " + exit).start();
                    try {
                        p.waitFor();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                started.add(p);
                return p;
            }
        }, proc, tool -> nftInstalled || !tool.equals("nft") ? Optional.of(tool) : Optional.empty());
    }

    /** An answer's exit status that stands for a command the runner killed at its timeout. */
    private static final int TIMED_OUT = -2;

    private List<String> nftRuns() {
        return ran.stream().filter(l -> l.startsWith("nft ")).toList();
    }

    @org.junit.jupiter.api.AfterEach
    void endStandIns() {
        started.forEach(Process::destroyForcibly);
    }

    private static final VipConfig V4 = new VipConfig("203.0.113.10", 24, "eth0", List.of("a"));
    private static final VipConfig V6 = new VipConfig("2001:db8::10", 64, "eth0", List.of("a"));
    private static final String SHOW = """
            2: eth0    inet 10.0.0.11/24 brd 10.0.0.255 scope global eth0\\       valid_lft forever preferred_lft forever
            2: eth0    inet 203.0.113.10/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever
            2: eth0    inet6 2001:db8:0:0::10/64 scope global nodad \\       valid_lft forever preferred_lft forever
            """;

    @Test
    void addsRemovesAndAnnouncesAnIpv4Address() throws IOException {
        Path knob = proc.resolve("sys/net/ipv4/conf/eth0/arp_announce");
        Files.createDirectories(knob.getParent());
        Files.writeString(knob, "0\n");
        IpCommandDriver d = driver(line -> new CommandRunner.Result(line.startsWith("arping") ? 1 : 0, ""));
        d.add(V4);
        d.remove(V4);
        d.announce(V4);
        assertEquals("ip addr add 203.0.113.10/24 dev eth0", ran.get(0));
        assertEquals("2\n", Files.readString(knob), "the kernel's ARP requests never carry the VIP");
        assertEquals("ip addr del 203.0.113.10/24 dev eth0", ran.get(1));
        assertTrue(ran.contains("arping -q -U -c 1 -I eth0 203.0.113.10"), ran.toString());
        assertTrue(ran.contains("arping -q -A -c 1 -I eth0 203.0.113.10"), ran.toString());
        assertTrue(ran.stream().noneMatch(c -> c.startsWith("arping") && !c.contains(" -c 1 ")),
                "one gratuitous ARP of each kind per announce: a round left to arping (-c 3) went on while the node "
                        + "was stopped, and drew its clients back from the peer that took over: " + ran);
    }

    /** A takeover helper that stands in for the real one: it notes what it is asked and answers {@code answer}. */
    private TakeoverHelper helper(String answer) {
        Path asked = proc.resolve("helper-asked");
        return new TakeoverHelper(() -> {
            Process p = new ProcessBuilder("sh", "-c", "echo ready; "
                    + "while read id rest; do echo \"$rest\" >> '" + asked + "'; echo \"$id " + answer + "\"; done").start();
            started.add(p);
            return p;
        }, java.time.Duration.ofSeconds(10));
    }

    private List<String> helperAsked() throws IOException {
        Path asked = proc.resolve("helper-asked");
        return Files.exists(asked) ? Files.readAllLines(asked) : List.of();
    }

    private IpCommandDriver helped(TakeoverHelper helper) {
        return helped(helper, line -> {
        });
    }

    /** {@code whileRunning} sees each command {@code run} runs, as it runs. */
    private IpCommandDriver helped(TakeoverHelper helper, java.util.function.Consumer<String> whileRunning) {
        IpCommandDriver d = new IpCommandDriver(new CommandRunner() {
            @Override
            public Result run(List<String> cmd, java.util.Map<String, String> env, java.time.Duration timeout) {
                ran.add(String.join(" ", cmd));
                whileRunning.accept(String.join(" ", cmd));
                return new Result(0, "");
            }

            @Override
            public Process start(List<String> cmd) throws IOException {
                ran.add(String.join(" ", cmd));
                Process p = new ProcessBuilder("sh", "-c", "sleep 2; exit 1").start();
                started.add(p);
                return p;
            }
        }, proc, Optional::of, helper);
        d.prepare(V4);
        org.awaitility.Awaitility.await().atMost(10, java.util.concurrent.TimeUnit.SECONDS).until(helper::running);
        return d;
    }

    @Test
    void withTheTakeoverHelperAnIpv4TakeoverStartsNoProcessBeforeTheFirstGratuitousArp() throws IOException {
        IpCommandDriver d = helped(helper("ok"));
        d.add(V4);
        assertEquals(List.of(), ran, "no ip started: the helper added the address");
        assertEquals(List.of("takeover 203.0.113.10 24 eth0"), helperAsked(),
                "added and announced in one round trip");
        d.announce(V4);
        assertEquals(List.of("takeover 203.0.113.10 24 eth0"), helperAsked(), "not announced twice");
        // arping's announcements follow as before, after the first announcement went out
        assertTrue(ran.contains("arping -q -U -c 1 -I eth0 203.0.113.10"), ran.toString());
        assertTrue(ran.contains("arping -q -A -c 1 -I eth0 203.0.113.10"), ran.toString());
        d.stopAnnouncing(V4);
        // a later announcement (a claim, a refresh) starts with the helper's ARP again
        d.announce(V4);
        assertEquals(List.of("takeover 203.0.113.10 24 eth0", "garp 203.0.113.10 eth0"), helperAsked());
        d.stopAnnouncing(V4);
    }

    /**
     * {@code arp_announce} is set when the node gets ready, before any takeover, and a takeover's first gratuitous
     * ARP (the helper's) waits for no read or write of procfs: the setting is looked at again only after it.
     */
    @Test
    void arpAnnounceIsSetAtStartAndLookedAtAgainOnlyAfterTheTakeoversFirstGratuitousArp() throws IOException {
        Path knob = proc.resolve("sys/net/ipv4/conf/eth0/arp_announce");
        Files.createDirectories(knob.getParent());
        Files.writeString(knob, "0\n");
        Path asked = proc.resolve("helper-asked");
        TakeoverHelper h = new TakeoverHelper(() -> {
            Process p = new ProcessBuilder("sh", "-c", "echo ready; while read id rest; do "
                    + "echo \"$rest arp_announce=$(cat '" + knob + "')\" >> '" + asked + "'; echo \"$id ok\"; done")
                    .start();
            started.add(p);
            return p;
        }, java.time.Duration.ofSeconds(10));
        IpCommandDriver d = helped(h);
        assertEquals("2\n", Files.readString(knob), "set when the node got ready");
        Files.writeString(knob, "0\n"); // an operator's sysctl run since
        d.add(V4);
        assertEquals(List.of("takeover 203.0.113.10 24 eth0 arp_announce=0"), helperAsked(),
                "the first gratuitous ARP went out before the setting was looked at");
        assertEquals("2\n", Files.readString(knob), "and set again after it");
    }

    /**
     * Held again while the drain of a handover went on (the table that keeps ARP unanswered is deleted first, an
     * nft run), and this node stepped aside again during that run: the address is added, not announced.
     */
    @Test
    void anAddWhoseAnnouncementsWereStoppedMeanwhileSendsNoGratuitousArp() throws IOException {
        var duringNft = new java.util.concurrent.atomic.AtomicReference<Runnable>();
        IpCommandDriver d = helped(helper("ok"), line -> {
            Runnable r = line.startsWith("nft ") ? duringNft.getAndSet(null) : null;
            if (r != null) {
                r.run();
            }
        });
        d.withdraw(V4);
        duringNft.set(() -> d.stopAnnouncing(V4));
        d.add(V4);
        assertEquals(List.of("add 203.0.113.10 24 eth0"), helperAsked(), "added without a gratuitous ARP");
        d.add(V4);
        assertEquals(List.of("add 203.0.113.10 24 eth0", "takeover 203.0.113.10 24 eth0"), helperAsked(),
                "a later takeover announces as ever");
    }

    @Test
    void anAddressTheHelperAddedButCouldNotAnnounceIsAnnouncedByTheRound() throws IOException {
        IpCommandDriver d = helped(helper("added no ARP on this interface"));
        d.add(V4);
        assertEquals(List.of(), ran, "added: no ip started");
        d.announce(V4);
        assertEquals(List.of("takeover 203.0.113.10 24 eth0", "garp 203.0.113.10 eth0"), helperAsked());
        assertTrue(ran.contains("arping -q -U -c 1 -I eth0 203.0.113.10"), ran.toString());
        d.stopAnnouncing(V4);
    }

    @Test
    void whatTheTakeoverHelperCannotDoIsDoneTheSlowWay() throws IOException {
        IpCommandDriver d = helped(helper("error no interface with this name"));
        d.add(V4);
        assertEquals(List.of("takeover 203.0.113.10 24 eth0"), helperAsked());
        assertEquals("ip addr add 203.0.113.10/24 dev eth0", ran.get(0));
        d.announce(V4);
        assertTrue(ran.contains("arping -q -U -c 1 -I eth0 203.0.113.10"), ran.toString());
        d.stopAnnouncing(V4);
    }

    @Test
    void ipv6AndStrangeInterfaceNamesNeverGoToTheTakeoverHelper() throws IOException {
        IpCommandDriver d = helped(helper("ok"));
        d.add(V6);
        VipConfig odd = new VipConfig("203.0.113.10", 24, "eth0 garp", List.of("a"));
        d.add(odd);
        assertEquals(List.of(), helperAsked());
        assertEquals(List.of("ip -6 addr add 2001:db8::10/64 dev eth0 nodad", "ip addr add 203.0.113.10/24 dev eth0 garp"),
                ran);
    }

    @Test
    void ipv6IsAddedWithoutDadAndAnnouncedWithUnsolicitedNeighbourAdvertisements() throws Exception {
        IpCommandDriver d = driver(line -> new CommandRunner.Result(0, ""));
        d.add(V6);
        assertEquals(List.of("ip -6 addr add 2001:db8::10/64 dev eth0 nodad"), ran);
        d.announce(V6);
        assertEquals(2, ran.size(), ran.toString());
        assertEquals("python3 -c " + IpCommandDriver.UNSOLICITED_NA + " 2001:db8::10 eth0 1", ran.get(1),
                "one advertisement: the controller spaces out the round, so that a node that stops sends no more");
        assertEquals(1, started.size());
        assertTrue(started.get(0).isAlive(), "a process still ending (a stand-in here) is left to end, or ended by stopAnnouncing");
        d.stopAnnouncing(V6);
        org.awaitility.Awaitility.await().atMost(2, java.util.concurrent.TimeUnit.SECONDS)
                .until(() -> !started.get(0).isAlive());
        // a new round after the first one ended (a peer claimed the VIP, the link came back)
        d.announce(V6);
        assertEquals(2, started.size());
        d.remove(V6);
        org.awaitility.Awaitility.await().atMost(2, java.util.concurrent.TimeUnit.SECONDS)
                .until(() -> !started.get(1).isAlive());
    }

    @Test
    void anIpv6AnnouncementThatFailsAtOnceIsReportedByItsName() {
        IpCommandDriver d = driver(line -> new CommandRunner.Result(line.startsWith("python3") ? 2 : 0, ""));
        IOException e = assertThrows(IOException.class, () -> d.announce(V6));
        assertTrue(e.getMessage().startsWith("python3 -c unsolicited-na.py 2001:db8::10 eth0 1: exit 2"), e.getMessage());
    }

    @Test
    void theAdvertisementProgramFailsWithExitTwoOnAnInterfaceThatIsNotThere() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(IpCommandDriver.onPath("python3").isPresent(), "no python3");
        Process p = new ProcessBuilder(List.of("python3", "-c", IpCommandDriver.UNSOLICITED_NA, "2001:db8::10",
                "tandemnone0", "1")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("unsolicited neighbour advertisement for 2001:db8::10 tandemnone0"), out);
    }

    @Test
    void readsTheAddressesOfTheInterface() throws IOException {
        IpCommandDriver d = driver(line -> new CommandRunner.Result(0, SHOW));
        assertTrue(d.present(V4));
        assertTrue(d.present(V6), "compared as addresses, not as text");
        assertFalse(d.present(new VipConfig("203.0.113.1", 24, "eth0", List.of())));
        assertFalse(d.present(new VipConfig("10.0.0.1", 24, "eth0", List.of())));
        assertEquals("ip -o addr show dev eth0", ran.get(0));
    }

    @Test
    void addingAnAddressThatIsThereAndRemovingOneThatIsNotSucceed() throws IOException {
        IpCommandDriver d = driver(line -> line.contains(" show ") || line.startsWith("nft ")
                ? new CommandRunner.Result(0, SHOW) : new CommandRunner.Result(2, "Error: ipv4: Address already assigned."));
        d.add(V4);
        d.remove(new VipConfig("203.0.113.99", 24, "eth0", List.of()));
    }

    @Test
    void realFailuresAreReported() {
        IpCommandDriver d = driver(line -> line.contains(" show ") ? new CommandRunner.Result(0, "")
                : new CommandRunner.Result(2, "Cannot find device eth9"));
        IOException e = assertThrows(IOException.class, () -> d.add(V4));
        assertTrue(e.getMessage().contains("exit 2"), e.getMessage());
        IpCommandDriver arpFails = driver(line -> new CommandRunner.Result(2, "arping: interface eth0 is down"));
        assertThrows(IOException.class, () -> arpFails.announce(V4));
    }

    @Test
    void anArpingStillRunningIsEndedWithTheAddress() throws IOException {
        IpCommandDriver d = driver(line -> new CommandRunner.Result(line.startsWith("arping") ? 1 : 0, ""));
        long before = System.nanoTime();
        d.announce(V4);
        assertTrue(System.nanoTime() - before < 1_000_000_000L, "returns once its arpings are started (each waits a second for a reply that never comes)");
        assertEquals(2, started.size());
        assertTrue(started.stream().allMatch(Process::isAlive));
        d.remove(V4);
        for (Process p : started) {
            org.awaitility.Awaitility.await().atMost(2, java.util.concurrent.TimeUnit.SECONDS).until(() -> !p.isAlive());
        }
    }

    @Test
    void anAnnouncementStoppedWhileItsFirstArpingStartsEndsThatArpingAndStartsNoOther() throws Exception {
        java.util.concurrent.CountDownLatch starting = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch goOn = new java.util.concurrent.CountDownLatch(1);
        IpCommandDriver d = new IpCommandDriver(new CommandRunner() {
            @Override
            public Result run(List<String> cmd, java.util.Map<String, String> env, java.time.Duration timeout) {
                return new Result(0, "");
            }

            @Override
            public Process start(List<String> cmd) throws IOException {
                ran.add(String.join(" ", cmd));
                starting.countDown();
                try {
                    goOn.await(5, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                Process p = new ProcessBuilder("sh", "-c", "sleep 5").start();
                started.add(p);
                return p;
            }
        }, proc, tool -> Optional.of(tool));
        Thread announcing = new Thread(() -> {
            try {
                d.announce(V4);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        announcing.start();
        assertTrue(starting.await(5, java.util.concurrent.TimeUnit.SECONDS));
        d.stopAnnouncing(V4); // the node steps aside while arping -U is being started
        goOn.countDown();
        announcing.join(5000);
        assertEquals(1, started.size(), "no arping -A once the round is stopped: " + ran);
        org.awaitility.Awaitility.await().atMost(2, java.util.concurrent.TimeUnit.SECONDS)
                .until(() -> !started.get(0).isAlive());
    }

    @Test
    void anAnnouncementStoppedByThisNodeIsNotReportedAsFailed() throws Exception {
        java.util.concurrent.CountDownLatch firstStarted = new java.util.concurrent.CountDownLatch(1);
        IpCommandDriver d = new IpCommandDriver(new CommandRunner() {
            @Override
            public Result run(List<String> cmd, java.util.Map<String, String> env, java.time.Duration timeout) {
                return new Result(0, "");
            }

            @Override
            public Process start(List<String> cmd) throws IOException {
                Process p = new ProcessBuilder("sh", "-c", "sleep 5").start();
                started.add(p);
                firstStarted.countDown();
                return p;
            }
        }, proc, tool -> Optional.of(tool));
        java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
        Thread announcing = new Thread(() -> {
            try {
                d.announce(V4);
            } catch (IOException e) {
                failed.set(e);
            }
        });
        announcing.start();
        assertTrue(firstStarted.await(5, java.util.concurrent.TimeUnit.SECONDS));
        d.stopAnnouncing(V4); // the node steps aside: its arping ends with SIGTERM (exit 143)
        org.awaitility.Awaitility.await().atMost(2, java.util.concurrent.TimeUnit.SECONDS)
                .until(() -> !started.get(0).isAlive());
        announcing.join(5000);
        assertEquals(null, failed.get(), "a round this node stopped is not a failed announcement");
    }

    private static final String ARP_TABLE = "table arp tandem_203_0_113_10\ndelete table arp tandem_203_0_113_10";
    private static final String IP_TABLE = "table ip tandem_203_0_113_10\ndelete table ip tandem_203_0_113_10";

    @Test
    void aWithdrawnAddressIsNoLongerAnsweredForUntilItIsAddedAgain() throws IOException {
        IpCommandDriver d = driver(line -> new CommandRunner.Result(0, ""));
        d.withdraw(V4);
        assertEquals(List.of("nft " + ARP_TABLE + """

                table arp tandem_203_0_113_10 {
                  chain quiet {
                    type filter hook input priority filter; policy accept;
                    arp operation request arp daddr ip 203.0.113.10 drop
                  }
                }"""), ran, "one transaction: the old table (if any) goes, the new one comes");
        ran.clear();
        d.add(V4);
        assertEquals(List.of("nft " + ARP_TABLE, "ip addr add 203.0.113.10/24 dev eth0"), ran,
                "held again: answered for again before the address is (re)added");
        ran.clear();
        d.add(V4);
        assertEquals(List.of("ip addr add 203.0.113.10/24 dev eth0"), ran, "nothing to undo any more");
    }

    @Test
    void theNewHolderPassesSegmentsOfConnectionsItDoesNotOwnToTheOldHolder() throws IOException {
        IpCommandDriver d = driver(line -> new CommandRunner.Result(0, ""));
        d.forward(V4, java.net.InetAddress.getByName("10.0.0.11"));
        assertEquals(List.of(FORWARD_SET, FORWARD_RULES), ran);
    }

    /** The set and what fills it (nothing passed on yet). */
    private static final String FORWARD_SET = "nft " + IP_TABLE + """

            table ip tandem_203_0_113_10 {
              set owned { type ipv4_addr . inet_service . inet_service; flags dynamic; size 1048576; }
              chain strays {
                type filter hook prerouting priority raw; policy accept;
                iifname "eth0" ip daddr 203.0.113.10 tcp flags & (syn | ack) == syn add @owned { ip saddr . tcp sport . tcp dport } accept
              }
              chain own {
                type filter hook output priority raw; policy accept;
                ip saddr 203.0.113.10 tcp flags & (syn | ack) == syn add @owned { ip daddr . tcp dport . tcp sport }
              }
            }""";
    /** Then the passing on. */
    private static final String FORWARD_RULES = """
            nft add rule ip tandem_203_0_113_10 strays iifname "eth0" ip daddr 203.0.113.10 ip saddr . tcp sport . tcp dport @owned accept
            add rule ip tandem_203_0_113_10 strays iifname "eth0" ip daddr 203.0.113.10 meta l4proto tcp ip ttl != 1 counter ip ttl set 1 dup to 10.0.0.11 device "eth0" drop""";

    @Test
    void aNodeTakingBackAVipItStillHasKeepsItsOwnConnectionsAndPassesOnOnlyTheRest() throws IOException {
        Files.createDirectories(proc.resolve("net"));
        boolean little = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;
        // 203.0.113.10 is CB 00 71 0A; /proc prints each 32-bit word of an address as the host reads it
        String vip = little ? "0A7100CB" : "CB00710A";
        String client = little ? "640000C6" : "C6000064"; // 198.0.0.100
        Files.writeString(proc.resolve("net/tcp"), String.join("\n",
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
                "   0: " + vip + ":0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1",
                "   1: " + vip + ":0050 " + client + ":A1B2 01 00000000:00000000 00:00000000 00000000     0        0 2",
                "   2: " + vip + ":0050 " + client + ":A1B3 08 00000000:00000000 00:00000000 00000000     0        0 4",
                "   3: " + vip + ":0050 " + client + ":A1B4 06 00000000:00000000 00:00000000 00000000     0        0 0",
                "   4: 0100007F:1F40 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 3", ""));
        String mapped = little ? "0000000000000000FFFF0000" : "00000000000000000000FFFF";
        Files.writeString(proc.resolve("net/tcp6"), String.join("\n",
                "  sl  local_address                         remote_address                        st tx_queue",
                "   0: " + mapped + vip + ":0050 " + mapped + client + ":B000 01 00000000:00000000",
                "   1: 00000000000000000000000000000001:0050 00000000000000000000000000000001:B001 01 00000000:00000000",
                ""));
        IpCommandDriver d = driver(line -> new CommandRunner.Result(0, ""));
        assertEquals(List.of("198.0.0.100 . 41394 . 80", "198.0.0.100 . 41395 . 80", "198.0.0.100 . 45056 . 80"),
                d.connections("203.0.113.10"), "connected (not listening, not in TIME_WAIT), IPv4 and IPv4-mapped, nothing else");

        d.forward(V4, java.net.InetAddress.getByName("10.0.0.11"));
        assertEquals(List.of(FORWARD_SET,
                "nft add element ip tandem_203_0_113_10 owned { 198.0.0.100 . 41394 . 80, 198.0.0.100 . 41395 . 80, "
                        + "198.0.0.100 . 45056 . 80 }",
                FORWARD_RULES), ran, "its own connections are in the set before anything is passed on");
    }

    @Test
    void endingTheForwardingSaysHowManySegmentsWentOnAndDeletesTheTable() throws IOException {
        IpCommandDriver d = driver(line -> line.startsWith("nft list")
                ? new CommandRunner.Result(0, "table ip tandem_203_0_113_10 {\n chain strays {\n ... meta l4proto tcp ip "
                        + "ttl != 1 counter packets 7 bytes 420 ip ttl set 1 dup to 10.0.0.11 device \"eth0\" drop\n}\n}")
                : new CommandRunner.Result(0, ""));
        assertEquals(7, d.stopForwarding(V4));
        assertEquals(List.of("nft list chain ip tandem_203_0_113_10 strays", "nft " + IP_TABLE), ran,
                "the chain is listed, not the table with its set of every connection");
    }

    @Test
    void theForwardingEndsEvenWhenTheCountCannotBeRead() throws IOException {
        IpCommandDriver d = driver(line -> new CommandRunner.Result(line.startsWith("nft list") ? TIMED_OUT : 0, ""));
        assertEquals(-1, d.stopForwarding(V4));
        assertEquals(List.of("nft list chain ip tandem_203_0_113_10 strays", "nft " + IP_TABLE), ran);
    }

    @Test
    void removingTheAddressRemovesEveryRuleOfAHandover() throws IOException {
        IpCommandDriver d = driver(line -> new CommandRunner.Result(0, ""));
        d.remove(V4);
        assertEquals(List.of("ip addr del 203.0.113.10/24 dev eth0", "nft " + IP_TABLE + "\n" + ARP_TABLE), ran);
        ran.clear();
        d.removeRules(V4);
        assertEquals(List.of("nft " + IP_TABLE + "\n" + ARP_TABLE), ran, "and so does a start after a crash");
    }

    @Test
    void withoutNftTheHandoverRulesFailAndNothingIsLeftToRemove() throws IOException {
        IpCommandDriver d = driver(line -> new CommandRunner.Result(0, ""), false);
        IOException e = assertThrows(IOException.class, () -> d.forward(V4, java.net.InetAddress.getByName("10.0.0.11")));
        assertTrue(e.getMessage().contains("install nftables"), e.getMessage());
        assertThrows(IOException.class, () -> d.withdraw(V4));
        d.remove(V4);
        d.removeRules(V4);
        assertEquals(-1, d.stopForwarding(V4));
        assertEquals(List.of(), nftRuns());
    }

    @Test
    void failuresOfNftAreReportedWithWhatItSaid() {
        IpCommandDriver d = driver(line -> line.startsWith("nft ") ? new CommandRunner.Result(1, "Error: syntax error")
                : new CommandRunner.Result(0, ""));
        IOException e = assertThrows(IOException.class, () -> d.withdraw(V4));
        assertTrue(e.getMessage().contains("exit 1: Error: syntax error"), e.getMessage());
        assertThrows(IOException.class, () -> d.remove(V4), "retried by the controller until the rules are gone");
    }

    @Test
    void ipv6VipsAreNeitherWithdrawnNorForwardedAndAStrangeInterfaceNameIsRefused() throws IOException {
        IpCommandDriver d = driver(line -> new CommandRunner.Result(0, ""));
        d.withdraw(V6);
        assertEquals(List.of(), nftRuns());
        assertThrows(IOException.class, () -> d.forward(V6, java.net.InetAddress.getByName("2001:db8::1")));
        assertThrows(IOException.class, () -> d.forward(V4, java.net.InetAddress.getByName("2001:db8::1")));
        VipConfig odd = new VipConfig("203.0.113.10", 24, "eth0\" drop", List.of("a"));
        assertThrows(IOException.class, () -> d.forward(odd, java.net.InetAddress.getByName("10.0.0.11")));
        assertEquals(List.of(), nftRuns());
    }

    @Test
    void theSystemRunnerKillsACommandThatHangs() {
        IOException e = assertThrows(IOException.class, () -> CommandRunner.system()
                .run(List.of("sleep", "5"), java.time.Duration.ofMillis(200)));
        assertTrue(e.getMessage().contains("no answer within 200ms"), e.getMessage());
    }

    @Test
    void theSystemRunnerTakesACommandThatPrintsMoreThanAPipeHolds() throws IOException {
        CommandRunner.Result r = CommandRunner.system()
                .run(List.of("sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x"), java.time.Duration.ofSeconds(5));
        assertTrue(r.ok());
        assertEquals(CommandRunner.MAX_OUTPUT, r.output().length(), "the first 64 KiB kept, the rest read, dropped");
    }
}
