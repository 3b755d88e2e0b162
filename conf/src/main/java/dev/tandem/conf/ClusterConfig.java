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
 *                   and the record of the addresses and rules it put on the host (removed after a crash)
 * @param announceRefresh how often a master announces each VIP it holds again, with nothing to prompt it
 *                   (keepalived's {@code garp_master_refresh}); zero = never
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
        Duration announceRefresh) {

    public ClusterConfig {
        nodes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(nodes));
        vips = List.copyOf(vips);
        witnesses = List.copyOf(witnesses);
        java.util.Objects.requireNonNull(stateDir, "stateDir");
        java.util.Objects.requireNonNull(announceRefresh, "announceRefresh");
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
