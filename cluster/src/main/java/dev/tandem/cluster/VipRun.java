package dev.tandem.cluster;

import dev.tandem.cluster.election.AnnouncementWait;
import dev.tandem.cluster.election.Reason;
import dev.tandem.cluster.election.VipElection;
import dev.tandem.cluster.vip.VipController;
import dev.tandem.cluster.wire.Advert;
import dev.tandem.conf.VipConfig;
import java.time.Instant;

/**
 * One VIP on this node: its election (null when this node is not in its {@code prefer}), the controller of its
 * address, its gauges, and where a move of it stands. Lives on the cluster loop.
 */
final class VipRun {

    final VipConfig vip;
    final ClusterMetrics.VipGauges gauges;
    VipElection election;
    VipController controller;
    Instant lastTransition;
    Reason lastReason;
    /** Handed over, the address still here: {@code DRAINING} reports go to the new holder. */
    boolean draining;
    /** Which of two alternating drains the reports are about ({@link Advert#DRAIN_PARITY}); flips with each drain. */
    boolean drainParity;
    /**
     * While a more preferred master that took the VIP over has not announced it since it could have heard of this
     * node's mastership: the address stays here, answering ARP, until it has (then the drain of a handover follows).
     */
    final AnnouncementWait steppingAside = new AnnouncementWait(HandoverCoordinator.ANNOUNCE_WAIT.toNanos());
    /** Taken over from this peer, which drains: segments of its connections are passed on to it. */
    String forwardingTo;
    long forwardingSince;

    VipRun(VipConfig vip, ClusterMetrics.VipGauges gauges) {
        this.vip = vip;
        this.gauges = gauges;
    }

    /** A drain of this VIP begins here (a handover, a step-aside): its reports say it is not the last one. */
    void newDrain() {
        drainParity = !drainParity;
    }

    /** The flags of a report ({@link Advert#DRAINING} or {@link Advert#RELEASED}) on this VIP's drain. */
    int drainReport(int flag) {
        return flag | (drainParity ? Advert.DRAIN_PARITY : 0);
    }

    String address() {
        return vip.address();
    }
}
