package dev.tandem.node.cli;

import dev.tandem.cluster.LocalNode;
import dev.tandem.cluster.vip.CommandRunner;
import dev.tandem.cluster.vip.Held;
import dev.tandem.cluster.vip.HeldAddresses;
import dev.tandem.cluster.vip.HostCleanup;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.ConfigError;
import dev.tandem.conf.ConfigException;
import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Defaults;
import dev.tandem.conf.VipConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code tandem cleanup [--config FILE] [--node NAME]}: removes from this host what a node that is not running
 * left there (killed, crashed, or it failed to start): the addresses and nftables tables its record in
 * {@code cluster.state_dir} lists, and those the config's VIPs would have left even when there is no record.
 * The systemd unit runs it as {@code ExecStopPost}, after every stop, clean or not. Idempotent.
 *
 * <p>The node is picked as {@code run} picks it ({@link LocalNode}). A config that cannot be read still leaves
 * the records in the default state directory (all of them, or {@code --node}'s): the cleanup after a start that
 * failed on a bad edit must not fail on it too. Refuses a node that runs (it holds its lock).
 *
 * <p>Exit status: 0 when nothing of it is left on the host, 1 (with a line per thing) otherwise.
 */
final class CleanupCommand {

    private final PrintStream out;
    private final PrintStream err;
    private final HostCleanup cleanup;

    CleanupCommand(HostCleanup cleanup, PrintStream out, PrintStream err) {
        this.cleanup = cleanup;
        this.out = out;
        this.err = err;
    }

    static int run(Deque<String> args, PrintStream out, PrintStream err) throws Main.UsageException, IOException {
        Path config = null;
        String node = null;
        while (!args.isEmpty()) {
            String a = args.poll();
            switch (a) {
                case "--config", "-c" -> config = Path.of(Main.value(args, a));
                case "--node" -> node = Main.value(args, a);
                default -> throw new Main.UsageException("unknown option '" + a + "'");
            }
        }
        return new CleanupCommand(new HostCleanup(CommandRunner.system()), out, err).clean(config, node);
    }

    int clean(Path configFile, String requested) throws IOException {
        Optional<ClusterConfig> cluster = Optional.empty();
        if (configFile != null) {
            try {
                cluster = ConfigLoader.load(configFile, 0).config().cluster();
                if (cluster.isEmpty()) {
                    out.println("tandem cleanup: " + configFile + " has no cluster section: only records are looked at");
                }
            } catch (ConfigException e) {
                for (ConfigError error : e.errors()) {
                    err.println(error);
                }
                err.println("tandem cleanup: " + configFile + " does not validate: removing what the records in "
                        + Defaults.CLUSTER_STATE_DIR + " list");
            } catch (IOException e) {
                err.println("tandem cleanup: cannot read " + configFile + " (" + e.getMessage()
                        + "): removing what the records in " + Defaults.CLUSTER_STATE_DIR + " list");
            }
        }
        Path stateDir = cluster.map(ClusterConfig::stateDir).orElse(Defaults.CLUSTER_STATE_DIR);
        List<String> nodes = new ArrayList<>();
        if (cluster.isPresent()) {
            try {
                nodes.add(LocalNode.pick(cluster.get(), Optional.ofNullable(requested)));
            } catch (IllegalArgumentException e) {
                err.println("tandem cleanup: " + e.getMessage() + "; looking at every record in " + stateDir);
            }
        } else if (requested != null) {
            nodes.add(requested);
        }
        if (nodes.isEmpty()) {
            nodes.addAll(recordedNodes(stateDir));
        }
        for (String n : nodes) {
            if (HeldAddresses.inUse(stateDir, n)) {
                err.println("tandem cleanup: node " + n + " is running (it holds "
                        + stateDir.resolve("cluster-" + n + ".lock") + "): stop it first; nothing removed");
                return Main.INVALID;
            }
        }

        Set<Held> wanted = new LinkedHashSet<>();
        List<HeldAddresses> records = new ArrayList<>();
        for (String n : nodes) {
            HeldAddresses record = HeldAddresses.open(stateDir, n);
            records.add(record);
            wanted.addAll(record.held());
        }
        List<VipConfig> vips = cluster.map(ClusterConfig::vips).orElse(List.of());
        wanted.addAll(HostCleanup.leftBy(vips));

        List<Held> gone = new ArrayList<>();
        int left = 0;
        for (HostCleanup.Outcome o : cleanup.remove(wanted)) {
            if (o.problem().isPresent()) {
                left++;
                err.println("tandem cleanup: cannot remove " + o.thing().line() + ": " + o.problem().get());
            } else {
                gone.add(o.thing());
                if (o.removed()) {
                    out.println("removed " + o.thing().line());
                }
            }
        }
        for (HeldAddresses record : records) {
            try {
                record.remove(gone);
            } catch (IOException e) {
                // What is listed and gone costs the next cleanup a look, nothing more.
                err.println("tandem cleanup: cannot update " + record.file() + ": " + e.getMessage());
            }
        }
        if (left > 0) {
            err.println("tandem cleanup: " + left + " thing(s) left on this host");
            return Main.INVALID;
        }
        out.println("tandem cleanup: nothing left" + (nodes.isEmpty() ? "" : " of node " + String.join(", ", nodes)));
        return Main.OK;
    }

    /** The nodes that have a record in {@code stateDir}. */
    private static List<String> recordedNodes(Path stateDir) throws IOException {
        if (!Files.isDirectory(stateDir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(stateDir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(f -> f.startsWith("cluster-") && f.endsWith(".held"))
                    .map(f -> f.substring("cluster-".length(), f.length() - ".held".length()))
                    .sorted().toList();
        }
    }
}
