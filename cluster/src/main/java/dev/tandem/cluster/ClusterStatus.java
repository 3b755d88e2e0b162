package dev.tandem.cluster;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What {@code tandem status} and the admin's {@code /status} show about the cluster, as seen by this node.
 *
 * @param maintenance      the node is handing its VIPs over or has handed them over, and takes part in no
 *                         election until resumed or restarted
 * @param handoverPending  VIPs this node still holds during a handover (waiting for a peer, or draining)
 * @param witnessesReached true once a witness answers (or none is configured); false while cut off, and
 *                         while the first verdict is still pending
 * @param witnessVerdict   {@code pending} (just started, no verdict yet: no VIP is taken), {@code reached} or
 *                         {@code cut-off}
 */
public record ClusterStatus(String node, boolean maintenance, List<String> handoverPending, boolean healthy,
                            String healthReason, boolean witnessesReached, String witnessVerdict,
                            List<String> witnesses, List<VipStatus> vips) {

    public ClusterStatus {
        handoverPending = List.copyOf(handoverPending);
        witnesses = List.copyOf(witnesses);
        vips = List.copyOf(vips);
    }

    /** With the verdict that {@code witnessesReached} says, once it is in. */
    public ClusterStatus(String node, boolean maintenance, List<String> handoverPending, boolean healthy,
                         String healthReason, boolean witnessesReached, List<String> witnesses, List<VipStatus> vips) {
        this(node, maintenance, handoverPending, healthy, healthReason, witnessesReached,
                witnessesReached ? "reached" : "cut-off", witnesses, vips);
    }

    /**
     * One VIP.
     *
     * @param state          MASTER, BACKUP or INIT ({@code candidate} false: this node is not in {@code prefer})
     * @param holder         the node holding it as far as this node knows, or null
     * @param priority       this node's priority now (1 while its health says it cannot serve)
     * @param peers          what each peer last advertised for it
     * @param lastTransition when it last changed state on this node, and {@code lastReason} why
     * @param addressPresent whether the address is on this node's interface
     * @param announced      whether this node has announced it (gratuitous ARP done)
     */
    public record VipStatus(String vip, int prefixLength, String iface, boolean candidate, String state,
                            String holder, int priority, Map<String, PeerStatus> peers, Instant lastTransition,
                            String lastReason, boolean addressPresent, boolean announced) {
        public VipStatus {
            peers = Map.copyOf(peers);
        }
    }

    /** A peer's last advert for a VIP, {@code ageMillis} ago. */
    public record PeerStatus(int priority, boolean master, boolean announced, boolean maintenance, boolean fault,
                             long ageMillis) {
    }
}
