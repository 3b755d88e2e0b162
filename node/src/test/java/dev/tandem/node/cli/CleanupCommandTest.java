package dev.tandem.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.vip.CommandRunner;
import dev.tandem.cluster.vip.Held;
import dev.tandem.cluster.vip.HeldAddresses;
import dev.tandem.cluster.vip.HostCleanup;
import dev.tandem.node.wiring.TestNodes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tandem cleanup} against a pretend host: what the record lists and what the config's VIPs would
 * leave go; a second run finds nothing; a failure is said, with exit 1; a running node is left alone.
 */
class CleanupCommandTest {

    @TempDir
    Path dir;

    private final Set<String> addresses = new HashSet<>();
    private final Set<String> tables = new HashSet<>();
    private final List<String> ran = new ArrayList<>();
    private boolean refuse;

    private final CommandRunner host = new CommandRunner() {
        @Override
        public Result run(List<String> cmd, Map<String, String> env, Duration timeout) {
            String line = String.join(" ", cmd);
            ran.add(line);
            if (line.startsWith("ip -o addr show dev ")) {
                StringBuilder out = new StringBuilder();
                addresses.stream().filter(a -> a.endsWith(" " + cmd.get(5))).forEach(a ->
                        out.append("2: ").append(cmd.get(5)).append("    inet ").append(a.split(" ")[0]).append("\n"));
                return new Result(0, out.toString());
            }
            if (line.startsWith("ip addr del ")) {
                if (!refuse) {
                    addresses.remove(cmd.get(3) + " " + cmd.get(5));
                }
                return new Result(refuse ? 2 : 0, refuse ? "RTNETLINK answers: Operation not permitted" : "");
            }
            if (line.equals("nft list tables")) {
                return new Result(0, String.join("\n", tables));
            }
            if (line.startsWith("nft delete table ")) {
                tables.remove("table " + cmd.get(3) + " " + cmd.get(4));
                return new Result(0, "");
            }
            return new Result(127, "unexpected: " + line);
        }

        @Override
        public Process start(List<String> command) {
            throw new UnsupportedOperationException();
        }
    };

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int cleanup(Path config, String node) throws Exception {
        return new CleanupCommand(new HostCleanup(host, Optional::of), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).clean(config, node);
    }

    private Path config(Path stateDir) throws Exception {
        Path key = dir.resolve("cluster.key");
        Files.write(key, new byte[32]);
        return Files.writeString(dir.resolve("tandem.yaml"), TestNodes.config("- { address: \"127.0.0.1:9\" }", """
                cluster:
                  nodes: {a: 127.0.0.51, b: 127.0.0.52}
                  secret_file: cluster.key
                  state_dir: %s
                  vips:
                    - {address: 203.0.113.10/24, interface: eth0}
                """.formatted(stateDir)));
    }

    @Test
    void removesWhatTheRecordAndTheConfigListAndASecondRunFindsNothing() throws Exception {
        Path state = dir.resolve("state");
        // Left by a killed run: a VIP of the config (and its handover table), and one the config no longer has.
        Files.createDirectories(state);
        Files.writeString(HeldAddresses.file(state, "a"),
                HeldAddresses.format("a", List.of(new Held.Address("198.51.100.7/24", "eth1"))));
        HeldAddresses record = HeldAddresses.open(state, "a");
        addresses.addAll(List.of("203.0.113.10/24 eth0", "198.51.100.7/24 eth1", "10.0.0.1/24 eth0"));
        tables.addAll(List.of("table ip tandem_203_0_113_10", "table inet other"));

        assertEquals(0, cleanup(config(state), "a"), err.toString());
        assertEquals(Set.of("10.0.0.1/24 eth0"), addresses);
        assertEquals(Set.of("table inet other"), tables);
        assertTrue(out.toString().contains("removed address 198.51.100.7/24 eth1"), out.toString());
        assertTrue(out.toString().contains("removed table ip tandem_203_0_113_10"), out.toString());
        assertFalse(Files.exists(record.file()), "the record is emptied");

        out.reset();
        ran.clear();
        assertEquals(0, cleanup(config(state), "a"), err.toString());
        assertFalse(out.toString().contains("removed"), out.toString());
        assertTrue(ran.stream().noneMatch(l -> l.contains(" del")), ran.toString());
    }

    @Test
    void whatCannotBeRemovedIsSaidAndStaysRecorded() throws Exception {
        Path state = dir.resolve("state");
        addresses.add("203.0.113.10/24 eth0");
        refuse = true;
        assertEquals(Main.INVALID, cleanup(config(state), "a"));
        assertTrue(err.toString().contains("cannot remove address 203.0.113.10/24 eth0: ip addr del"), err.toString());
        assertTrue(err.toString().contains("1 thing(s) left"), err.toString());
    }

    @Test
    void aConfigThatDoesNotValidateStillLeavesTheRecords() throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.yaml"), "listeners: [\n");
        // the records of the default state dir are this machine's: name a node that has none
        assertEquals(0, cleanup(broken, "no-such-node-here"), err.toString());
        assertTrue(err.toString().contains("does not validate"), err.toString());
    }

    @Test
    void aRunningNodeIsLeftAlone() throws Exception {
        Path state = dir.resolve("state");
        HeldAddresses running = HeldAddresses.open(state, "a");
        running.add(new Held.Address("203.0.113.10/24", "eth0"));
        addresses.add("203.0.113.10/24 eth0");
        assertEquals(Main.INVALID, cleanup(config(state), "a"));
        assertTrue(err.toString().contains("node a is running"), err.toString());
        assertEquals(Set.of("203.0.113.10/24 eth0"), addresses);
    }
}
