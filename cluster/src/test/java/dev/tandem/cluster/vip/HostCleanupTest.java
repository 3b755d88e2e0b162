package dev.tandem.cluster.vip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.VipConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The cleanup against a pretend host: it removes what is there, leaves the rest, and says what failed. */
class HostCleanupTest {

    private static final VipConfig VIP = new VipConfig("203.0.113.10", 24, "eth0", List.of("a"));
    private static final VipConfig GONE_IFACE = new VipConfig("203.0.113.11", 24, "eth9", List.of("a"));

    /** A host of addresses ("ADDR/PREFIX IF") and tables ("table FAMILY NAME"). */
    private final Set<String> addresses = new HashSet<>();
    private final Set<String> tables = new HashSet<>();
    private final List<String> ran = new ArrayList<>();
    private boolean refuseDeletes;

    private final CommandRunner host = new CommandRunner() {
        @Override
        public Result run(List<String> cmd, Map<String, String> env, Duration timeout) {
            String line = String.join(" ", cmd);
            ran.add(line);
            if (line.startsWith("ip -o addr show dev ")) {
                String dev = cmd.get(5);
                if (dev.equals("eth9")) {
                    return new Result(1, "Device \"eth9\" does not exist.");
                }
                StringBuilder out = new StringBuilder();
                addresses.stream().filter(a -> a.endsWith(" " + dev)).forEach(a ->
                        out.append("2: ").append(dev).append("    inet ").append(a.split(" ")[0]).append(" scope global\n"));
                return new Result(0, out.toString());
            }
            if (line.startsWith("ip addr del ")) {
                if (refuseDeletes) {
                    return new Result(2, "RTNETLINK answers: Operation not permitted");
                }
                addresses.remove(cmd.get(3) + " " + cmd.get(5));
                return new Result(0, "");
            }
            if (line.equals("nft list tables")) {
                return new Result(0, String.join("\n", tables));
            }
            if (line.startsWith("nft delete table ")) {
                if (refuseDeletes) {
                    return new Result(1, "Operation not permitted");
                }
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

    private final HostCleanup cleanup = new HostCleanup(host, tool -> Optional.of(tool));

    @Test
    void removesWhatIsThereAndIsIdempotent() {
        addresses.add("203.0.113.10/24 eth0");
        addresses.add("10.0.0.1/24 eth0");
        tables.add("table arp tandem_203_0_113_10");
        tables.add("table inet filter");
        List<Held> wanted = new ArrayList<>(HostCleanup.leftBy(List.of(VIP, GONE_IFACE)));
        wanted.add(Held.address(VIP));
        List<HostCleanup.Outcome> outcomes = cleanup.remove(wanted);
        assertEquals(6, outcomes.size(), outcomes.toString());
        assertTrue(outcomes.stream().allMatch(o -> o.problem().isEmpty()), outcomes.toString());
        assertEquals(2, outcomes.stream().filter(HostCleanup.Outcome::removed).count(), outcomes.toString());
        assertEquals(Set.of("10.0.0.1/24 eth0"), addresses);
        assertEquals(Set.of("table inet filter"), tables);

        ran.clear();
        outcomes = cleanup.remove(wanted);
        assertTrue(outcomes.stream().noneMatch(o -> o.removed() || o.problem().isPresent()), outcomes.toString());
        assertTrue(ran.stream().noneMatch(l -> l.contains(" del")), ran.toString());
    }

    @Test
    void whatCannotBeRemovedIsSaid() {
        addresses.add("203.0.113.10/24 eth0");
        tables.add("table ip tandem_203_0_113_10");
        refuseDeletes = true;
        List<HostCleanup.Outcome> outcomes = cleanup.remove(HostCleanup.leftBy(List.of(VIP)));
        List<String> problems = outcomes.stream().flatMap(o -> o.problem().stream()).toList();
        assertEquals(2, problems.size(), outcomes.toString());
        assertTrue(problems.get(0).contains("ip addr del 203.0.113.10/24 dev eth0: exit 2: RTNETLINK"), problems.get(0));
        assertTrue(problems.get(1).contains("nft delete table ip tandem_203_0_113_10"), problems.get(1));
    }

    @Test
    void withoutNftTablesAreNotLookedFor() {
        HostCleanup noNft = new HostCleanup(host, tool -> tool.equals("nft") ? Optional.empty() : Optional.of(tool));
        List<HostCleanup.Outcome> outcomes = noNft.remove(HostCleanup.leftBy(List.of(VIP)));
        assertTrue(outcomes.stream().noneMatch(o -> o.problem().isPresent()), outcomes.toString());
        assertTrue(ran.stream().noneMatch(l -> l.startsWith("nft")), ran.toString());
    }
}
