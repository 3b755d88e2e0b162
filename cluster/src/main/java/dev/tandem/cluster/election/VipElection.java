package dev.tandem.cluster.election;

import dev.tandem.cluster.wire.Advert;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The RFC 5798 state machine (section 6.4) of one VIP on this node, as pure logic: time comes in as a
 * {@code now} in nanoseconds (any monotonic origin), adverts to send and state changes go out through
 * {@link Output}. Not thread-safe: the cluster drives it from its one event loop; tests drive it with a
 * clock of their own.
 *
 * <p>Beyond the RFC, three things can make a node unfit to hold the VIP, each handled its own way:
 * <ul>
 * <li>Health: a node that cannot serve advertises {@link ElectionSettings#FAULT_PRIORITY} with the
 *     {@link Advert#FAULT} flag. A healthy, more preferred backup treats that like a priority-0 advert and
 *     takes over after the skew time, whatever {@code preempt} says: a sick master is not a master worth
 *     keeping. With no healthy peer the sick node keeps the VIP, which still beats no one holding it.</li>
 * <li>Witnesses: a node that reaches none of its witnesses may be the isolated one, and a VIP held on both
 *     sides is the split brain the witnesses exist to prevent: it releases at once (priority 0) and never
 *     becomes master while the witnesses stay out of reach. A node with witnesses starts with their verdict
 *     {@link #awaitWitnesses() pending}: it listens as a backup, but its master-down timer starts only once the
 *     verdict is in, so it takes no VIP before it knows it reaches a witness and has listened for its peers
 *     for a whole master-down interval after that.</li>
 * <li>Maintenance (handover): a master keeps the VIP, and keeps serving, while it advertises priority 0 with
 *     {@link Advert#MAINTENANCE}; a peer takes over after a skew time stretched to a whole advert interval per
 *     place in {@code prefer} (nobody waits for it, and the most preferred backup must win), and only once that peer's adverts
 *     say it is master and has {@link Advert#ANNOUNCED} the address does this node step down. Until
 *     {@link #setMaintenance resume} it takes part in no election, even with preemption on.</li>
 * </ul>
 *
 * <p>Held back at start by a gate of the caller's ({@link #awaitGate}: the mirror's first sync), a node is in init, and a
 * backup is silent in RFC 5798: a less preferred peer that started with no such gate, or whose gate opened sooner,
 * heard nothing for its master-down interval, took the VIP and announced it, and gave it back a moment later when
 * this node's adverts came. So a node that waits, and hears no master, says so once it has listened for one
 * advert interval, and every interval after that: a <em>waiting advert</em>, its priority without {@link
 * Advert#MASTER} (nor a drain flag). A backup it outranks that knows no master holds its master-down timer off
 * as for a master's advert, for at most {@link #limitPeerWait} from the first one, logged both ways through
 * {@link Output#peerWaits}: a peer stuck in its gate never keeps the VIP unheld for longer. A master ignores
 * waiting adverts: a node that waits takes nothing, and preempts, if at all, once it is a backup. When the gate
 * opens, a node that was sending them sends one more at once, so its peers' timers run from then, and the skew
 * time orders the takeover as at any cold start.
 *
 * <p>{@code preempt_delay}: a node that has just become able to hold the VIP (started, healthy again,
 * witnesses back, maintenance over) does not preempt a less preferred master until it has stayed able for
 * that long, so that a flapping node does not pull the VIP back and forth. It never delays taking over from
 * a master that is gone.
 *
 * <p>A master whose process dies (SIGKILL, an OOM kill, a crash) is known to be gone long before three adverts are
 * missed: its kernel closes its TCP connections at once and refuses new ones, and the peer that sees both
 * ({@link #peerGone}) takes over once the master's next advert is overdue by half an interval (plus the skew,
 * which keeps the order of backups) rather than after the whole master-down interval. An advert heard after that
 * fact puts the whole interval back, so a master that still advertises is never taken over by it; a partition, a
 * frozen process or a dead box close nothing, and the RFC's timer applies.
 *
 * <p>Announcing again: a master whose clients may have been drawn away tells them again where the address is,
 * through {@link Output#reannounce}. That is when it hears a peer that claims the VIP too and is outranked (a
 * peer back from a link flap or a healed partition, which took the VIP meanwhile and announced it), or that
 * reports a drain of the VIP without having handed it over (it heard this node first and stepped down; each new
 * drain, told apart from the last by {@link Advert#DRAIN_PARITY}, whatever was lost in between), and,
 * when {@link ElectionSettings#announceRefresh} is set, every that long. At most one such round per
 * {@link #reannounceSpacing}: a round repeats its announcements once a second for a few seconds (arping's
 * spacing), so another round started sooner would only restart it; a claim heard meanwhile is answered when
 * the spacing is over.
 *
 * <p>A claim also ends what the adverts say of the announcement ({@link Advert#ANNOUNCED}): the neighbours may
 * have been drawn to the claimer after this node's last round, and the claimer, stepping down, answers ARP for the
 * address until this node says it announced it after hearing the claim (a healed partition: a master that never
 * lost its link said so on the strength of its takeover's round, and the peer went quiet before the new round
 * landed). One exception: the first drain of the master this node took the VIP from (preempted, unfit) is the
 * step-aside of this takeover, whose own round came after that peer's last one.
 */
public final class VipElection {

    /** Where the election's decisions go. Called on the thread that called the election. */
    public interface Output {
        /** Send an advert for this VIP, with this priority and these {@link Advert} flags, to every peer. */
        void send(int priority, int flags);

        /** The VIP went from {@code from} to {@code to}. */
        void transition(VipState from, VipState to, Reason reason);

        /**
         * This node is master and holds the VIP: announce it again (a new round of gratuitous ARP or unsolicited
         * neighbour advertisements), since a neighbour may have been told otherwise. {@code claimer} is the peer
         * that claimed the VIP too (it steps down, and drains what its clients still send it), or null for a
         * refresh; {@code why} is for the log. For each call with a claimer, the caller reports
         * {@link #claimHeard} once, when the address driver learns of it, then {@link #setAnnounced} true once a
         * round has gone out after that.
         */
        default void reannounce(String claimer, String why) {
        }

        /**
         * {@code peer}, preferred over this node, sends waiting adverts while no master is known: this node holds
         * off its takeover ({@code givenUp} false, once per wait), or has done so for {@link #limitPeerWait} and
         * takes no more notice of them ({@code givenUp} true, once).
         */
        default void peerWaits(String peer, int priority, boolean givenUp) {
        }
    }

    /** What this node last heard from a peer about this VIP. */
    public record Peer(int priority, int flags, long heardAt) {
    }

    private static final long NEVER = Long.MAX_VALUE;
    private static final long SECOND = 1_000_000_000L;
    /** The longest a backup holds off for a peer's waiting adverts unless told otherwise: the mirror's default {@code sync_wait}. */
    public static final Duration PEER_WAIT_LIMIT = Duration.ofSeconds(30);

    private final ElectionSettings settings;
    private final long advertNanos;
    private final long preemptDelayNanos;
    private final long refreshNanos;
    private final long reannounceSpacing;
    private final Predicate<String> peerWinsTie;
    private final Output out;
    private final Map<String, Peer> peers = new LinkedHashMap<>();

    private VipState state = VipState.INIT;
    private long masterAdvertNanos;
    private long masterDownAt = NEVER;
    private Reason downReason = Reason.MASTER_DOWN;
    private long advertAt = NEVER;
    private boolean healthy = true;
    private boolean witnessesReached = true;
    /** The witnesses' verdict is not in yet: no master-down timer runs, and the node cannot hold the VIP. */
    private boolean witnessesPending;
    private boolean maintenance;
    /** The mirror holds what every reachable peer holds (always true without a mirror). */
    private boolean caughtUp = true;
    private boolean announced;
    /**
     * While master: a peer's claim was heard, and the address driver has not heard of it yet (it is due, or
     * {@link #claimsUnheard} is not zero): a round it reports as gone out may have left before the claim, so it does
     * not make the adverts say {@link Advert#ANNOUNCED}.
     */
    private boolean claimUnanswered;
    /**
     * Claims passed on through {@link Output#reannounce} that the address driver has not said it heard of yet
     * ({@link #claimHeard}). Counted, not flagged: another "not announced" (a link lost, a round that failed) is no
     * answer to a claim, and the driver's answer to one claim may come after the next claim was heard.
     */
    private int claimsUnheard;
    /**
     * The master this node took the VIP from as it stepped aside (preempted, or unfit to serve), until that peer's
     * first drain is heard: that drain is the step-aside this node's takeover caused, after that peer's last
     * announcement, so the takeover's own round already answers it.
     */
    private String takenFrom;
    private long ableSince;
    private String master;
    private Reason lastReason;
    /** While master: no round of {@link Output#reannounce} before this. */
    private long reannounceAfter;
    /** While master: a claim was heard within the spacing; a round is due at {@link #reannounceAfter}. */
    private boolean reannounceDue;
    /** The peer whose claim made {@link #reannounceDue}. */
    private String claimer;
    private long refreshAt = NEVER;
    /** Held in init by the caller's gate ({@link #awaitGate}). */
    private boolean gated;
    /** While gated: the next waiting advert, unless a master is heard. */
    private long waitAdvertAt = NEVER;
    /** A waiting advert went out in this gate: the gate's end sends one more. */
    private boolean waitAdvertised;
    /** When a master's advert was last heard; meaningful only when {@link #masterHeard} is true. */
    private long masterHeardAt;
    private boolean masterHeard;
    private long peerWaitLimit = PEER_WAIT_LIMIT.toNanos();
    /** Since when each peer sends waiting adverts, in its current wait. */
    private final Map<String, Long> waitingSince = new HashMap<>();
    /** The peers whose wait ran past the limit: no more notice taken until they send something else. */
    private final Set<String> waitIgnored = new HashSet<>();

    /**
     * @param peerWinsTie true when the named peer wins a tie of priorities: RFC 5798 gives the VIP to the
     *                    higher primary address, and so do we, with the node addresses from the config
     */
    public VipElection(ElectionSettings settings, Predicate<String> peerWinsTie, Output out) {
        this.settings = settings;
        this.advertNanos = settings.advertInterval().toNanos();
        this.preemptDelayNanos = settings.preemptDelay().toNanos();
        this.refreshNanos = settings.announceRefresh().toNanos();
        this.reannounceSpacing = Math.max(SECOND, advertNanos);
        this.peerWinsTie = peerWinsTie;
        this.out = out;
        this.masterAdvertNanos = advertNanos;
    }

    // ---------------------------------------------------------------- events

    /**
     * Before {@link #start}: this node has witnesses and their first verdict is not in. Until
     * {@link #setWitnessesReached} gives it, the node takes no VIP and its master-down timer does not run.
     */
    public void awaitWitnesses() {
        if (state == VipState.INIT) {
            witnessesPending = true;
        }
    }

    /**
     * Before {@link #start}: the caller holds the election in init until a gate of its opens (the mirror's first
     * sync). Meanwhile, after listening for one advert interval, this node sends a waiting advert every interval
     * while it hears no master, so that a less preferred peer does not take the VIP only to give it back.
     */
    public void awaitGate(long now) {
        if (state == VipState.INIT && !gated) {
            gated = true;
            waitAdvertAt = now + advertNanos;
        }
    }

    /** The longest this node holds off its takeover for a peer's waiting adverts (see {@link #awaitGate}). */
    public void limitPeerWait(Duration limit) {
        this.peerWaitLimit = limit.toNanos();
    }

    /** Whether the witnesses' first verdict is still awaited. */
    public boolean witnessesPending() {
        return witnessesPending;
    }

    /**
     * Startup event: Initialize -> Backup. No priority here is 255, so no node goes straight to master. The
     * master-down timer starts now, or when the witnesses' verdict comes in if it is still
     * {@link #awaitWitnesses pending}.
     */
    public void start(long now) {
        if (state != VipState.INIT) {
            return;
        }
        ableSince = now;
        masterAdvertNanos = advertNanos;
        masterDownAt = witnessesPending ? NEVER : now + masterDownInterval();
        downReason = Reason.MASTER_DOWN;
        boolean lastWaitAdvert = gated && waitAdvertised && !masterKnown(now) && healthy;
        gated = false;
        waitAdvertAt = NEVER;
        waitAdvertised = false;
        move(VipState.BACKUP, Reason.STARTUP);
        if (lastWaitAdvert) {
            // The peers held off for this node: their timers run from now on, longer than this node's own.
            out.send(priority(), 0);
        }
    }

    /** Shutdown event: a master sends priority 0 so that a backup takes over after its skew time. */
    public void stop(long now) {
        if (state == VipState.MASTER) {
            out.send(0, flags() & ~Advert.MASTER);
        }
        masterDownAt = NEVER;
        advertAt = NEVER;
        gated = false;
        waitAdvertAt = NEVER;
        if (state != VipState.INIT) {
            move(VipState.INIT, Reason.STOP);
        }
    }

    /**
     * An authenticated, fresh advert about this VIP from another node. A {@link Advert#PRESENCE presence} advert
     * changes nothing here: it is about no VIP, and says nothing of who holds one (a backup sends it). It is not
     * even remembered as what the peer last said, which drain reports are told apart by.
     */
    public void onAdvert(long now, String from, Advert a) {
        if (a.isPresence()) {
            return;
        }
        Peer before = peers.put(from, new Peer(a.priority(), a.flags(), now));
        if (a.has(Advert.MASTER) && a.priority() > 0) {
            masterHeard = true;
            masterHeardAt = now;
        }
        if (isWaiting(a)) {
            if (state == VipState.BACKUP) {
                peerWaitHeard(now, from, a, before);
            }
            // A master keeps the VIP: a node that waits takes nothing, and preempts, if at all, as a backup.
            return;
        }
        waitingSince.remove(from);
        waitIgnored.remove(from);
        if (isDrainReport(a)) {
            // A node that handed the VIP over tells the new holder how its drain goes: it claims nothing, and
            // its priority 0 is not "take over now" (the VIP already has a master).
            if (state == VipState.MASTER && !maintenance && a.has(Advert.DRAINING) && !sameDrain(before, a)) {
                // ... but one that starts draining without having handed over held the VIP as master too, and
                // stepped down on hearing this node (a healed partition, a link back, adverts lost) maybe before
                // this node heard any of its claims: its clients must be drawn here all the same.
                boolean ourTakeover = from.equals(takenFrom);
                takenFrom = null;
                if (claimed(now, from, from + " stepped down and drains it", !ourTakeover)) {
                    // It waits for this node to say it announced after the claim: it hears at once that it has not.
                    advertise(now);
                }
            }
            return;
        }
        switch (state) {
            case INIT -> {
            }
            case BACKUP -> backupHeard(now, from, a);
            case MASTER -> masterHeard(now, from, a);
        }
    }

    /**
     * {@code peer}'s process is gone: its side closed a TCP connection it had with this node (a FIN or a reset,
     * never a close this node made, such as a timeout), and the next connection was refused (nothing listens
     * there any more; a partition or a dead box refuses nothing). When {@code peer} is the master this node
     * listens to, it takes over once the master's next advert is overdue by half an interval: at {@code
     * max(now, last advert + 1.5 × advert_interval) + skew}, unless an advert comes first, which puts the whole
     * master-down interval back. Anything else ignores it: a master, a node with no master known, a peer that is
     * not the master, a node whose timer does not run (witnesses pending).
     */
    public void peerGone(long now, String peer) {
        Peer last = peers.get(peer);
        if (state != VipState.BACKUP || !peer.equals(master) || masterDownAt == NEVER || last == null) {
            return;
        }
        long overdue = last.heardAt() + masterAdvertNanos + masterAdvertNanos / 2;
        long confirmed = (overdue - now > 0 ? overdue : now) + skew();
        if (confirmed - masterDownAt < 0) {
            // Preempting, the timer runs out on that master anyway: the takeover stays a preemption.
            armDown(confirmed, downReason == Reason.PREEMPT ? Reason.PREEMPT : Reason.PEER_GONE);
        }
    }

    /**
     * A waiting advert from {@code from}: while no master is known, hold the takeover off for a peer preferred over
     * this node, as for a master's advert, for at most {@link #peerWaitLimit} from its first waiting advert.
     */
    private void peerWaitHeard(long now, String from, Advert a, Peer before) {
        if (before == null || !isWaiting(before) || now - before.heardAt() > masterDownInterval()) {
            // A new wait (a peer restarted, or one that was heard otherwise since): its own limit.
            waitingSince.remove(from);
            waitIgnored.remove(from);
        }
        if (master != null || masterDownAt == NEVER || !outranks(a.priority(), priority(), from, true)) {
            return;
        }
        Long since = waitingSince.putIfAbsent(from, now);
        if (since == null) {
            out.peerWaits(from, a.priority(), false);
        } else if (now - since > peerWaitLimit) {
            if (waitIgnored.add(from)) {
                out.peerWaits(from, a.priority(), true);
            }
            return;
        }
        long held = now + 3 * Math.max(1, a.intervalMillis()) * 1_000_000L + skew();
        if (masterDownAt - held < 0) {
            armDown(held, Reason.MASTER_DOWN);
        }
    }

    private boolean masterKnown(long now) {
        return masterHeard && now - masterHeardAt < masterDownInterval();
    }

    private static boolean isWaiting(Peer p) {
        return (p.flags() & (Advert.MASTER | Advert.DRAINING | Advert.RELEASED | Advert.PRESENCE)) == 0 && p.priority() > 0;
    }

    private void backupHeard(long now, String from, Advert a) {
        int mine = priority();
        if (a.priority() == 0) {
            // 6.4.2: the master leaves; take over after the skew time (a priority-0 advert still counts
            // as hearing from it, so its state is forgotten).
            if (from.equals(master)) {
                master = null;
            }
            if (isHandover(a)) {
                // It keeps the VIP until a peer announced it: no client waits, so the backups are spread wider,
                // and its next adverts, one interval apart, do not put back a takeover due later than that.
                long at = now + handoverSkew();
                armDown(downReason == Reason.PEER_RELEASED && masterDownAt - at < 0 ? masterDownAt : at,
                        Reason.PEER_RELEASED);
            } else {
                armDown(now + skew(), Reason.PEER_RELEASED);
            }
            return;
        }
        if (a.has(Advert.MASTER)) {
            master = from;
        }
        if (a.has(Advert.FAULT) && canHold() && healthy && outranks(mine, a.priority(), from)) {
            armDown(Math.min(masterDownAt, now + skew()), Reason.PEER_FAULT);
            return;
        }
        // 6.4.2: an equal priority is accepted too; the address decides only between two masters.
        if (!preempting(now) || a.priority() >= mine) {
            masterAdvertNanos = Math.max(1, a.intervalMillis()) * 1_000_000L;
            armDown(now + masterDownInterval(), Reason.MASTER_DOWN);
        } else {
            // 6.4.2: preempting, the advert of a less preferred master is discarded; the down timer runs out.
            downReason = Reason.PREEMPT;
        }
    }

    private void masterHeard(long now, String from, Advert a) {
        if (a.priority() == 0) {
            // 6.4.3: another node gives up the VIP while we hold it: tell everyone at once who the master is.
            advertise(now);
            return;
        }
        if (maintenance) {
            if (a.has(Advert.MASTER) && a.has(Advert.ANNOUNCED)) {
                toBackup(now, from, a, Reason.HANDOVER);
            }
            return;
        }
        if (outranks(a.priority(), priority(), from, true)) {
            toBackup(now, from, a, Reason.HIGHER_PRIORITY);
        } else if (a.has(Advert.MASTER)) {
            // Two masters (a returning peer, a healed partition): the other one learns from this advert that it
            // is outranked (rather than one interval later), and the neighbours it may have drawn away are told
            // again where the address is. (A priority-0 master hands the VIP over: that is answered above.) The
            // advert says the address is not announced since this claim: the peer, stepping down, answers ARP for
            // it until an advert says it is.
            if (from.equals(takenFrom)) {
                takenFrom = null;
            }
            claimed(now, from, from + " claims it too (priority " + a.priority() + ")", true);
            advertise(now);
        }
    }

    /**
     * {@code from} held the VIP too: announce it again, now or when the spacing since the last round is over.
     * {@code clears}: the neighbours may have been drawn to it after this node's last round, so the adverts stop
     * saying {@link Advert#ANNOUNCED} until a round after this claim has gone out. Returns whether they said it.
     */
    private boolean claimed(long now, String from, String why, boolean clears) {
        boolean was = announced;
        if (clears) {
            announced = false;
            claimUnanswered = true;
        }
        if (now - reannounceAfter >= 0) {
            reannounce(now, from, why);
        } else {
            reannounceDue = true;
            claimer = from;
        }
        return clears && was;
    }

    /**
     * Whether drain report {@code a} goes on with what the peer's advert before it, {@code before}, said: it was
     * handing the VIP over, or reporting the same drain already. Not when {@code before} reports another drain
     * ({@link Advert#DRAIN_PARITY}): the peer ended that one, became master again and stepped down again, and
     * this node heard none of it (a release and every claim lost, under loss on the cluster link), while the
     * neighbours were drawn to the peer by that mastership's announcement.
     */
    private static boolean sameDrain(Peer before, Advert a) {
        if (before == null) {
            return false;
        }
        if ((before.flags() & Advert.DRAINING) != 0) {
            return (before.flags() & Advert.DRAIN_PARITY) == (a.flags() & Advert.DRAIN_PARITY);
        }
        return before.priority() == 0 && (before.flags() & Advert.MAINTENANCE) != 0;
    }

    private void reannounce(long now, String by, String why) {
        if (by != null) {
            claimsUnheard++;
        }
        reannounceDue = false;
        claimer = null;
        reannounceAfter = now + reannounceSpacing;
        refreshAt = refreshNanos > 0 ? now + refreshNanos : NEVER;
        out.reannounce(by, why);
    }

    private void toBackup(long now, String from, Advert a, Reason why) {
        advertAt = NEVER;
        master = a.has(Advert.MASTER) ? from : null;
        masterAdvertNanos = Math.max(1, a.intervalMillis()) * 1_000_000L;
        move(VipState.BACKUP, why);
        armDown(now + masterDownInterval(), Reason.MASTER_DOWN);
    }

    /** Timers: call at {@link #nextDeadline()} (or later; early calls do nothing). */
    public void tick(long now) {
        if (state == VipState.INIT && gated && waitAdvertAt != NEVER && now - waitAdvertAt >= 0) {
            waitAdvertAt = now + advertNanos;
            if (!masterKnown(now) && healthy) {
                waitAdvertised = true;
                out.send(priority(), 0);
            }
            return;
        }
        if (state == VipState.BACKUP && masterDownAt != NEVER && now - masterDownAt >= 0) {
            String was = master;
            master = null;
            if (canHold()) {
                Reason why = downReason;
                // A master preempted or unfit stays up and steps aside, after this takeover: see takenFrom.
                takenFrom = why == Reason.PREEMPT || why == Reason.PEER_FAULT ? was : null;
                claimUnanswered = false;
                // Nothing of this mastership is announced yet: a node that still drains the address of its last
                // one (a handover, then a preemption) was told of that one's round, and a peer stepping aside
                // for this takeover must not go quiet on it.
                announced = false;
                // The takeover announces the address: that round counts as the last one.
                reannounceDue = false;
                claimer = null;
                reannounceAfter = now + reannounceSpacing;
                refreshAt = refreshNanos > 0 ? now + refreshNanos : NEVER;
                move(VipState.MASTER, why);
                advertise(now);
            } else {
                // Unfit (witnesses, maintenance): stay out, and look again one master-down interval later.
                armDown(now + masterDownInterval(), Reason.MASTER_DOWN);
            }
        } else if (state == VipState.MASTER) {
            if (advertAt != NEVER && now - advertAt >= 0) {
                advertise(now);
            }
            if (reannounceDue && now - reannounceAfter >= 0) {
                reannounce(now, claimer, claimer + " claimed it within the last " + reannounceSpacing / 1_000_000 + " ms");
            } else if (refreshAt != NEVER && now - refreshAt >= 0) {
                reannounce(now, null, "refresh");
            }
        }
    }

    /** When {@link #tick} next has something to do, on the same clock as {@code now}. */
    public long nextDeadline() {
        return switch (state) {
            case INIT -> gated ? waitAdvertAt : NEVER;
            case BACKUP -> masterDownAt;
            case MASTER -> Math.min(advertAt, Math.min(reannounceDue ? reannounceAfter : NEVER, refreshAt));
        };
    }

    /** Whether this node's health lets it serve. A master says so at once; a backup's priority changes. */
    public void setHealthy(long now, boolean healthy) {
        if (this.healthy == healthy) {
            return;
        }
        this.healthy = healthy;
        becameAble(now);
        if (state == VipState.MASTER) {
            advertise(now);
        }
    }

    /** Whether this node reaches at least one witness (true when there are none). */
    public void setWitnessesReached(long now, boolean reached) {
        if (witnessesPending) {
            witnessesPending = false;
            witnessesReached = reached;
            becameAble(now);
            if (state == VipState.BACKUP) {
                // The verdict is in: listen for the peers one whole master-down interval from now (an advert
                // heard while pending may already have armed the timer later than that).
                long listened = now + masterDownInterval();
                if (masterDownAt == NEVER || masterDownAt - listened < 0) {
                    armDown(listened, Reason.MASTER_DOWN);
                }
            }
            return;
        }
        if (witnessesReached == reached) {
            return;
        }
        witnessesReached = reached;
        becameAble(now);
        if (!reached && state == VipState.MASTER) {
            out.send(0, flags() & ~Advert.MASTER);
            advertAt = NEVER;
            move(VipState.BACKUP, Reason.WITNESS_LOST);
            armDown(now + masterDownInterval(), Reason.MASTER_DOWN);
        }
    }

    /** Maintenance on: hand the VIP over (when master) and stay out of elections; off: take part again. */
    public void setMaintenance(long now, boolean on) {
        if (maintenance == on) {
            return;
        }
        maintenance = on;
        becameAble(now);
        if (state == VipState.MASTER) {
            advertise(now);
        }
    }

    /**
     * Whether this node's mirror holds what every reachable peer holds. A node behind does not preempt (it
     * would serve old files); it still takes over from a master that is gone. Caught up again, it preempts
     * after {@code preempt_delay}, as a node that has just become able does.
     */
    public void setCaughtUp(long now, boolean caughtUp) {
        if (this.caughtUp == caughtUp) {
            return;
        }
        this.caughtUp = caughtUp;
        becameAble(now);
    }

    public boolean caughtUp() {
        return caughtUp;
    }

    /**
     * Whether this node has the address on its interface and has announced it; carried in adverts. After a peer's
     * claim, only a round after the address driver heard of it counts: a {@code true} is ignored while a claim is
     * due or passed on ({@link Output#reannounce} with a claimer) and not yet {@link #claimHeard heard}.
     */
    public void setAnnounced(long now, boolean announced) {
        if (announced && claimUnanswered) {
            return;
        }
        if (this.announced == announced) {
            return;
        }
        this.announced = announced;
        if (state == VipState.MASTER) {
            // Peers waiting to hand over or to step aside learn it now rather than one interval later; a peer
            // stepping aside goes quiet only on an announcement after an advert that said there was none.
            advertise(now);
        }
    }

    /**
     * The address driver learnt of a claim passed on through {@link Output#reannounce} (once per such call, in the
     * order made): the address is not known to be announced, and once it has heard of every claim, a round it
     * reports after this answers them.
     */
    public void claimHeard(long now) {
        if (claimsUnheard > 0) {
            claimsUnheard--;
        }
        if (claimsUnheard == 0 && !reannounceDue) {
            claimUnanswered = false;
        }
        setAnnounced(now, false);
    }

    private void becameAble(long now) {
        if (canHold() && healthy) {
            ableSince = now;
        }
    }

    // ---------------------------------------------------------------- rules

    private void advertise(long now) {
        out.send(advertisedPriority(), flags());
        advertAt = now + advertNanos;
    }

    private int advertisedPriority() {
        if (maintenance) {
            return 0;
        }
        return priority();
    }

    /** The priority this node runs with now: its configured one, or the fault priority when it cannot serve. */
    public int priority() {
        return healthy ? settings.priority() : ElectionSettings.FAULT_PRIORITY;
    }

    private int flags() {
        int f = 0;
        if (state == VipState.MASTER) {
            f |= Advert.MASTER;
        }
        if (announced) {
            f |= Advert.ANNOUNCED;
        }
        if (maintenance) {
            f |= Advert.MAINTENANCE;
        }
        if (!healthy) {
            f |= Advert.FAULT;
        }
        return f;
    }

    private boolean canHold() {
        return witnessesReached && !witnessesPending && !maintenance;
    }

    private boolean preempting(long now) {
        return settings.preempt() && canHold() && healthy && caughtUp && now - ableSince >= preemptDelayNanos;
    }

    /** Whether priority {@code a} (of this node unless {@code peerIsA}) beats {@code b}; ties go by address. */
    private boolean outranks(int a, int b, String peer, boolean peerIsA) {
        if (a != b) {
            return a > b;
        }
        return peerIsA == peerWinsTie.test(peer);
    }

    private boolean outranks(int mine, int theirs, String peer) {
        return outranks(mine, theirs, peer, false);
    }

    private void armDown(long at, Reason why) {
        masterDownAt = at;
        downReason = why;
    }

    /** RFC 5798: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256. */
    private long skew() {
        return (256 - priority()) * masterAdvertNanos / 256;
    }

    /**
     * After a handover advert: {@code (256 - Priority) * Master_Adver_Interval / STEP}, the skew time stretched
     * so that backups one place apart in {@code prefer} are a whole advert interval apart (the RFC's skew puts them
     * STEP/256 of it apart: 20 ms at 100 ms adverts, which a busy host's scheduling delay can exceed). A less
     * preferred backup that took the VIP first would be preempted at once: the clients moved twice, its own new
     * connections drained too, and the old holder's connections, passed on by the new master to the one it preempted
     * only, reset.
     */
    private long handoverSkew() {
        return (256 - priority()) * masterAdvertNanos / ElectionSettings.STEP;
    }

    /** A master in maintenance handing the VIP over: it keeps it, and serves, until a peer announced it. */
    private static boolean isHandover(Advert a) {
        return a.priority() == 0 && a.has(Advert.MASTER) && a.has(Advert.MAINTENANCE);
    }

    /** RFC 5798: Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time. */
    private long masterDownInterval() {
        return 3 * masterAdvertNanos + skew();
    }

    private void move(VipState to, Reason why) {
        VipState from = state;
        state = to;
        lastReason = why;
        out.transition(from, to, why);
    }

    /**
     * Whether {@code a} is a waiting advert: a node held at start by its gate, which hears no master, says it is a
     * backup of this priority that will claim the VIP (see {@link #awaitGate}). Nothing else sends a positive
     * priority without {@link Advert#MASTER}.
     */
    public static boolean isWaiting(Advert a) {
        return !a.isPresence() && !a.has(Advert.MASTER) && !isDrainReport(a) && a.priority() > 0;
    }

    /** Whether {@code a} only reports on a drain after a handover ({@link Advert#DRAINING}, {@link Advert#RELEASED}). */
    public static boolean isDrainReport(Advert a) {
        return !a.has(Advert.MASTER) && (a.has(Advert.DRAINING) || a.has(Advert.RELEASED));
    }

    // ---------------------------------------------------------------- status

    public VipState state() {
        return state;
    }

    public ElectionSettings settings() {
        return settings;
    }

    /** The node that holds the VIP as far as this node knows: itself, the last master heard, or null. */
    public String master() {
        return state == VipState.MASTER ? settings.node() : master;
    }

    public boolean maintenance() {
        return maintenance;
    }

    public boolean announced() {
        return announced;
    }

    public Reason lastReason() {
        return lastReason;
    }

    /** What each peer last said about this VIP, by node name. */
    public Map<String, Peer> peers() {
        return Collections.unmodifiableMap(peers);
    }
}
