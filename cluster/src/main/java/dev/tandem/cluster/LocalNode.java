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
 * address (dialled or bound) is on one of this host's interfaces. Resolves names: call off the event loops.
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
        for (String node : cluster.nodes().keySet()) {
            // Behind NAT only the bind address is on this host; the dialled one is the router's.
            if (isLocal(cluster.addressesOf(node), local)) {
                matches.add(node);
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

    private static boolean isLocal(List<String> addresses, Set<InetAddress> local) {
        for (String address : addresses) {
            try {
                for (InetAddress a : InetAddress.getAllByName(address)) {
                    if (local.contains(a)) {
                        return true;
                    }
                }
            } catch (UnknownHostException e) {
                // a peer whose name does not resolve here is not this host
            }
        }
        return false;
    }

    static Set<InetAddress> localAddresses() throws SocketException {
        Set<InetAddress> all = new HashSet<>();
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            all.addAll(Collections.list(ni.getInetAddresses()));
        }
        return all;
    }
}
