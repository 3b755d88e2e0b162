package dev.tandem.conf;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The nodes sharing VIPs and mirrored files. The same file is used on every node.
 *
 * @param nodes      every node by name, in file order, with the address its peers reach it on
 * @param secretFile shared key authenticating (and encrypting) all cluster traffic
 * @param preemptDelay how long a node that comes back (start, health regained, witnesses reached again,
 *                   maintenance ended) waits before it takes a VIP from a less preferred node; zero = at once
 * @param witnesses  hosts a node must reach at least one of to take or keep a VIP
 * @param notifyScript a script called with {@code VIP STATE} on every transition
 * @param stateDir   where this node keeps what must outlive its process: its boot counter (replay protection)
 *                   and the record of the addresses and rules it put on the host (removed after a crash), and
 *                   the DNS record values Tandem added ({@code dns-NODE.added}: only these are ever removed)
 * @param announceRefresh how often a master announces each VIP it holds again, with nothing to prompt it
 *                   (keepalived's {@code garp_master_refresh}); zero = never
 * @param binds      the address a node binds when it differs from the one its peers dial (a node behind NAT:
 *                   {@code lb1: { address: 198.51.100.7, bind: 10.0.0.11 }}); nodes written in the short form
 *                   are absent
 * @param dns        the DNS records the nodes move between them, when configured
 */
public record ClusterConfig(
        Map<String, String> nodes,
        int port,
        Path secretFile,
        Duration advertInterval,
        boolean preempt,
        Duration preemptDelay,
        List<VipConfig> vips,
        List<WitnessConfig> witnesses,
        Optional<Path> notifyScript,
        Optional<MirrorConfig> mirror,
        Path stateDir,
        Duration announceRefresh,
        Map<String, String> binds,
        Optional<DnsConfig> dns) {

    public ClusterConfig {
        nodes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(nodes));
        vips = List.copyOf(vips);
        witnesses = List.copyOf(witnesses);
        java.util.Objects.requireNonNull(stateDir, "stateDir");
        java.util.Objects.requireNonNull(announceRefresh, "announceRefresh");
        binds = Map.copyOf(binds);
        java.util.Objects.requireNonNull(dns, "dns");
    }

    /** With every node binding the address its peers dial, and no DNS records. */
    public ClusterConfig(Map<String, String> nodes, int port, Path secretFile, Duration advertInterval, boolean preempt,
                         Duration preemptDelay, List<VipConfig> vips, List<WitnessConfig> witnesses,
                         Optional<Path> notifyScript, Optional<MirrorConfig> mirror, Path stateDir,
                         Duration announceRefresh) {
        this(nodes, port, secretFile, advertInterval, preempt, preemptDelay, vips, witnesses, notifyScript, mirror,
                stateDir, announceRefresh, Map.of(), Optional.empty());
    }

    /** The address {@code node} binds: its {@code bind}, or else the address its peers dial. */
    public String bind(String node) {
        String b = binds.get(node);
        return b != null ? b : nodes.get(node);
    }

    /**
     * Every address {@code node} may be seen from: the one its peers dial and the one it binds. Across NAT a
     * peer sees the dialled (public) address; in the same network, the bound (private) one.
     */
    public List<String> addressesOf(String node) {
        String dial = nodes.get(node);
        String b = binds.get(node);
        return b == null || b.equalsIgnoreCase(dial) ? List.of(dial) : List.of(dial, b);
    }

    /** With the default {@code announce_refresh} (none). */
    public ClusterConfig(Map<String, String> nodes, int port, Path secretFile, Duration advertInterval, boolean preempt,
                         Duration preemptDelay, List<VipConfig> vips, List<WitnessConfig> witnesses,
                         Optional<Path> notifyScript, Optional<MirrorConfig> mirror, Path stateDir) {
        this(nodes, port, secretFile, advertInterval, preempt, preemptDelay, vips, witnesses, notifyScript, mirror,
                stateDir, Defaults.ANNOUNCE_REFRESH);
    }

    /** With the default {@code state_dir}. */
    public ClusterConfig(Map<String, String> nodes, int port, Path secretFile, Duration advertInterval, boolean preempt,
                         Duration preemptDelay, List<VipConfig> vips, List<WitnessConfig> witnesses,
                         Optional<Path> notifyScript, Optional<MirrorConfig> mirror) {
        this(nodes, port, secretFile, advertInterval, preempt, preemptDelay, vips, witnesses, notifyScript, mirror,
                Defaults.CLUSTER_STATE_DIR);
    }
}
