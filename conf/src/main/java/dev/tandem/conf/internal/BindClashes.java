package dev.tandem.conf.internal;

import dev.tandem.conf.HostPort;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Whether two listeners (the admin listener among them) would bind the same address and port on one node, per
 * node binds considered: each node binds its own {@code per_node} entry, else the shared {@code bind}. An address
 * and a wildcard ({@code 0.0.0.0}, {@code ::}) on the same port clash too: the kernel refuses the second bind
 * (EADDRINUSE, SO_REUSEADDR or not, and {@code ::} takes IPv4 as well). Port 0 (a free port) never clashes.
 * Each clash is reported once, at the later of the two values, naming the node when only a per-node bind makes
 * it.
 */
final class BindClashes {

    /**
     * One listener: its shared bind and its per-node ones, with where they are written.
     *
     * @param sharedUnique whether its shared bind is checked against the other such listeners' where they are read
     *                     (the same address twice, {@code listeners[]}), so this check leaves that pair alone
     */
    private record Listener(String path, HostPort shared, YamlValue sharedAt, Map<String, HostPort> perNode,
                            Map<String, YamlValue> perNodeAt, boolean sharedUnique) {
    }

    private final List<Listener> listeners = new ArrayList<>();
    /** What was reported: a clash found on several nodes is reported once. */
    private final Set<String> reported = new HashSet<>();

    /**
     * @param sharedAt  the {@code bind} value (absent for the admin listener's default)
     * @param perNodeAt per node, the value of its {@code per_node.NODE.bind}
     */
    void add(String path, HostPort shared, YamlValue sharedAt, Map<String, HostPort> perNode,
             Map<String, YamlValue> perNodeAt, boolean sharedUnique) {
        listeners.add(new Listener(path, shared, sharedAt, new LinkedHashMap<>(perNode), new LinkedHashMap<>(perNodeAt),
                sharedUnique));
    }

    /**
     * Reports every clash.
     *
     * @param nodes the cluster's nodes; empty without a cluster (then every listener binds its shared address)
     */
    void check(Optional<Set<String>> nodes) {
        List<Optional<String>> each = new ArrayList<>();
        nodes.ifPresentOrElse(ns -> ns.forEach(n -> each.add(Optional.of(n))), () -> each.add(Optional.empty()));
        for (Optional<String> node : each) {
            for (int j = 1; j < listeners.size(); j++) {
                for (int i = 0; i < j; i++) {
                    check(listeners.get(i), listeners.get(j), node);
                }
            }
        }
    }

    private void check(Listener first, Listener later, Optional<String> node) {
        boolean firstOwn = node.isPresent() && first.perNode().containsKey(node.get());
        boolean laterOwn = node.isPresent() && later.perNode().containsKey(node.get());
        HostPort a = firstOwn ? first.perNode().get(node.get()) : first.shared();
        HostPort b = laterOwn ? later.perNode().get(node.get()) : later.shared();
        if (!clash(a, b)) {
            return;
        }
        String aPath = firstOwn ? first.path() + ".per_node." + node.get() + ".bind" : first.path() + ".bind";
        YamlValue bAt = laterOwn ? later.perNodeAt().get(node.get()) : later.sharedAt();
        YamlValue aAt = firstOwn ? first.perNodeAt().get(node.get()) : first.sharedAt();
        String bPath = laterOwn ? later.path() + ".per_node." + node.get() + ".bind" : later.path() + ".bind";
        if (!firstOwn && !laterOwn && a.equals(b) && first.sharedUnique() && later.sharedUnique()) {
            return;
        }
        // The admin listener's default is written nowhere: the clash is then reported at the other value.
        YamlValue at = bAt.isPresent() ? bAt : aAt;
        String other = bAt.isPresent() ? aPath + (aAt.isPresent() ? "" : " (default " + a + ")") : bPath
                + " (default " + b + ")";
        String on = firstOwn || laterOwn ? " on node " + node.get() : "";
        if (reported.add(at.path() + "|" + other)) {
            at.fail("an address not already bound" + on + " by " + other
                    + (a.equals(b) ? "" : " (" + a + " and " + b + " take the same port)"));
        }
    }

    /** Whether binding both on one host fails: the same port, and the same address or a wildcard on either side. */
    static boolean clash(HostPort a, HostPort b) {
        if (a.port() == 0 || b.port() == 0 || a.port() != b.port()) {
            return false;
        }
        Optional<InetAddress> x = Addresses.ipLiteral(a.host());
        Optional<InetAddress> y = Addresses.ipLiteral(b.host());
        if (x.isEmpty() || y.isEmpty()) {
            return a.host().equalsIgnoreCase(b.host());
        }
        return x.get().isAnyLocalAddress() || y.get().isAnyLocalAddress() || x.get().equals(y.get());
    }
}
