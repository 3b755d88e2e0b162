package dev.tandem.packaging.lab;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a lab test class sets up around its {@link Lab} and shares between its tests: the work directory (the
 * nodes' configs and logs, the client's output), the cluster key, the python backends, the nodes' configs and
 * their {@code bin/tandem run} processes. The lab tests all build the same thing and differ only in their faults
 * and what they assert; this is the part that does not differ, so that a change to how a node is started is made
 * once. The work directory is kept when a test failed (so that its logs can be read), else removed.
 */
final class LabNodes {

    private static final Logger log = LoggerFactory.getLogger(LabNodes.class);

    final Lab lab;
    /** The lab's own directory: configs, logs, state directories, the client's output. */
    final Path work;
    /** The distribution the nodes run. */
    final Path dist;
    /** The cluster's shared secret, made for this lab. */
    final Path key;

    private LabNodes(Lab lab, Path work, Path dist) {
        this.lab = lab;
        this.work = work;
        this.dist = dist;
        this.key = work.resolve("cluster.key");
    }

    /**
     * Builds a lab of {@code nodes} nodes (2 or 3) with a fresh work directory named {@code prefix...} and a
     * cluster key in it; skips the calling test class when the lab cannot run here.
     */
    static LabNodes open(String prefix, int nodes) throws Exception {
        return open(Lab.distributionOrSkip(), prefix, nodes);
    }

    /** {@link #open(String, int)} for a distribution the caller already found. */
    static LabNodes open(Path dist, String prefix, int nodes) throws Exception {
        LabNodes made = new LabNodes(new Lab(), Files.createTempDirectory(prefix), dist);
        try {
            made.lab.build(nodes);
            Files.write(made.key, SecureRandom.getInstanceStrong().generateSeed(32));
        } catch (Exception e) {
            made.close(false, "");
            throw e;
        }
        return made;
    }

    /**
     * Removes the lab (namespaces, processes), and the work directory unless {@code keep}; {@code what} says
     * what a kept directory holds.
     */
    void close(boolean keep, String what) throws IOException {
        lab.close();
        if (keep) {
            log.warn("lab: kept {} ({})", work, what);
        } else {
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * Whether a test of the class failed, for {@link #close}: registered with {@code @RegisterExtension} on a
     * static field, it lives as long as the class's tests.
     */
    static final class Failures implements TestWatcher {
        private volatile boolean failed;

        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            failed = true;
        }

        /** Whether the work directory stays: a test failed, or {@code -Dtandem.lab.keep=true}. */
        boolean keep() {
            return failed || Boolean.getBoolean("tandem.lab.keep");
        }
    }

    /** The namespace of node {@code name} (n1, n2, n3). */
    String ns(String name) {
        return switch (name) {
            case "n1" -> lab.n1;
            case "n2" -> lab.n2;
            case "n3" -> lab.n3;
            default -> throw new IllegalArgumentException(name);
        };
    }

    // ------------------------------------------------------------------ backends

    /** Node {@code name}'s backend: answers its own name on port 8000 of {@code bind}. */
    Process backend(String name, String bind) throws IOException {
        return backend(ns(name), name, name, bind, 8000);
    }

    /**
     * A python backend in namespace {@code ns} on {@code bind:port} that answers {@code body}; its files and log
     * are named for {@code label}.
     */
    Process backend(String ns, String label, String body, String bind, int port) throws IOException {
        Path root = Files.createDirectories(work.resolve("www-" + label));
        Files.writeString(root.resolve("index.html"), body + "\n");
        return lab.spawn(ns, List.of("python3", "-m", "http.server", Integer.toString(port), "--bind", bind,
                "--directory", root.toString()), work.resolve("backend-" + label + ".log"));
    }

    // ------------------------------------------------------------------ nodes

    /** Node {@code name}'s config as most labs have it (see {@link NodeConfig}), its state in a directory of its own. */
    NodeConfig config(String name) {
        return new NodeConfig(key, work.resolve("state-" + name));
    }

    /** Where node {@code name}'s config goes. */
    Path configFile(String name) {
        return work.resolve("tandem-" + name + ".yaml");
    }

    /** Writes {@code config} as node {@code name}'s config file and starts the node. */
    Process run(String name, NodeConfig config) throws IOException {
        Files.writeString(configFile(name), config.yaml());
        return run(name, configFile(name), log(name));
    }

    /** Starts {@code bin/tandem run} as node {@code name} in its namespace, with {@code config}, logging to {@code out}. */
    Process run(String name, Path config, Path out) throws IOException {
        return lab.spawn(ns(name), List.of("sh", dist.resolve("bin/tandem").toString(), "run", "--config",
                config.toString(), "--node", name), out);
    }

    /** Runs {@code bin/tandem COMMAND} (handover, resume, ...) in {@code ns}, its output to {@code out}. */
    Process cli(String ns, String command, Path out) throws IOException {
        return lab.spawn(ns, List.of("sh", dist.resolve("bin/tandem").toString(), command), out);
    }

    // ------------------------------------------------------------------ logs

    /** Node {@code name}'s log (it goes on from one test of the class to the next). */
    Path log(String name) {
        return work.resolve("tandem-" + name + ".log");
    }

    /** How far a node's log goes now. */
    int logLength(String name) throws IOException {
        return Files.exists(log(name)) ? Files.readString(log(name)).length() : 0;
    }

    /** What a node logged past {@code from} ("" before it logged anything). */
    String logSince(String name, int from) throws IOException {
        return Files.exists(log(name)) ? Files.readString(log(name)).substring(from) : "";
    }

    /** The ends of the nodes' logs, for an assertion's message. */
    String logs(Iterable<String> names) {
        StringBuilder b = new StringBuilder();
        for (String name : names) {
            b.append("\n--- ").append(name).append(":\n").append(Lab.tail(log(name)));
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ what a namespace shows

    /** The MAC address of {@code ns}'s interface. */
    String mac(String ns) throws Exception {
        Matcher m = Pattern.compile("link/ether (\\S+)").matcher(lab.output(ns, "ip", "link", "show", "eth0"));
        assertTrue(m.find());
        return m.group(1).toLowerCase(Locale.ROOT);
    }

    /** The tables of Tandem's handover rules for {@link Lab#VIP} in {@code ns} (none once a handover is over). */
    String rules(String ns) throws Exception {
        String table = "tandem_" + Lab.VIP.replace('.', '_');
        return lab.output(ns, "nft", "list", "tables").lines().filter(l -> l.contains(table))
                .reduce((a, b) -> a + "; " + b).orElse("");
    }

    /**
     * A node's config: an HTTP listener, one upstream (the node's backend on 127.0.0.1:8000), and a cluster of
     * the nodes in {@code prefer} (adverts every 100 ms) with one VIP on eth0 preferring them in that order. By
     * default the VIP is {@link Lab#VIP}, the listener on it, and the upstream health-checked: dead backends are
     * refused at once and found within 2 checks; the timeout only has to outlast a stall of this shared machine (a
     * 200 ms one marked a live backend down, and its node answered 503, in the middle of a handover round).
     */
    static final class NodeConfig {
        private final Path secretFile;
        private final Path stateDir;
        private String bind = Lab.VIP + ":80";
        private String vip = Lab.VIP + "/24";
        private List<String> prefer = List.of("n1", "n2");
        private boolean checked = true;
        private String drainTimeout;
        private Boolean preempt;
        private String witness;
        private Path mirrored;
        private Path mirrorState;
        private String announceRefresh;

        NodeConfig(Path secretFile, Path stateDir) {
            this.secretFile = secretFile;
            this.stateDir = stateDir;
        }

        NodeConfig bind(String address) {
            bind = address;
            return this;
        }

        /** The VIP with its prefix length, e.g. {@code 10.201.0.50/24}. */
        NodeConfig vip(String cidr) {
            vip = cidr;
            return this;
        }

        /** The cluster's nodes, the VIP preferring them in this order. */
        NodeConfig prefer(List<String> names) {
            prefer = List.copyOf(names);
            return this;
        }

        /** Without the upstream's timeouts and health checks (the defaults apply). */
        NodeConfig unchecked() {
            checked = false;
            return this;
        }

        NodeConfig drainTimeout(String duration) {
            drainTimeout = duration;
            return this;
        }

        NodeConfig preempt(boolean on) {
            preempt = on;
            return this;
        }

        /** A mirror of the directory {@code path}, its state in {@code state} (both this node's own). */
        NodeConfig mirror(Path path, Path state) {
            mirrored = path;
            mirrorState = state;
            return this;
        }

        /** {@code cluster.announce_refresh}: a master announces its VIPs again every {@code duration}. */
        NodeConfig announceRefresh(String duration) {
            announceRefresh = duration;
            return this;
        }

        NodeConfig witness(String address) {
            witness = address;
            return this;
        }

        String yaml() {
            List<String> members = new ArrayList<>();
            for (String name : prefer) {
                members.add(name + ": " + Lab.NET + "." + name.substring(1));
            }
            StringBuilder b = new StringBuilder();
            b.append("listeners:\n  - {name: http, bind: \"").append(bind).append("\"}\n");
            b.append("sites:\n  - {hosts: [\"*\"], upstream: web}\n");
            b.append("upstreams:\n  web:\n    servers: [{address: \"127.0.0.1:8000\"}]\n");
            if (checked) {
                b.append("    timeouts: {connect: 1s, read: 5s, write: 5s}\n");
                b.append("    health: {http: {path: /}, interval: 200ms, timeout: 1s, rise: 2, fall: 2}\n");
            }
            if (drainTimeout != null) {
                b.append("shutdown: {drain_timeout: ").append(drainTimeout).append("}\n");
            }
            b.append("cluster:\n");
            b.append("  nodes: {").append(String.join(", ", members)).append("}\n");
            b.append("  secret_file: ").append(secretFile).append('\n');
            b.append("  advert_interval: 100ms\n");
            if (preempt != null) {
                b.append("  preempt: ").append(preempt).append('\n');
            }
            b.append("  state_dir: ").append(stateDir).append('\n');
            if (announceRefresh != null) {
                b.append("  announce_refresh: ").append(announceRefresh).append('\n');
            }
            if (witness != null) {
                b.append("  witnesses: [").append(witness).append("]\n");
            }
            if (mirrored != null) {
                b.append("  mirror: {paths: [").append(mirrored).append("], state_dir: ").append(mirrorState)
                        .append(", sync_wait: 5s}\n");
            }
            b.append("  vips:\n    - {address: \"").append(vip).append("\", interface: eth0, prefer: [")
                    .append(String.join(", ", prefer)).append("]}\n");
            return b.toString();
        }
    }
}
