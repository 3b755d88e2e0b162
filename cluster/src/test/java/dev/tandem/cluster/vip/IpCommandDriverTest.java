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
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands the driver runs, and how it reads their answers, with a scripted command runner. */
class IpCommandDriverTest {

    @TempDir
    Path procSys;

    private final List<String> ran = Collections.synchronizedList(new ArrayList<>());

    private final List<Process> started = Collections.synchronizedList(new ArrayList<>());

    /** Answers {@code run} from {@code answers}; {@code start} runs a harmless stand-in that exits as arping would. */
    private IpCommandDriver driver(Function<String, CommandRunner.Result> answers) {
        return new IpCommandDriver(new CommandRunner() {
            @Override
            public Result run(List<String> cmd, java.util.Map<String, String> env, java.time.Duration timeout) {
                String line = String.join(" ", cmd);
                ran.add(line);
                return answers.apply(line);
            }

            @Override
            public Process start(List<String> cmd) throws IOException {
                String line = String.join(" ", cmd);
                ran.add(line);
                int exit = answers.apply(line).exit();
                Process p = new ProcessBuilder("sh", "-c", "sleep 2; exit " + exit).start();
                if (exit > 1) {
                    p.destroy();
                    p = new ProcessBuilder("sh", "-c", "exit " + exit).start();
                }
                started.add(p);
                return p;
            }
        }, procSys);
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
        Path knob = procSys.resolve("net/ipv4/conf/eth0/arp_announce");
        Files.createDirectories(knob.getParent());
        Files.writeString(knob, "0\n");
        IpCommandDriver d = driver(line -> new CommandRunner.Result(line.startsWith("arping") ? 1 : 0, ""));
        d.add(V4);
        d.remove(V4);
        d.announce(V4);
        assertEquals("ip addr add 203.0.113.10/24 dev eth0", ran.get(0));
        assertEquals("2\n", Files.readString(knob), "the kernel's ARP requests never carry the VIP");
        assertEquals("ip addr del 203.0.113.10/24 dev eth0", ran.get(1));
        assertTrue(ran.contains("arping -q -U -c 3 -I eth0 203.0.113.10"), ran.toString());
        assertTrue(ran.contains("arping -q -A -c 3 -I eth0 203.0.113.10"), ran.toString());
    }

    @Test
    void ipv6IsAddedWithoutDadAfterTurningOnUnsolicitedNeighbourAdvertisements() throws IOException {
        Path knob = procSys.resolve("net/ipv6/conf/eth0/ndisc_notify");
        Files.createDirectories(knob.getParent());
        Files.writeString(knob, "0\n");
        IpCommandDriver d = driver(line -> new CommandRunner.Result(0, ""));
        d.add(V6);
        assertEquals(List.of("ip -6 addr add 2001:db8::10/64 dev eth0 nodad"), ran);
        assertEquals("1\n", Files.readString(knob));
        d.announce(V6);
        assertEquals(1, ran.size(), "the kernel announced it on add");
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
        IpCommandDriver d = driver(line -> line.contains(" show ") ? new CommandRunner.Result(0, SHOW)
                : new CommandRunner.Result(2, "Error: ipv4: Address already assigned."));
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
    void anAnnouncementRoundRunsInTheBackgroundAndEndsWithTheAddress() throws IOException {
        IpCommandDriver d = driver(line -> new CommandRunner.Result(line.startsWith("arping") ? 1 : 0, ""));
        long before = System.nanoTime();
        d.announce(V4);
        assertTrue(System.nanoTime() - before < 1_000_000_000L, "returns once the round is under way");
        assertEquals(2, started.size());
        assertTrue(started.stream().allMatch(Process::isAlive));
        d.remove(V4);
        for (Process p : started) {
            org.awaitility.Awaitility.await().atMost(2, java.util.concurrent.TimeUnit.SECONDS).until(() -> !p.isAlive());
        }
    }

    @Test
    void theSystemRunnerKillsACommandThatHangs() {
        IOException e = assertThrows(IOException.class, () -> CommandRunner.system()
                .run(List.of("sleep", "5"), java.time.Duration.ofMillis(200)));
        assertTrue(e.getMessage().contains("no answer within 200ms"), e.getMessage());
    }
}
