package dev.tandem.conf.internal;

import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.Defaults;
import dev.tandem.conf.DnsConfig;
import dev.tandem.conf.HostPort;
import dev.tandem.conf.MirrorConfig;
import dev.tandem.conf.MirrorLimits;
import dev.tandem.conf.VipConfig;
import dev.tandem.conf.WitnessConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code cluster}: the nodes, their shared secret, VIPs, witnesses and mirrored paths. The secret file is
 * only named here; the cluster module reads and checks it.
 */
final class ClusterBinder {

    private ClusterBinder() {
    }

    static Optional<ClusterConfig> bind(YamlValue value) {
        return value.object("nodes", "port", "secret_file", "advert_interval", "preempt", "preempt_delay", "vips", "witnesses",
                "notify", "mirror", "state_dir", "announce_refresh", "dns").flatMap(ClusterBinder::cluster);
    }

    private static Optional<ClusterConfig> cluster(YamlObject o) {
        String expected = "a mapping of node name to address, e.g. lb1: 10.0.0.11 or lb1: { address: 198.51.100.7, bind: 10.0.0.11 }";
        YamlValue nodesValue = o.get("nodes").required(expected);
        Optional<Map<String, YamlValue>> entries = nodesValue.entries(expected);
        if (entries.isPresent() && entries.get().isEmpty()) {
            nodesValue.fail("at least one node");
        }
        Map<String, String> binds = new LinkedHashMap<>();
        Map<String, String> nodes = nodes(entries.orElse(Map.of()), binds);
        int port = o.get("port").integer(1, 65535).orElse(Defaults.CLUSTER_PORT);
        Optional<Path> secretFile = o.get("secret_file").required("the path of the shared cluster key").file();
        Duration advertInterval = o.get("advert_interval").duration(Defaults.MIN_ADVERT_INTERVAL)
                .orElse(Defaults.ADVERT_INTERVAL);
        boolean preempt = o.get("preempt").bool().orElse(Defaults.PREEMPT);
        Duration preemptDelay = o.get("preempt_delay").duration(Duration.ZERO).orElse(Defaults.PREEMPT_DELAY);
        Duration announceRefresh = o.get("announce_refresh").duration(Duration.ZERO).orElse(Defaults.ANNOUNCE_REFRESH);
        // Names, not addresses: a node with a bad address is still a node a VIP may prefer.
        List<VipConfig> vips = vips(o.get("vips"), List.copyOf(entries.orElse(Map.of()).keySet()));
        List<WitnessConfig> witnesses = new ArrayList<>();
        for (YamlValue w : o.get("witnesses").list("a list of hosts: 10.0.0.1, icmp:10.0.0.1 or tcp:10.0.0.1:22")
                .orElse(List.of())) {
            w.as(WITNESS, ClusterBinder::witness).ifPresent(witnesses::add);
        }
        Optional<Path> notify = o.get("notify").file();
        Optional<MirrorConfig> mirror = o.get("mirror").object("paths", "scan_interval", "debounce", "state_dir", "sync_wait",
                        "max_deletions", "max_deletion_percent", "deletion_window", "require_mount", "limits")
                .map(ClusterBinder::mirror);
        YamlValue stateValue = o.get("state_dir");
        Path stateDir = stateValue.file().map(Path::normalize).orElse(Defaults.CLUSTER_STATE_DIR);
        if (mirror.isPresent()) {
            for (Path p : mirror.get().paths()) {
                // Written by this node alone: mirrored, a peer's boot counter or address record would land here.
                if (stateDir.startsWith(p)) {
                    stateValue.fail("a state directory outside the mirrored paths (" + stateDir + " is inside " + p + ")");
                    break;
                }
            }
        }
        Optional<DnsConfig> dns = DnsBinder.bind(o.get("dns"), List.copyOf(entries.orElse(Map.of()).keySet()));
        dns.ifPresent(d -> d.records().forEach(r -> r.prefer().forEach(n -> {
            String address = nodes.get(n);
            // What the record will hold is the address peers dial: a name there would be a CNAME's job.
            if (address != null && Addresses.ipLiteral(address).isEmpty()) {
                o.get("dns").report(r.name() + " may hold node " + n + ", whose address " + address
                        + " is a name (expected: an IP address in cluster.nodes for a node in a DNS record)");
            }
        })));
        if (secretFile.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ClusterConfig(nodes, port, secretFile.get(), advertInterval, preempt, preemptDelay, vips, witnesses,
                notify, mirror, stateDir, announceRefresh, binds, dns));
    }

    private static final String WITNESS = "a host (ICMP echo), icmp:HOST or tcp:HOST:PORT";

    /** {@code HOST} or {@code icmp:HOST} (ICMP echo), {@code tcp:HOST:PORT} (TCP connect; refused counts as reached). */
    static WitnessConfig witness(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.startsWith("tcp:")) {
            HostPort hp;
            try {
                hp = HostPort.parse(text.substring(4), -1);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(text + " (expected: tcp:HOST:PORT with a port of 1-65535)");
            }
            if (hp.port() == 0 || !Addresses.isHost(hp.host())) {
                throw new IllegalArgumentException(text + " (expected: tcp:HOST:PORT with a port of 1-65535)");
            }
            return WitnessConfig.tcp(hp.host(), hp.port());
        }
        String host = lower.startsWith("icmp:") ? text.substring(5) : text;
        if (!Addresses.isHost(host)) {
            throw new IllegalArgumentException(text + " (expected: " + WITNESS + ")");
        }
        return WitnessConfig.icmp(host);
    }

    /**
     * The address each node's peers dial; a node written {@code { address: A, bind: B }} binds B, put in
     * {@code binds}. Dialled addresses are unique; bind addresses need not be (two regions may use the same
     * private network).
     */
    private static Map<String, String> nodes(Map<String, YamlValue> entries, Map<String, String> binds) {
        Map<String, String> nodes = new LinkedHashMap<>();
        Map<String, String> seen = new HashMap<>();
        entries.forEach((name, v) -> {
            YamlValue addressValue = v;
            Optional<String> bind = Optional.empty();
            if (v.isMapping()) {
                Optional<YamlObject> o = v.object("address", "bind");
                if (o.isEmpty()) {
                    return;
                }
                addressValue = o.get().get("address").required("the address its peers dial (an IP address or a host name)");
                bind = o.get().get("bind").as("the address this node binds (an IP address or a host name)", Addresses::host);
            }
            YamlValue at = v.isMapping() ? addressValue : addressValue.required("an IP address or a host name");
            Optional<String> binding = bind;
            at.as("an IP address or a host name", Addresses::host)
                    .ifPresent(address -> {
                        String first = seen.putIfAbsent(address.toLowerCase(Locale.ROOT), at.path());
                        if (first != null) {
                            at.fail("an address not already used by " + first);
                        }
                        nodes.put(name, address);
                        binding.filter(b -> !b.equalsIgnoreCase(address)).ifPresent(b -> binds.put(name, b));
                    });
        });
        return nodes;
    }

    private static List<VipConfig> vips(YamlValue value, List<String> nodes) {
        List<VipConfig> vips = new ArrayList<>();
        Map<String, String> seen = new HashMap<>();
        for (YamlValue item : value.list("a list of {address, interface, prefer}").orElse(List.of())) {
            item.object("address", "interface", "prefer").ifPresent(o -> {
                YamlValue addressValue = o.get("address").required("an address with its prefix length, e.g. 203.0.113.10/24");
                Optional<Addresses.Vip> vip = addressValue.as("an address with its prefix length", Addresses::vip);
                vip.ifPresent(v -> {
                    String first = seen.putIfAbsent(v.address(), addressValue.path());
                    if (first != null) {
                        addressValue.fail("an address not already used by " + first);
                    }
                });
                Optional<String> iface = o.get("interface").required("a network interface name such as eth0")
                        .as("a network interface name such as eth0", Addresses::iface);
                List<String> prefer = prefer(o.get("prefer"), nodes);
                if (vip.isPresent() && iface.isPresent()) {
                    vips.add(new VipConfig(vip.get().address(), vip.get().prefixLength(), iface.get(), prefer));
                }
            });
        }
        return vips;
    }

    /** Node names, each once; every node in file order when omitted. */
    static List<String> prefer(YamlValue value, List<String> nodes) {
        if (!value.isPresent()) {
            return nodes;
        }
        List<String> prefer = new ArrayList<>();
        String expected = nodes.isEmpty() ? "a node name from cluster.nodes" : "one of the nodes: " + String.join(", ", nodes);
        for (YamlValue item : value.list("a list of node names").orElse(List.of())) {
            item.string(expected).ifPresent(name -> {
                if (!nodes.contains(name)) {
                    item.fail(expected);
                } else if (prefer.contains(name)) {
                    item.fail("a node not already listed");
                } else {
                    prefer.add(name);
                }
            });
        }
        return prefer;
    }

    private static MirrorConfig mirror(YamlObject o) {
        YamlValue value = o.get("paths").required("a list of files and directories");
        List<YamlValue> items = value.nonEmptyList("a list of files and directories", "at least one file or directory");
        List<Path> paths = new ArrayList<>();
        List<YamlValue> written = new ArrayList<>();
        for (YamlValue item : items) {
            item.file().map(Path::normalize).ifPresent(p -> {
                // A path inside another would be mirrored twice, under two names, with two versions.
                for (int i = 0; i < paths.size(); i++) {
                    Path other = paths.get(i);
                    if (p.startsWith(other) || other.startsWith(p)) {
                        item.fail("a path neither inside nor around " + written.get(i).path() + " (" + other + ")");
                        return;
                    }
                }
                paths.add(p);
                written.add(item);
            });
        }
        Duration scan = o.get("scan_interval").duration(Defaults.MIN_MIRROR_SCAN_INTERVAL)
                .orElse(Defaults.MIRROR_SCAN_INTERVAL);
        Duration debounce = o.get("debounce").duration(Duration.ZERO).orElse(Defaults.MIRROR_DEBOUNCE);
        YamlValue stateValue = o.get("state_dir");
        Path stateDir = stateValue.file().map(Path::normalize).orElse(Defaults.MIRROR_STATE_DIR);
        for (int i = 0; i < paths.size(); i++) {
            // The state changes with every sync: inside a mirrored path it would be mirrored itself.
            if (stateDir.startsWith(paths.get(i))) {
                (stateValue.isPresent() ? stateValue : o.get("paths")).fail(
                        "a state directory outside the mirrored paths (" + stateDir + " is inside " + paths.get(i) + ")");
                break;
            }
        }
        Duration syncWait = o.get("sync_wait").duration(Duration.ZERO).orElse(Defaults.MIRROR_SYNC_WAIT);
        int maxDeletions = o.get("max_deletions").integer(0, Integer.MAX_VALUE).orElse(Defaults.MIRROR_MAX_DELETIONS);
        int maxPercent = o.get("max_deletion_percent").integer(0, 100).orElse(Defaults.MIRROR_MAX_DELETION_PERCENT);
        Duration deletionWindow = o.get("deletion_window").duration(Defaults.MIN_MIRROR_DELETION_WINDOW)
                .orElse(Defaults.MIRROR_DELETION_WINDOW);
        List<Path> requireMount = new ArrayList<>();
        o.get("require_mount").list("a list of mirrored paths that must be mount points").ifPresent(list -> {
            for (YamlValue item : list) {
                item.file().map(Path::normalize).ifPresent(p -> {
                    if (paths.contains(p)) {
                        requireMount.add(p);
                    } else {
                        item.fail("one of the mirrored paths (" + p + " is not in paths)");
                    }
                });
            }
        });
        MirrorLimits limits = o.get("limits").object("file_size", "files", "total_bytes")
                .map(ClusterBinder::limits).orElse(MirrorLimits.DEFAULT);
        return new MirrorConfig(paths, scan, debounce, stateDir, syncWait, maxDeletions, maxPercent, requireMount, limits,
                deletionWindow);
    }

    private static MirrorLimits limits(YamlObject o) {
        long fileSize = o.get("file_size").size(1, Long.MAX_VALUE, "a size >= 1 such as 64m or 1g")
                .orElse(Defaults.MIRROR_MAX_FILE_SIZE);
        long files = o.get("files").integer(1, Integer.MAX_VALUE).map(Integer::longValue)
                .orElse(Defaults.MIRROR_MAX_FILES);
        long total = o.get("total_bytes").size(1, Long.MAX_VALUE, "a size >= 1 such as 500m or 10g")
                .orElse(Defaults.MIRROR_MAX_TOTAL_BYTES);
        return new MirrorLimits(fileSize, files, total);
    }
}
