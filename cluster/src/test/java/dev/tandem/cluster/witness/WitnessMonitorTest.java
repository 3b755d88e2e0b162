package dev.tandem.cluster.witness;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.vip.CommandRunner;
import dev.tandem.conf.WitnessConfig;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WitnessMonitorTest {

    @Test
    void cutOffOnlyAfterTwoRoundsWithNoAnswerAndBackAfterOneWithAnAnswer() {
        Set<String> up = ConcurrentHashMap.newKeySet();
        up.add("w2");
        List<Boolean> changes = new CopyOnWriteArrayList<>();
        WitnessMonitor m = new WitnessMonitor(List.of(WitnessConfig.icmp("w1"), WitnessConfig.icmp("w2")),
                (w, t) -> up.contains(w.host()), Duration.ofSeconds(1), Duration.ofMillis(100), changes::add);
        try {
            m.round();
            assertTrue(m.reached(), "one of two answers");
            up.clear();
            m.round();
            assertTrue(m.reached(), "one silent round is not enough");
            m.round();
            assertFalse(m.reached());
            up.add("w1");
            m.round();
            assertTrue(m.reached());
            assertEquals(List.of(true, false, true), changes);
        } finally {
            m.close();
        }
    }

    @Test
    void theVerdictStartsPendingAndSilentRoundsAtStartNeverCountAsReached() {
        List<Boolean> changes = new CopyOnWriteArrayList<>();
        WitnessMonitor m = new WitnessMonitor(List.of(WitnessConfig.icmp("w1")), (w, t) -> false,
                Duration.ofSeconds(1), Duration.ofMillis(100), changes::add);
        try {
            assertEquals(WitnessVerdict.PENDING, m.verdict());
            assertFalse(m.reached(), "nothing is known before the first round");
            m.round();
            assertEquals(WitnessVerdict.PENDING, m.verdict(), "one silent round: still no verdict, and not reached");
            assertEquals(List.of(), changes);
            m.round();
            assertEquals(WitnessVerdict.CUT_OFF, m.verdict());
            assertEquals(List.of(false), changes);
        } finally {
            m.close();
        }
    }

    @Test
    void oneAnswerAtStartIsEnoughToReach() {
        List<Boolean> changes = new CopyOnWriteArrayList<>();
        WitnessMonitor m = new WitnessMonitor(List.of(WitnessConfig.icmp("w1")), (w, t) -> true,
                Duration.ofSeconds(1), Duration.ofMillis(100), changes::add);
        try {
            m.round();
            assertEquals(WitnessVerdict.REACHED, m.verdict());
            assertEquals(List.of(true), changes);
        } finally {
            m.close();
        }
    }

    @Test
    void withNoWitnessesTheNodeAlwaysCounts() {
        WitnessMonitor m = new WitnessMonitor(List.of(), (w, t) -> false, Duration.ofMillis(10), Duration.ofMillis(10),
                v -> { });
        m.start();
        assertTrue(m.reached());
        m.close();
    }

    @Test
    void tcpProbeCountsAnAnswerAndARefusalAsReachedAndSilenceAsNot() throws Exception {
        WitnessProbe probe = WitnessProbe.system(CommandRunner.system());
        try (ServerSocket listening = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            assertTrue(probe.reachable(WitnessConfig.tcp("127.0.0.1", listening.getLocalPort()), Duration.ofSeconds(1)));
        }
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            closed = s.getLocalPort();
        }
        assertTrue(probe.reachable(WitnessConfig.tcp("127.0.0.1", closed), Duration.ofSeconds(1)), "refused = reached");
        assertFalse(probe.reachable(WitnessConfig.tcp("no-such-host.invalid", 22), Duration.ofMillis(300)));
    }

    @Test
    void icmpProbeUsesPing() {
        List<String> ran = new CopyOnWriteArrayList<>();
        WitnessProbe probe = WitnessProbe.system(new CommandRunner() {
            @Override
            public Result run(List<String> cmd, java.util.Map<String, String> env, Duration timeout) {
                ran.add(String.join(" ", cmd));
                return new Result(cmd.get(cmd.size() - 1).equals("10.0.0.1") ? 0 : 1, "");
            }

            @Override
            public Process start(List<String> command) {
                throw new AssertionError("a witness probe starts nothing in the background");
            }
        });
        assertTrue(probe.reachable(WitnessConfig.icmp("10.0.0.1"), Duration.ofSeconds(1)));
        assertFalse(probe.reachable(WitnessConfig.icmp("10.0.0.2"), Duration.ofSeconds(1)));
        assertEquals("ping -n -q -c 1 -W 1 10.0.0.1", ran.get(0));
        await().atMost(1, TimeUnit.SECONDS).until(() -> ran.size() == 2);
    }
}
