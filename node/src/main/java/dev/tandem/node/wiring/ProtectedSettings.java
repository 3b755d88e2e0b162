package dev.tandem.node.wiring;

import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.ConfigError;
import dev.tandem.conf.MirrorConfig;
import dev.tandem.conf.Snapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The settings of a config that a peer may not change on this node through the mirror: what the node runs
 * ({@code cluster.notify}), where it keeps its secrets and its state ({@code cluster.secret_file},
 * {@code cluster.state_dir}, {@code cluster.mirror.state_dir}), what it mirrors ({@code cluster.mirror.paths})
 * and whom it lets in ({@code cluster.nodes}). Whoever holds the cluster key could otherwise make every node
 * run a program of their choosing, or mirror {@code /etc} to them. A received config that changes one of them
 * is held: refused, with one line per setting, until an operator makes the same change on this node by
 * hand (which confirms it here); the rest of the cluster keeps its own.
 */
final class ProtectedSettings {

    private record Setting(String path, Function<ClusterConfig, Object> value) {
    }

    private static final List<Setting> SETTINGS = List.of(
            new Setting("cluster.notify", c -> c.notifyScript().map(Object::toString).orElse("(none)")),
            new Setting("cluster.secret_file", ClusterConfig::secretFile),
            new Setting("cluster.state_dir", ClusterConfig::stateDir),
            new Setting("cluster.nodes", ClusterConfig::nodes),
            // The bind addresses of nodes written { address, bind }: where this node listens, whom it lets in.
            new Setting("cluster.nodes", c -> "bind " + c.binds()),
            new Setting("cluster.dns", c -> c.dns().map(d -> d.tsig().secretFile().toString()).orElse("(none)")),
            new Setting("cluster.mirror.paths", c -> c.mirror().map(MirrorConfig::paths).map(Object::toString).orElse("(none)")),
            new Setting("cluster.mirror.state_dir", c -> c.mirror().map(MirrorConfig::stateDir).map(Object::toString)
                    .orElse("(none)")));

    private ProtectedSettings() {
    }

    /**
     * The protected settings {@code received} would change from {@code here} (this node's cluster), each as a
     * {@code FILE:LINE:COL: message} placed in {@code received}; empty when it changes none.
     */
    static List<String> changes(Optional<ClusterConfig> here, Snapshot received) {
        Optional<ClusterConfig> h = here;
        Optional<ClusterConfig> r = received.config().cluster();
        List<String> problems = new ArrayList<>();
        if (h.isEmpty() && r.isEmpty()) {
            return problems;
        }
        if (h.isEmpty() || r.isEmpty()) {
            problems.add(error(received, "cluster", "cluster: " + (r.isEmpty() ? "removed" : "added")));
            return problems;
        }
        for (Setting s : SETTINGS) {
            Object mine = s.value().apply(h.get());
            Object theirs = s.value().apply(r.get());
            if (!Objects.equals(mine, theirs)) {
                problems.add(error(received, s.path(), s.path() + ": " + theirs + " (this node has: " + mine + ")"));
            }
        }
        return problems;
    }

    private static String error(Snapshot received, String path, String change) {
        ConfigError e = received.sources().error(path, change + ": a config received from a peer may not change what"
                + " this node runs, where it keeps its secrets, what it mirrors or whom it lets in; held until the same"
                + " change is made on this node by hand");
        return e.toString();
    }
}
