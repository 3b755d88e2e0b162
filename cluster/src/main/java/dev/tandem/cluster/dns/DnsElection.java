package dev.tandem.cluster.dns;

import dev.tandem.conf.DnsConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What this node wants done to one DNS record, decided from what it knows, on an injected clock (nanoseconds):
 * the peers' heartbeats it hears, what the witnesses say about a peer it no longer hears, its own health and
 * whether it reaches a majority of the witnesses, and the record as last read back from the server. No I/O: the
 * driver feeds events in and carries out the {@link Change} that {@link #decide} returns.
 *
 * <p>The rules, seed 004's "check with the spare servers" made strict:
 * <ul>
 * <li>A node that does not reach a majority of the witnesses changes nothing (its own uplink may be what
 *     failed).</li>
 * <li>A peer is <em>down</em> when it says so (its heartbeat carries its failed health), or when this node has
 *     not heard it for {@code lostAfter} and a majority of the witnesses confirm they cannot reach it either.
 *     Not heard but not confirmed is <em>unknown</em>: nothing is done about it.</li>
 * <li>Only a silence this node was listening through counts: {@code lostAfter} from its start, from the moment it
 *     reaches a majority of its witnesses again (its own uplink was down: the peer's heartbeats went with the
 *     witnesses' answers, and the first ones since are still on their way), and from the end of a stall of its
 *     own ({@link #deafUntil}: heartbeats that arrived meanwhile were not read yet).</li>
 * <li>failover: a node writes itself in, never another. It takes the record from a holder that is down (or when
 *     no node is in it) when every node before it in {@code prefer} is down; from a holder that is up only when it
 *     comes before the holder in {@code prefer} and has been up itself for {@code holdDown} (the move back).</li>
 * <li>multi: a node adds itself once up for {@code holdDown}, removes itself when its health fails, removes a
 *     peer that is down; never so that the set becomes empty.</li>
 * <li>Only a node whose value in the record Tandem added ({@link #added}) is ever removed: a value equal to a
 *     node's address that someone else wrote counts as that node being in the record, and stays. A change that
 *     would add only what is there and remove nothing Tandem's is not made.</li>
 * </ul>
 * "Up" for this node is: healthy, and reaching a majority of the witnesses. A node that a peer writes out of a
 * record while it is up (the peer lost it: a partition between them) writes nothing for {@code holdDown}, so that
 * two nodes that cannot hear each other move the record at most once per hold-down, not on every read. A move
 * back by a more preferred node this node hears up is not that: after it, this node takes over again at once
 * should that node fail.
 */
public final class DnsElection {

    /** Node names to add to and remove from the record, and why. */
    public record Change(Set<String> add, Set<String> remove, String reason) {
        public Change {
            add = Set.copyOf(add);
            remove = Set.copyOf(remove);
        }
    }

    /** A peer as this node sees it. */
    public enum PeerState {
        UP, DOWN, UNKNOWN
    }

    private final String self;
    private final DnsConfig.Record record;
    private final Duration holdDown;
    private final long lostAfterNanos;

    private final Map<String, Long> heardAt = new HashMap<>();
    private final Map<String, Boolean> peerHealthy = new HashMap<>();
    private final Map<String, Boolean> confirmedUnreachable = new HashMap<>();
    private boolean healthy = true;
    private boolean witnessMajority;
    /** Since when this node has been up (healthy and reaching a majority of witnesses); null while it is not. */
    private Long upSince;
    /** The first event's time: a peer not heard yet is not "lost" before {@code lostAfter} from here. */
    private Long startedAt;
    /**
     * Since when this node has been listening: its start, the last time it reached a majority of its witnesses
     * again, or the end of its last stall, whichever came last. A peer's silence counts from here at the earliest.
     */
    private Long listeningSince;
    /** The nodes in the record as last read back; null until the first read. */
    private Set<String> published;
    /** The nodes whose value in the record a Tandem node added: the only ones ever removed. */
    private Set<String> added = Set.of();
    /** Whether this node was in the record when {@link #decide} last looked. */
    private boolean wasIn;
    /** Taken out by a peer while up (a false alarm, a partition): not back in before this time. */
    private Long quietUntil;

    /**
     * @param lostAfter how long without a peer's heartbeat before it counts as not heard (3 advert intervals)
     */
    public DnsElection(String self, DnsConfig.Record record, Duration holdDown, Duration lostAfter) {
        this.self = self;
        this.record = record;
        this.holdDown = holdDown;
        this.lostAfterNanos = lostAfter.toNanos();
    }

    public DnsConfig.Record record() {
        return record;
    }

    /** A heartbeat of {@code node}, which says whether its health lets it serve. */
    public void heard(String node, boolean nodeHealthy, long now) {
        heardAt.put(node, now);
        peerHealthy.put(node, nodeHealthy);
    }

    /** Whether a majority of the witnesses confirm they cannot reach {@code node} (see {@link WitnessTally}). */
    public void confirmedUnreachable(String node, boolean confirmed) {
        confirmedUnreachable.put(node, confirmed);
    }

    public void health(boolean nodeHealthy, long now) {
        healthy = nodeHealthy;
        updateUp(now);
    }

    /**
     * Whether this node reaches a majority of the witnesses. Reaching them again, it starts listening afresh: a
     * peer it has not heard since is not lost before {@code lostAfter} from now.
     */
    public void witnessMajority(boolean reached, long now) {
        if (reached && !witnessMajority) {
            deafUntil(now);
        }
        witnessMajority = reached;
        updateUp(now);
    }

    /**
     * This node could not hear its peers until {@code now} (its loop or process stalled: what arrived meanwhile
     * is not read yet): a peer's silence up to now says nothing of the peer, and counts only from here.
     */
    public void deafUntil(long now) {
        if (listeningSince == null || now - listeningSince > 0) {
            listeningSince = now;
        }
    }

    /** The nodes whose address the record holds, as read back from the server. */
    public void published(Set<String> nodes) {
        published = Set.copyOf(nodes);
    }

    /**
     * The nodes whose address Tandem added to the record (this node's ledger, and the peers' claims it has taken
     * in); whether the record holds it now or not.
     */
    public void added(Set<String> nodes) {
        added = Set.copyOf(nodes);
    }

    public Optional<Set<String>> published() {
        return Optional.ofNullable(published);
    }

    private void updateUp(long now) {
        if (startedAt == null) {
            startedAt = now;
            deafUntil(now);
        }
        boolean up = healthy && witnessMajority;
        if (!up) {
            upSince = null;
        } else if (upSince == null) {
            upSince = now;
        }
    }

    private boolean upForHoldDown(long now) {
        return upSince != null && now - upSince >= holdDown.toNanos();
    }

    public PeerState state(String node, long now) {
        if (node.equals(self)) {
            return healthy && witnessMajority ? PeerState.UP : PeerState.DOWN;
        }
        Long at = heardAt.get(node);
        if (at != null && now - at < lostAfterNanos) {
            return Boolean.TRUE.equals(peerHealthy.get(node)) ? PeerState.UP : PeerState.DOWN;
        }
        if (listeningSince == null || now - listeningSince < lostAfterNanos) {
            // Not listening for lostAfter yet (just started, the uplink just back, a stall just over): the peer's
            // next heartbeat may be on its way.
            return PeerState.UNKNOWN;
        }
        return Boolean.TRUE.equals(confirmedUnreachable.get(node)) ? PeerState.DOWN : PeerState.UNKNOWN;
    }

    /** What this node should write now; empty when nothing (or nothing by this node). */
    public Optional<Change> decide(long now) {
        if (published == null) {
            return Optional.empty();
        }
        boolean in = published.contains(self);
        if (wasIn && !in && state(self, now) == PeerState.UP && !movedBack(now)) {
            // A peer wrote this node out while it was up: it saw this node as lost. Writing itself straight back
            // would start a tug of war for as long as the two cannot hear each other; wait a hold-down first.
            quietUntil = now + holdDown.toNanos();
        }
        wasIn = in;
        if (!witnessMajority || !record.prefer().contains(self) || quietUntil != null && now - quietUntil < 0) {
            return Optional.empty();
        }
        Optional<Change> c = record.mode() == DnsConfig.Mode.FAILOVER ? failover(now) : multi(now);
        return c.map(this::onlyTandems).filter(this::changesSomething);
    }

    /** The change with the removals Tandem may make: of values it added. */
    private Change onlyTandems(Change c) {
        Set<String> remove = new LinkedHashSet<>(c.remove());
        remove.retainAll(added);
        return new Change(c.add(), remove, c.reason());
    }

    private boolean changesSomething(Change c) {
        return !published.containsAll(c.add()) || c.remove().stream().anyMatch(published::contains);
    }

    /**
     * The record was taken back by a node before this one in {@code prefer} that this node hears and sees up: the
     * planned move back, not a peer that lost this node. Should that node fail again, this one takes over at
     * once, with no hold-down.
     */
    private boolean movedBack(long now) {
        if (record.mode() != DnsConfig.Mode.FAILOVER) {
            return false;
        }
        List<String> prefer = record.prefer();
        String holder = prefer.stream().filter(published::contains).findFirst().orElse(null);
        return holder != null && prefer.indexOf(holder) < prefer.indexOf(self) && state(holder, now) == PeerState.UP;
    }

    private Optional<Change> failover(long now) {
        List<String> prefer = record.prefer();
        String holder = prefer.stream().filter(published::contains).findFirst().orElse(null);
        if (state(self, now) != PeerState.UP) {
            return Optional.empty();
        }
        if (self.equals(holder)) {
            // Only beside a value someone else wrote for this node (which no update removes) can a less
            // preferred node's be in the record with this one's: this node takes the record as on a move back.
            Set<String> others = new LinkedHashSet<>(published);
            others.retainAll(added);
            others.remove(self);
            if (!others.isEmpty() && upForHoldDown(now)) {
                return Optional.of(new Change(Set.of(), others, "more preferred than " + String.join(", ", others)
                        + ", up for " + holdDown.toSeconds() + "s"));
            }
            return Optional.empty();
        }
        // Every other node's address goes, whatever this node last read: the read may be older than a peer's write.
        Set<String> others = new LinkedHashSet<>(prefer);
        others.remove(self);
        PeerState held = holder == null ? PeerState.DOWN : state(holder, now);
        int mine = prefer.indexOf(self);
        if (held == PeerState.UP) {
            if (mine < prefer.indexOf(holder) && upForHoldDown(now) && allDownBefore(mine, now)) {
                return Optional.of(new Change(Set.of(self), others, "more preferred than " + holder + ", up for "
                        + holdDown.toSeconds() + "s"));
            }
            return Optional.empty();
        }
        if (held == PeerState.DOWN && allDownBefore(mine, now)) {
            return Optional.of(new Change(Set.of(self), others, holder == null ? "no node in the record"
                    : holder + " down" + (peerHealthy.containsKey(holder) && heardRecently(holder, now)
                    ? " (its health)" : " (not heard, witnesses confirm)")));
        }
        return Optional.empty();
    }

    private boolean heardRecently(String node, long now) {
        Long at = heardAt.get(node);
        return at != null && now - at < lostAfterNanos;
    }

    /** Every node before {@code index} in prefer is down: one up, or not known to be down, is the one to write. */
    private boolean allDownBefore(int index, long now) {
        for (int i = 0; i < index; i++) {
            if (state(record.prefer().get(i), now) != PeerState.DOWN) {
                return false;
            }
        }
        return true;
    }

    private Optional<Change> multi(long now) {
        Set<String> add = new LinkedHashSet<>();
        Set<String> remove = new LinkedHashSet<>();
        StringBuilder why = new StringBuilder();
        Set<String> after = new LinkedHashSet<>(published);
        if (!published.contains(self) && upForHoldDown(now)) {
            add.add(self);
            after.add(self);
            why.append(self).append(" up for ").append(holdDown.toSeconds()).append("s; ");
        }
        if (published.contains(self) && added.contains(self) && !healthy && after.size() > 1) {
            remove.add(self);
            after.remove(self);
            why.append(self).append(" unhealthy; ");
        }
        for (String peer : published) {
            if (!peer.equals(self) && added.contains(peer) && state(peer, now) == PeerState.DOWN && after.size() > 1) {
                remove.add(peer);
                after.remove(peer);
                why.append(peer).append(" down; ");
            }
        }
        if (add.isEmpty() && remove.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Change(add, remove, why.substring(0, why.length() - 2)));
    }
}
