package dev.tandem.cluster;

import dev.tandem.cluster.election.Reason;
import dev.tandem.cluster.election.VipElection;
import dev.tandem.cluster.election.VipState;
import dev.tandem.cluster.vip.VipDrain;
import dev.tandem.cluster.wire.Advert;
import dev.tandem.conf.VipConfig;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves of a VIP that lose no request: maintenance ({@link #handover}, {@link #resume}), the old holder's drain
 * (the address stays, unannounced, until what is in flight is done), and the new holder passing on the segments
 * of the old holder's connections while it drains. On the cluster loop only.
 */
final class HandoverCoordinator {

    private static final Logger log = LoggerFactory.getLogger(HandoverCoordinator.class);

    /** After a peer took a VIP over and announced it, how long the old holder still keeps the address. */
    static final Duration HANDOVER_QUIET = Duration.ofSeconds(3);
    /**
     * The longest the old holder waits for requests in flight after the quiet time, unless the node is given
     * another limit (its {@code shutdown.drain_timeout}).
     */
    static final Duration HANDOVER_DRAIN_MAX = Duration.ofSeconds(10);
    /**
     * How long past the old holder's longest drain (quiet time + drain limit) the new holder keeps
     * passing its connections on to it when the old holder's report that it released never comes.
     */
    static final Duration FORWARD_SLACK = Duration.ofSeconds(5);
    /**
     * The longest a master that steps aside for a more preferred one keeps answering ARP while that one has not
     * announced the VIP. Its round goes out only after it has set up the passing on of this node's connections,
     * which on a busy host took over a second in the lab (a returning master's link flap); a node that went quiet
     * sooner left a neighbour that asked with no answer from either. Clients sent here meanwhile are served.
     */
    static final Duration ANNOUNCE_WAIT = Duration.ofSeconds(5);

    private final VipSupervisor vips;
    private final ClusterLoop loop;
    private final AdvertEndpoint adverts;
    private final LongSupplier nanoClock;
    private final Duration advertInterval;
    private final Duration handoverQuiet;
    private final VipDrain drain;
    private final Map<String, byte[]> addresses;
    // Written on the loop; read by the meter registry's scrapes too.
    private volatile boolean maintenance;
    private CompletableFuture<Void> handover;
    private ScheduledFuture<?> handoverWatch;
    /** While a VIP drains here or is forwarded to its old holder: drain reports out, forwarding timed out. */
    private ScheduledFuture<?> drainTick;

    /** @param addresses every node's address, by name: where segments go on to */
    HandoverCoordinator(VipSupervisor vips, ClusterLoop loop, AdvertEndpoint adverts, LongSupplier nanoClock,
                        Duration advertInterval, Duration handoverQuiet, VipDrain drain,
                        Map<String, byte[]> addresses) {
        this.vips = vips;
        this.loop = loop;
        this.adverts = adverts;
        this.nanoClock = nanoClock;
        this.advertInterval = advertInterval;
        this.handoverQuiet = handoverQuiet;
        this.drain = drain;
        this.addresses = addresses;
    }

    boolean maintenance() {
        return maintenance;
    }

    // ------------------------------------------------------------------ maintenance

    /** Maintenance on; {@code f} completes when every VIP has been taken, drained, and removed here. */
    void handover(CompletableFuture<Void> f) {
        if (handover == null || handover.isDone()) {
            handover = new CompletableFuture<>();
        }
        handover.whenComplete((ok, e) -> {
            if (e != null) {
                f.completeExceptionally(e);
            } else {
                f.complete(null);
            }
        });
        if (!maintenance) {
            log.info("cluster: handover: giving every VIP away, then staying out of elections");
        }
        maintenance = true;
        long now = nanoClock.getAsLong();
        for (VipRun v : vips.all()) {
            v.controller.stopAnnouncing();
            if (v.election != null) {
                v.election.setMaintenance(now, true);
            }
        }
        vips.reschedule();
        checkHandover();
        if (!handover.isDone() && handoverWatch == null) {
            handoverWatch = loop.every(this::checkHandover, 50, TimeUnit.MILLISECONDS);
        }
    }

    /** Maintenance off: the node takes part in elections again (and may preempt, after preempt_delay). */
    void resume() {
        if (maintenance) {
            log.info("cluster: resumed: taking part in elections again");
        }
        maintenance = false;
        long now = nanoClock.getAsLong();
        for (VipRun v : vips.all()) {
            if (v.election != null) {
                v.election.setMaintenance(now, false);
            }
        }
        if (handover != null && !handover.isDone()) {
            handover.completeExceptionally(new IllegalStateException("resumed before the handover completed"));
        }
        stopHandoverWatch();
        vips.reschedule();
    }

    /** The VIPs this node still holds while a handover is under way (empty when none is). */
    List<String> pending() {
        return handover != null && !handover.isDone() ? stillHeld() : List.of();
    }

    private List<String> stillHeld() {
        List<String> held = new ArrayList<>();
        for (VipRun v : vips.all()) {
            boolean master = v.election != null && v.election.state() == VipState.MASTER;
            if (master || v.controller.wanted() || v.controller.present()) {
                held.add(v.address());
            }
        }
        return held;
    }

    private void checkHandover() {
        if (handover == null || handover.isDone()) {
            stopHandoverWatch();
            return;
        }
        if (stillHeld().isEmpty()) {
            log.info("cluster: handover complete: this node holds no VIP");
            vips.publish();
            handover.complete(null);
            stopHandoverWatch();
        }
    }

    private void stopHandoverWatch() {
        if (handoverWatch != null) {
            handoverWatch.cancel(false);
            handoverWatch = null;
        }
    }

    // ------------------------------------------------------------------ transitions and adverts

    /** {@code v} became master here: hold the address, passing on the segments of an old holder that drains. */
    void becameMaster(VipRun v, Reason reason) {
        v.steppingAside.end();
        // (A node taking back a VIP it still drains keeps its own connections: the driver counts them in.)
        String oldHolder = takingFrom(v, reason);
        InetAddress at = oldHolder == null ? null : forwardable(v.vip, oldHolder);
        if (at != null) {
            v.forwardingTo = oldHolder;
            v.forwardingSince = nanoClock.getAsLong();
            v.controller.holdFrom(at);
            armDrainTick();
        } else {
            v.controller.hold();
        }
    }

    /**
     * The election wants {@code v} announced again, as master. When a peer that claims it too steps down, it
     * drains like a master that was preempted: segments of its connections that reach this host go on to it
     * (as after a takeover from it) until it reports the address released, goes silent, or its longest drain
     * is over.
     */
    void reannounce(VipRun v, String claimer, String why) {
        InetAddress at = claimer == null || claimer.equals(v.forwardingTo) ? null : forwardable(v.vip, claimer);
        if (at == null) {
            v.controller.reannounce(why, claimer != null);
            return;
        }
        v.forwardingTo = claimer;
        v.forwardingSince = nanoClock.getAsLong();
        v.controller.reannounceFrom(at, why);
        armDrainTick();
    }

    /** A peer took {@code v} over in a handover and announced it: drain, then release. */
    void handedOver(VipRun v) {
        v.controller.releaseWhenDrained(handoverQuiet, drain);
        v.draining = true;
        v.newDrain();
        adverts.send(v.address(), 0, drainFlags(v, Advert.DRAINING));
        armDrainTick();
    }

    /**
     * A more preferred master took {@code v}: as after a handover, the address stays while what is in flight
     * here drains (the new master passes on the segments of those connections that reach it), but ARP is
     * still answered here until the new master has announced the address after it could have heard of this
     * node's mastership ({@link dev.tandem.cluster.election.AnnouncementWait}; the advert that made this node
     * step aside comes to {@link #heard} next), so that no neighbour asking in between goes unanswered. Then (or
     * after {@link #ANNOUNCE_WAIT} without that announcement) the drain.
     */
    void stepAside(VipRun v) {
        v.controller.stepAside();
        v.draining = true;
        v.steppingAside.begin(nanoClock.getAsLong());
        // A new drain, even when the last one is not over (taken back meanwhile): the master must hear that this
        // node was master again, and answer it, even if each of the claims of that mastership was lost.
        v.newDrain();
        adverts.send(v.address(), 0, drainFlags(v, Advert.DRAINING));
        armDrainTick();
    }

    /** {@code v} is no longer this node's, for any other reason: the address goes at once. */
    void released(VipRun v) {
        v.steppingAside.end();
        v.controller.release();
    }

    /** Only a master passes segments on: the clients are moving to the new one, which passes on itself. */
    void leftMaster(VipRun v) {
        endForwarding(v, "no longer master");
    }

    /** An advert about {@code v}, after its election heard it. */
    void heard(VipRun v, Advert a) {
        if (a.node().equals(v.forwardingTo) && a.has(Advert.RELEASED)) {
            endForwarding(v, a.node() + " drained and released it");
        }
        if (v.steppingAside.heard(a.node(), a)) {
            drainAfterSteppingAside(v, a.node() + " announced it since it heard this node");
        }
        if (handover != null && !handover.isDone()) {
            checkHandover();
        }
    }

    /** The address of a VIP this node handed over is off now: the new holder can stop passing segments on. */
    void removed(VipRun v) {
        if (v.draining) {
            v.draining = false;
            if (vips.running()) {
                adverts.send(v.address(), 0, drainFlags(v, Advert.RELEASED));
            }
        }
    }

    /** The node stops: no more timers; a VIP still draining is removed now, and the new holder told so. */
    void stop() {
        stopHandoverWatch();
        if (drainTick != null) {
            drainTick.cancel(false);
            drainTick = null;
        }
        for (VipRun v : vips.all()) {
            if (v.draining) {
                // The stop removes the address now: the new holder need not pass anything on any more.
                v.draining = false;
                adverts.send(v.address(), 0, drainFlags(v, Advert.RELEASED));
            }
        }
        if (handover != null && !handover.isDone()) {
            handover.completeExceptionally(new IllegalStateException("the node stopped"));
        }
    }

    // ------------------------------------------------------------------ drain and forwarding

    /**
     * The peer that handed {@code v} over, when this node takes it from one: its last advert, fresh, said it is
     * master, in maintenance, with priority 0. Null after a crash, a clean stop or a lost witness: those peers
     * keep no connection worth passing anything on to.
     */
    private String handingOver(VipRun v) {
        long now = nanoClock.getAsLong();
        for (Map.Entry<String, VipElection.Peer> e : v.election.peers().entrySet()) {
            VipElection.Peer p = e.getValue();
            if (p.priority() == 0 && (p.flags() & (Advert.MASTER | Advert.MAINTENANCE)) == (Advert.MASTER | Advert.MAINTENANCE)
                    && now - p.heardAt() < forwardSilence()) {
                return e.getKey();
            }
        }
        return null;
    }

    /**
     * The peer this node takes {@code v} from that keeps its connections and drains them, or null. Handed over
     * (see {@link #handingOver}), or a master that steps aside: preempted, or taken from because its node
     * cannot serve (it stays up, and {@link #stepAside drains} like a node that handed over).
     */
    private String takingFrom(VipRun v, Reason reason) {
        return switch (reason) {
            case PEER_RELEASED -> handingOver(v);
            case PREEMPT, PEER_FAULT -> liveMaster(v);
            default -> null;
        };
    }

    /** The peer heard last saying it is master of {@code v}, if that was recent; else null. */
    private String liveMaster(VipRun v) {
        long now = nanoClock.getAsLong();
        String found = null;
        long heard = Long.MIN_VALUE;
        for (Map.Entry<String, VipElection.Peer> e : v.election.peers().entrySet()) {
            VipElection.Peer p = e.getValue();
            if (p.priority() > 0 && (p.flags() & Advert.MASTER) != 0 && now - p.heardAt() < forwardSilence()
                    && (found == null || p.heardAt() - heard > 0)) {
                found = e.getKey();
                heard = p.heardAt();
            }
        }
        return found;
    }

    private void drainAfterSteppingAside(VipRun v, String why) {
        v.steppingAside.end();
        log.info("VIP {}: {}; draining, then releasing it", v.address(), why);
        v.controller.releaseWhenDrained(handoverQuiet, drain);
    }

    /** The old holder's address to pass segments on to: IPv4 VIPs and node addresses only. */
    private InetAddress forwardable(VipConfig vip, String peer) {
        byte[] a = addresses.get(peer);
        if (a == null || a.length != 4 || vip.address().indexOf(':') >= 0) {
            return null;
        }
        try {
            return InetAddress.getByAddress(a);
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    /**
     * How long the new holder goes without a word from a draining old holder before it counts it gone: a few
     * adverts, and never less than 2 s, since a node busy handing over may miss a beat (forwarding to a node
     * that died a moment longer costs nothing: its connections are dead either way).
     */
    private long forwardSilence() {
        return Math.max(TimeUnit.SECONDS.toNanos(2), 5 * advertInterval.toNanos());
    }

    private int drainFlags(VipRun v, int flag) {
        return v.drainReport(flag) | (maintenance ? Advert.MAINTENANCE : 0);
    }

    private void endForwarding(VipRun v, String why) {
        if (v.forwardingTo == null) {
            return;
        }
        log.info("VIP {}: no more forwarding to {}: {}", v.address(), v.forwardingTo, why);
        v.forwardingTo = null;
        v.controller.stopForwarding();
    }

    private void armDrainTick() {
        if (drainTick == null && vips.running()) {
            long every = Math.max(50, advertInterval.toMillis());
            drainTick = loop.every(this::drainTick, every, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Every advert interval while a handover drains: the old holder reports that it still drains (the new holder
     * counts it gone when the reports stop), and the new holder ends a forwarding whose old holder went silent
     * or drains for longer than any drain lasts.
     */
    private void drainTick() {
        long now = nanoClock.getAsLong();
        boolean busy = false;
        for (VipRun v : vips.all()) {
            if (v.steppingAside.expired(now)) {
                drainAfterSteppingAside(v, "the new master did not announce it within "
                        + ANNOUNCE_WAIT.toMillis() + " ms");
            } else if (v.steppingAside.waiting()) {
                busy = true;
            }
            if (v.draining) {
                if (v.controller.wanted()) {
                    v.draining = false; // held again (resumed and preempted) before the drain ended
                } else {
                    adverts.send(v.address(), 0, drainFlags(v, Advert.DRAINING));
                    busy = true;
                }
            }
            if (v.forwardingTo != null && v.election != null) {
                VipElection.Peer p = v.election.peers().get(v.forwardingTo);
                long limit = handoverQuiet.plus(drain.limit()).plus(FORWARD_SLACK).toNanos();
                if (p == null || now - p.heardAt() > forwardSilence()) {
                    endForwarding(v, "not heard for " + TimeUnit.NANOSECONDS.toMillis(forwardSilence()) + " ms");
                } else if (now - v.forwardingSince > limit) {
                    endForwarding(v, "still draining after " + TimeUnit.NANOSECONDS.toSeconds(limit) + " s");
                } else {
                    busy = true;
                }
            }
        }
        if (!busy && drainTick != null) {
            drainTick.cancel(false);
            drainTick = null;
        }
    }
}
