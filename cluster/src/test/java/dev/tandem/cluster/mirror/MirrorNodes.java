package dev.tandem.cluster.mirror;

import static org.awaitility.Awaitility.await;

import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.ConfigError;
import dev.tandem.conf.ConfigException;
import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.MirrorConfig;
import dev.tandem.conf.MirrorLimits;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Mirror nodes in this process over loopback (a on 127.0.0.21, b on .22, c on .23, one port), each with its
 * own directory: {@code NODE/tandem.yaml} (the config file, validated like {@code tandem check} parses it),
 * {@code NODE/certs/}, {@code NODE/www/}, and its state in {@code NODE-state/}.
 */
final class MirrorNodes implements AutoCloseable {

    static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    static final String CONFIG = """
            listeners:
              - {name: http, bind: "127.0.0.1:0"}
            sites:
              - {hosts: ["*"], upstream: web}
            upstreams:
              web:
                servers: [{address: "127.0.0.1:%d"}]
            """;

    final Path base;
    final int port;
    final ClusterConfig cluster;
    final Map<String, Mirror> running = new LinkedHashMap<>();
    final Map<String, MeterRegistry> meters = new LinkedHashMap<>();
    final Map<String, List<String>> configEvents = new LinkedHashMap<>();
    final Map<String, List<Path>> fileEvents = new LinkedHashMap<>();
    /** Per node, at each {@link MirrorListener#batchInPlace}: the files it had been told of until then. */
    final Map<String, List<Set<Path>>> batches = new LinkedHashMap<>();
    /** Per node: content the node's config check refuses beyond the parser's (a check that differs per node). */
    final Map<String, Predicate<String>> refuse = new LinkedHashMap<>();
    /** The mirror limits of a node, where they are not the defaults. */
    final Map<String, MirrorLimits> limits = new LinkedHashMap<>();
    /** How far back the deletion guard counts a root's deletions together (cluster.mirror.deletion_window). */
    Duration deletionWindow = dev.tandem.conf.Defaults.MIRROR_DELETION_WINDOW;
    private Duration debounce = Duration.ofMillis(20);
    private Duration syncWait = Duration.ofSeconds(10);

    MirrorNodes(Path base, String... names) throws IOException {
        this.base = base;
        this.port = freePort(names.length);
        Map<String, String> nodes = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            nodes.put(names[i], "127.0.0." + (21 + i));
            Files.createDirectories(dir(names[i]).resolve("certs"));
            Files.createDirectories(dir(names[i]).resolve("www"));
            Files.writeString(config(names[i]), CONFIG.formatted(8001));
            // Each node has a mirror state (an empty one), as a node that ran before: its files are its own edits
            // from the start. (A node without one waits for a peer's versions first: MirrorLostStateTest.)
            Files.createDirectories(state(names[i]));
            Files.writeString(state(names[i]).resolve("state"), "tandem-mirror-state 2\n");
            configEvents.put(names[i], new CopyOnWriteArrayList<>());
            fileEvents.put(names[i], new CopyOnWriteArrayList<>());
            batches.put(names[i], new CopyOnWriteArrayList<>());
        }
        this.cluster = new ClusterConfig(nodes, port, Path.of("unused.key"), Duration.ofMillis(100), true, Duration.ZERO,
                List.of(), List.of(), Optional.empty(), Optional.of(new MirrorConfig(List.of(Path.of("x")))));
    }

    /** How long a burst of file events must be quiet before it is looked at (20 ms unless set). */
    MirrorNodes debounce(Duration d) {
        this.debounce = d;
        return this;
    }

    MirrorNodes syncWait(Duration d) {
        this.syncWait = d;
        return this;
    }

    /**
     * A port every node's address can listen on. A port free on 127.0.0.1 may still be taken on a node's address:
     * a connection that address dialed from it (lingering in TIME_WAIT, here or in another test run) keeps it.
     */
    private static int freePort(int nodes) throws IOException {
        for (int attempt = 0; ; attempt++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                port = s.getLocalPort();
            }
            boolean free = true;
            for (int i = 0; i < nodes && free; i++) {
                try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0." + (21 + i)))) {
                    // free there too
                } catch (IOException taken) {
                    free = false;
                }
            }
            if (free || attempt == 50) {
                return port;
            }
        }
    }

    Path dir(String node) {
        return base.resolve(node);
    }

    Path config(String node) {
        return dir(node).resolve("tandem.yaml");
    }

    Path www(String node) {
        return dir(node).resolve("www");
    }

    Path certs(String node) {
        return dir(node).resolve("certs");
    }

    Path state(String node) {
        return base.resolve(node + "-state");
    }

    InetSocketAddress address(String node) throws IOException {
        return new InetSocketAddress(InetAddress.getByName(cluster.nodes().get(node)), port);
    }

    /** The check of a config file: the parser's, then the node's own refusals. */
    private ConfigValidator validator(String node) {
        return (file, content) -> {
            List<String> problems = new ArrayList<>();
            try {
                ConfigLoader.fromBytes(file.toString(), content, file.toAbsolutePath().getParent(), 1);
            } catch (ConfigException e) {
                e.errors().stream().map(ConfigError::toString).forEach(problems::add);
            }
            Predicate<String> no = refuse.get(node);
            if (problems.isEmpty() && no != null && no.test(new String(content, StandardCharsets.UTF_8))) {
                problems.add(file + ":1:1: refused by this node's check");
            }
            return problems;
        };
    }

    Mirror start(String node) throws IOException {
        MirrorConfig mc = new MirrorConfig(List.of(config(node), certs(node), www(node)), Duration.ofSeconds(30), debounce,
                state(node), syncWait, dev.tandem.conf.Defaults.MIRROR_MAX_DELETIONS,
                dev.tandem.conf.Defaults.MIRROR_MAX_DELETION_PERCENT, List.of(), limits.getOrDefault(node, MirrorLimits.DEFAULT),
                deletionWindow);
        MeterRegistry registry = new SimpleMeterRegistry();
        Mirror m = Mirror.builder(new ClusterConfig(cluster.nodes(), port, cluster.secretFile(), cluster.advertInterval(),
                        true, Duration.ZERO, List.of(), List.of(), Optional.empty(), Optional.of(mc)), node, ClusterKeys.of(SECRET))
                .configFile(config(node), validator(node))
                .meters(registry)
                .listener(new MirrorListener() {
                    @Override
                    public void configChanged(Path file, String cause) {
                        configEvents.get(node).add(cause);
                    }

                    @Override
                    public void filesChanged(List<Path> files) {
                        fileEvents.get(node).addAll(files);
                    }

                    @Override
                    public void batchInPlace() {
                        batches.get(node).add(Set.copyOf(fileEvents.get(node)));
                    }
                })
                .build();
        m.start();
        running.put(node, m);
        meters.put(node, registry);
        return m;
    }

    void stop(String node) {
        Mirror m = running.remove(node);
        if (m != null) {
            m.close();
        }
    }

    void halt(String node) {
        Mirror m = running.remove(node);
        if (m != null) {
            m.halt();
        }
    }

    Mirror get(String node) {
        return running.get(node);
    }

    double counter(String node, String name, String... tags) {
        Counter c = meters.get(node).find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    /** Waits until every running node has had its first sync. */
    void awaitFirstSync() {
        for (Mirror m : running.values()) {
            m.firstSync().orTimeout(20, TimeUnit.SECONDS).join();
        }
    }

    /** Waits until every running node says it holds what every other running node holds. */
    void awaitInSync() {
        await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50)).until(() -> {
            for (Map.Entry<String, Mirror> m : running.entrySet()) {
                MirrorStatus s = m.getValue().statusNow();
                for (MirrorStatus.PeerStatus p : s.peers()) {
                    if (running.containsKey(p.node()) && !p.inSync()) {
                        return false;
                    }
                }
            }
            return true;
        });
    }

    static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : null;
        } catch (IOException e) {
            return "unreadable: " + e;
        }
    }

    @Override
    public void close() {
        for (String n : new ArrayList<>(running.keySet())) {
            stop(n);
        }
    }
}
