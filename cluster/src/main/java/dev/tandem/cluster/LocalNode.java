package dev.tandem.cluster;

import dev.tandem.conf.ClusterConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which node of {@code cluster.nodes} this host is: the one named with {@code --node}, or else the one whose
 * address is on one of this host's interfaces. Resolves names: call off the event loops.
 */
public final class LocalNode {

    private LocalNode() {
    }

    /**
     * @throws IllegalArgumentException when {@code requested} is not a node, or no node (or more than one)
     *                                  has an address of this host
     */
    public static String pick(ClusterConfig cluster, Optional<String> requested) throws IOException {
        return pick(cluster, requested, localAddresses());
    }

    static String pick(ClusterConfig cluster, Optional<String> requested, Set<InetAddress> local) {
        if (requested.isPresent()) {
            if (!cluster.nodes().containsKey(requested.get())) {
                throw new IllegalArgumentException("--node " + requested.get() + ": not in cluster.nodes (expected: one of "
                        + String.join(", ", cluster.nodes().keySet()) + ")");
            }
            return requested.get();
        }
        List<String> matches = new ArrayList<>();
        for (Map.Entry<String, String> n : cluster.nodes().entrySet()) {
            try {
                for (InetAddress a : InetAddress.getAllByName(n.getValue())) {
                    if (local.contains(a)) {
                        matches.add(n.getKey());
                        break;
                    }
                }
            } catch (UnknownHostException e) {
                // a peer whose name does not resolve here is not this host
            }
        }
        if (matches.size() == 1) {
            return matches.get(0);
        }
        if (matches.isEmpty()) {
            throw new IllegalArgumentException("no node of cluster.nodes (" + cluster.nodes()
                    + ") has an address of this host: name it with --node NAME");
        }
        throw new IllegalArgumentException("nodes " + String.join(", ", matches)
                + " all have an address of this host: name this one with --node NAME");
    }

    static Set<InetAddress> localAddresses() throws SocketException {
        Set<InetAddress> all = new HashSet<>();
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            all.addAll(Collections.list(ni.getInetAddresses()));
        }
        return all;
    }
}
