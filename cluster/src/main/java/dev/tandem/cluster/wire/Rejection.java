package dev.tandem.cluster.wire;

import java.util.Locale;

/** Why a received packet was dropped; the {@code reason} label of {@code tandem_cluster_adverts_total}. */
public enum Rejection {
    /**
     * Shorter than its fields say, with bytes after its MAC, or with fields that cannot go together (a presence
     * advert about a VIP, or with a priority or other flags).
     */
    MALFORMED,
    /** Not a Tandem cluster packet, or from another version. */
    FOREIGN,
    /** The MAC does not match: forged, corrupted, or made with another secret. */
    BAD_MAC,
    /** Not newer than the last packet from the same node: replayed (or reordered). */
    REPLAY,
    /** From a node that is not in {@code cluster.nodes}, or claiming to be this node. */
    UNKNOWN_NODE,
    /**
     * Claiming to be a node of {@code cluster.nodes} but sent from another address than the one {@code cluster.nodes}
     * gives that node: a peer whose secret leaked, a misconfigured peer, or a packet relayed from elsewhere.
     */
    WRONG_SOURCE,
    /** About a VIP this node does not have. */
    UNKNOWN_VIP;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
