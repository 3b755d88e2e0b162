package dev.tandem.cluster.election;

import java.util.Locale;

/** Why a VIP changed state; the {@code reason} label of {@code tandem_vip_transitions_total}. */
public enum Reason {
    /** The node started: every VIP begins as backup. */
    STARTUP,
    /** No advert from a master for the master-down interval: the master is gone, or none was ever heard. */
    MASTER_DOWN,
    /** The master said it leaves (priority 0: stopped, handing over, or lost its witnesses). */
    PEER_RELEASED,
    /**
     * The master's process is gone (its side closed a connection to this node and refused the next), and its next
     * advert is overdue: see {@link VipElection#peerGone}.
     */
    PEER_GONE,
    /** The master said its node cannot serve, and this node can and is preferred over it. */
    PEER_FAULT,
    /** This node is preferred over the master and preempts it (after {@code preempt_delay}). */
    PREEMPT,
    /** A node with a higher priority (or an equal one and a higher address) holds the VIP. */
    HIGHER_PRIORITY,
    /** This node reaches none of its witnesses: it may be the isolated one. */
    WITNESS_LOST,
    /** Maintenance: a peer holds the VIP and has announced it. */
    HANDOVER,
    /** The node stops. */
    STOP;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
