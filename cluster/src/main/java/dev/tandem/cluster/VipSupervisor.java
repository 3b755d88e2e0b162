package dev.tandem.cluster;

import dev.tandem.cluster.election.ElectionSettings;
import dev.tandem.cluster.election.Reason;
import dev.tandem.cluster.election.VipElection;
import dev.tandem.cluster.election.VipState;
import dev.tandem.cluster.notify.NotifyHook;
import dev.tandem.cluster.vip.LinkState;
import dev.tandem.cluster.vip.VipController;
import dev.tandem.cluster.vip.VipDriver;
import dev.tandem.cluster.wire.Advert;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.VipConfig;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every VIP of this node: one election each, driven on the cluster loop by adverts, one timer and the node's
 * fitness (health, witnesses); and what each transition does to the address, through the VIP's
 * {@link VipController} and, for the moves that must lose no request, the {@link HandoverCoordinator}.
 */
final class VipSupervisor {

    private static final Logger log = LoggerFactory.getLogger(VipSupervisor.class);

    static final Duration DRIVER_RETRY = Duration.ofSeconds(1);
    /** keepalived's {@code garp_master_delay}: the second announcement round after becoming master. */
    static final Duration SECOND_ANNOUNCEMENT = Duration.ofSeconds(5);

    private final ClusterConfig config;
    private final String name;
    private final Map<String, byte[]> addresses;
    private final ClusterLoop loop;
    private final AdvertEndpoint adverts;
    private final ClusterMetrics metrics;
    private final LongSupplier nanoClock;
    private final Clock wallClock;
    private final Runnable publish;
    private final Map<String, VipRun> vips = new LinkedHashMap<>();
    private HandoverCoordinator handovers;
    private NotifyHook notify;
    private ScheduledFuture<?> timer;
    private long timerAt = Long.MAX_VALUE;
    private volatile boolean running;

    /**
     * @param addresses every node's address by name: ties between equal priorities go to the higher address
     * @param publish   makes the status readers see the latest state
     */
    VipSupervisor(ClusterConfig config, String name, Map<String, byte[]> addresses, ClusterLoop loop,
                  AdvertEndpoint adverts, ClusterMetrics metrics, LongSupplier nanoClock, Clock wallClock, Runnable publish) {
        this.config = config;
        this.name = name;
        this.addresses = addresses;
        this.loop = loop;
        this.adverts = adverts;
        this.metrics = metrics;
        this.nanoClock = nanoClock;
        this.wallClock = wallClock;
        this.publish = publish;
    }

    /** Creates every VIP's election and controller; the elections stay in init until {@link #startElections}. */
    void create(VipDriver driver, HandoverCoordinator handovers) {
        this.handovers = handovers;
        // A peer waits for its first sync for at most sync_wait (the cluster shares its config), and one
        // master-down interval more passes before it could claim.
        Duration peerWait = config.mirror().map(m -> m.syncWait()).orElse(VipElection.PEER_WAIT_LIMIT)
                .plus(config.advertInterval().multipliedBy(4));
        for (VipConfig vip : config.vips()) {
            int priority = ElectionSettings.priorityOf(name, vip.prefer());
            VipRun v = new VipRun(vip, metrics.vip(vip.address(), priority));
            v.controller = new VipController(vip, driver, new VipController.Listener() {
                @Override
                public void announced(boolean announced) {
                    loop.execute(() -> {
                        if (v.election != null) {
                            v.election.setAnnounced(nanoClock.getAsLong(), announced);
                            reschedule();
                        }
                    });
                }

                @Override
                public void claimHeard() {
                    loop.execute(() -> {
                        if (v.election != null) {
                            v.election.claimHeard(nanoClock.getAsLong());
                            reschedule();
                        }
                    });
                }

                @Override
                public void removed() {
                    loop.execute(() -> handovers.removed(v));
                }
            }, metrics.registry(), DRIVER_RETRY, SECOND_ANNOUNCEMENT, LinkState.system(), VipController.LINK_POLL,
                    config.advertInterval().multipliedBy(3));
            if (priority != 0) {
                v.election = new VipElection(new ElectionSettings(vip.address(), name, priority, config.advertInterval(),
                        config.preempt(), config.preemptDelay(), config.announceRefresh()), this::peerWinsTie,
                        new VipElection.Output() {
                    @Override
                    public void send(int p, int flags) {
                        adverts.send(vip.address(), p, flags);
                    }

                    @Override
                    public void transition(VipState from, VipState to, Reason reason) {
                        transitioned(v, from, to, reason);
                    }

                    @Override
                    public void reannounce(String claimer, String why) {
                        handovers.reannounce(v, claimer, why);
                    }

                    @Override
                    public void peerWaits(String peer, int p, boolean givenUp) {
                        if (givenUp) {
                            log.warn("VIP {}: {} (priority {}) still waits for its first sync after {} ms: no longer"
                                    + " holding off for it", vip.address(), peer, p, peerWait.toMillis());
                        } else {
                            log.info("VIP {}: {} (priority {}) waits for its first sync: no takeover while it does,"
                                    + " for at most {} ms", vip.address(), peer, p, peerWait.toMillis());
                        }
                    }
                });
                v.election.limitPeerWait(peerWait);
                if (!config.witnesses().isEmpty()) {
                    // No VIP before the witnesses' first verdict: an isolated node must not take one at start.
                    v.election.awaitWitnesses();
                }
            }
            vips.put(vip.address(), v);
        }
    }

    /** RFC 5798 gives a tie to the higher primary address, and so do we, with the node addresses of the config. */
    private boolean peerWinsTie(String peer) {
        byte[] mine = addresses.get(name);
        byte[] theirs = addresses.get(peer);
        if (mine == null || theirs == null) {
            return peer.compareTo(name) > 0;
        }
        int c = mine.length != theirs.length ? Integer.compare(theirs.length, mine.length)
                : Arrays.compareUnsigned(theirs, mine);
        return c != 0 ? c > 0 : peer.compareTo(name) > 0;
    }

    void notifyHook(NotifyHook hook) {
        this.notify = hook;
    }

    Collection<VipRun> all() {
        return vips.values();
    }

    boolean has(String vip) {
        return vips.containsKey(vip);
    }

    boolean running() {
        return running;
    }

    void running(boolean on) {
        running = on;
    }

    void publish() {
        publish.run();
    }

    /** At start, before any election: addresses and rules a previous run left behind go. */
    void removeLeftovers() {
        vips.values().forEach(v -> v.controller.removeLeftover());
    }

    /**
     * The elections wait in init for a gate (the mirror's first sync): meanwhile each tells its peers, when no
     * master is heard, that it will claim its VIP (see {@link VipElection#awaitGate}).
     */
    void awaitGate(boolean healthy) {
        long now = nanoClock.getAsLong();
        for (VipRun v : vips.values()) {
            if (v.election != null) {
                v.election.setHealthy(now, healthy);
                v.election.awaitGate(now);
            }
        }
        reschedule();
    }

    /** Every election from init to backup. */
    void startElections(boolean healthy) {
        if (!running) {
            return;
        }
        long now = nanoClock.getAsLong();
        for (VipRun v : vips.values()) {
            if (v.election != null) {
                v.election.setHealthy(now, healthy);
                v.election.start(now);
            }
        }
        reschedule();
    }

    /** Clean stop of every election: a master gives its VIP up with a priority-0 advert. */
    void stopElections() {
        long now = nanoClock.getAsLong();
        for (VipRun v : vips.values()) {
            if (v.election != null) {
                v.election.stop(now);
            }
        }
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** Waits for the address commands asked so far, until {@code deadline} ({@link System#nanoTime()}). */
    void closeControllers(long deadline) {
        for (VipRun v : vips.values()) {
            v.controller.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
    }

    /** An advert that passed the endpoint's checks. */
    void heard(Advert a) {
        VipRun v = vips.get(a.vip());
        if (v == null || v.election == null || !running) {
            return;
        }
        v.election.onAdvert(nanoClock.getAsLong(), a.node(), a);
        handovers.heard(v, a);
        reschedule();
    }

    void healthChanged(boolean healthy) {
        long now = nanoClock.getAsLong();
        for (VipRun v : vips.values()) {
            if (v.election != null) {
                v.election.setHealthy(now, healthy);
                v.gauges.priority(v.election.priority());
            }
        }
        reschedule();
    }

    /** {@code peer}'s process is gone (see {@link VipElection#peerGone}): the VIPs it is master of move sooner. */
    void peerGone(String peer) {
        long now = nanoClock.getAsLong();
        for (VipRun v : vips.values()) {
            if (v.election != null) {
                v.election.peerGone(now, peer);
            }
        }
        reschedule();
    }

    /** The mirror fell behind a reachable peer ({@code false}) or caught up: no preempting while behind. */
    void caughtUpChanged(boolean caughtUp) {
        long now = nanoClock.getAsLong();
        for (VipRun v : vips.values()) {
            if (v.election != null) {
                v.election.setCaughtUp(now, caughtUp);
            }
        }
        reschedule();
    }

    void witnessesChanged(boolean reached) {
        long now = nanoClock.getAsLong();
        for (VipRun v : vips.values()) {
            if (v.election != null) {
                v.election.setWitnessesReached(now, reached);
            }
        }
        reschedule();
    }

    private void transitioned(VipRun v, VipState from, VipState to, Reason reason) {
        v.gauges.state(to);
        v.lastTransition = wallClock.instant();
        v.lastReason = reason;
        if (to == VipState.MASTER) {
            // Status first: whoever sees the address move must also see why. Then the address, before the count
            // and the log line: nothing the takeover's first gratuitous ARP need not wait for comes before it (a
            // backup's first takeover runs code this JVM never ran, and the first count of a transition registers
            // its meter).
            publish.run();
            handovers.becameMaster(v, reason);
        }
        metrics.transition(v.address(), from, to, reason);
        if (from == VipState.MASTER || to == VipState.MASTER) {
            log.info("VIP {}: {} -> {} ({})", v.address(), from, to, reason.label());
        } else {
            log.debug("VIP {}: {} -> {} ({})", v.address(), from, to, reason.label());
        }
        if (to != VipState.MASTER) {
            if (from == VipState.MASTER) {
                handovers.leftMaster(v);
            }
            // status first: whoever sees the address move must also see why
            publish.run();
            if (reason == Reason.HANDOVER) {
                handovers.handedOver(v);
            } else if (reason == Reason.HIGHER_PRIORITY) {
                handovers.stepAside(v);
            } else if (from == VipState.MASTER || to == VipState.INIT) {
                handovers.released(v);
            }
        }
        if (notify != null) {
            notify.notify(v.address(), to.name(), reason.label());
        }
    }

    /** Arms the one timer for the earliest deadline of any election, and publishes the status. */
    void reschedule() {
        if (!running) {
            return;
        }
        publish.run();
        long next = Long.MAX_VALUE;
        for (VipRun v : vips.values()) {
            if (v.election != null) {
                next = Math.min(next, v.election.nextDeadline());
            }
        }
        if (timer != null && timerAt == next) {
            return;
        }
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        timerAt = next;
        if (next != Long.MAX_VALUE) {
            long delay = Math.max(0, next - nanoClock.getAsLong());
            timer = loop.schedule(this::fire, delay, TimeUnit.NANOSECONDS);
        }
    }

    private void fire() {
        timer = null;
        timerAt = Long.MAX_VALUE;
        if (!running) {
            return;
        }
        long now = nanoClock.getAsLong();
        for (VipRun v : vips.values()) {
            if (v.election != null && v.election.nextDeadline() - now <= 0) {
                v.election.tick(now);
            }
        }
        reschedule();
    }

    /** Every VIP as this node sees it now. */
    List<ClusterStatus.VipStatus> status() {
        long now = nanoClock.getAsLong();
        List<ClusterStatus.VipStatus> list = new ArrayList<>();
        for (VipRun v : vips.values()) {
            Map<String, ClusterStatus.PeerStatus> peerStatus = new LinkedHashMap<>();
            VipElection e = v.election;
            if (e != null) {
                e.peers().forEach((peer, p) -> peerStatus.put(peer, new ClusterStatus.PeerStatus(p.priority(),
                        (p.flags() & Advert.MASTER) != 0, (p.flags() & Advert.ANNOUNCED) != 0,
                        (p.flags() & Advert.MAINTENANCE) != 0, (p.flags() & Advert.FAULT) != 0,
                        TimeUnit.NANOSECONDS.toMillis(now - p.heardAt()))));
            }
            list.add(new ClusterStatus.VipStatus(v.address(), v.vip.prefixLength(), v.vip.iface(), e != null,
                    e == null ? VipState.INIT.name() : e.state().name(), e == null ? null : e.master(),
                    e == null ? 0 : e.priority(), peerStatus, v.lastTransition,
                    v.lastReason == null ? null : v.lastReason.label(), v.controller.present(),
                    e != null && e.announced()));
        }
        return list;
    }
}
