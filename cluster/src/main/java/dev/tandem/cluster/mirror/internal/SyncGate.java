package dev.tandem.cluster.mirror.internal;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What this node knows of each peer's copy, and the two gates built on it: the first sync at start (elections
 * wait for it) and, at any time, whether this node is behind a reachable peer (it then does not preempt). No
 * I/O and no threads: events in (connections, summaries, rounds done), answers out; the time is read from an
 * injected clock in milliseconds, so a test moves it.
 *
 * <p>The first sync is over once one peer has everything of this node and this node everything of it, or when
 * no peer could be reached at all (nothing to wait for), or when the wait was given up.
 *
 * <p>Behind: a peer this node is connected to has files it has not got yet, as far as this node can know:
 * files it asked that peer for and has not received, or a full round that peer began on this connection and
 * that has not ended while the two hold different content. Differing content once that round is over is this
 * node's own newer edits (or a conflict), not something to catch up on.
 */
final class SyncGate {

    /** How far behind this node is: files and bytes asked for and not yet in place, and from whom. */
    record Behind(boolean behind, long files, long bytes, List<String> peers) {
        static final Behind NONE = new Behind(false, 0, 0, List.of());
    }

    static final class Peer {
        final String name;
        boolean sending;
        int receiving;
        Messages.Summary summary;
        /**
         * The runs of the peer whose summaries were replaced by a later run's (their {@code boot}s): a late
         * summary of one of them is stale. A few are enough: only the run just before can still have one in flight.
         */
        final java.util.ArrayDeque<Long> pastRuns = new java.util.ArrayDeque<>();
        final Map<String, Long> rootLastSync = new HashMap<>();
        final Map<String, Boolean> rootInSync = new HashMap<>();
        long lastSync;
        boolean inSync;
        boolean firstAttemptFailed;
        boolean outDone;
        boolean inDone;
        /** The full round the current inbound connection began with has ended. */
        boolean inboundFullDone;
        long filesWanted;
        long bytesWanted;

        Peer(String name) {
            this.name = name;
        }

        boolean connected() {
            return sending || receiving > 0;
        }
    }

    private final LongSupplier millis;
    private final long boot;
    private final Map<String, Peer> peers = new LinkedHashMap<>();
    private String firstSync;

    /** Whether this node was behind at the last {@link #catchUp}. */
    private boolean behindReported;

    SyncGate(Collection<String> peerNames, LongSupplier millis) {
        this.millis = millis;
        this.boot = millis.getAsLong();
        peerNames.forEach(p -> peers.put(p, new Peer(p)));
    }

    Collection<Peer> peers() {
        return peers.values();
    }

    Peer peer(String name) {
        return peers.get(name);
    }

    long boot() {
        return boot;
    }

    /** How the first sync ended, or null while it runs. */
    String firstSync() {
        return firstSync;
    }

    // ------------------------------------------------------------------ events

    void linkUp(String peer) {
        peers.get(peer).sending = true;
    }

    void linkDown(String peer, Map<String, MirrorTable.RootDigest> mine) {
        Peer p = peers.get(peer);
        p.sending = false;
        update(p, mine);
    }

    /** Dialing {@code peer} failed; {@code first}: the first attempt since start. Returns the first sync's end, if now. */
    String linkFailed(String peer, boolean first) {
        if (first) {
            peers.get(peer).firstAttemptFailed = true;
        }
        return checkFirstSync();
    }

    /** The peer applied the full round this node began its connection with. */
    String peerHasAll(String peer) {
        peers.get(peer).outDone = true;
        return checkFirstSync();
    }

    /** This node applied the full round the peer began its connection with. */
    String hasAllOf(String peer) {
        Peer p = peers.get(peer);
        p.inDone = true;
        p.inboundFullDone = true;
        return checkFirstSync();
    }

    /** Whether {@code peer} had already sent everything once (the log says so only the first time). */
    boolean inDone(String peer) {
        return peers.get(peer).inDone;
    }

    boolean outDone(String peer) {
        return peers.get(peer).outDone;
    }

    void sessionOpened(String peer) {
        Peer p = peers.get(peer);
        p.receiving++;
        p.inboundFullDone = false;
    }

    void sessionClosed(String peer, Map<String, MirrorTable.RootDigest> mine) {
        Peer p = peers.get(peer);
        p.receiving--;
        update(p, mine);
    }

    /**
     * A newer summary from {@code peer} is kept; an older one (reordered, or of a previous run) is not. Runs are
     * told apart by their {@code boot}, but not ordered by it: it is the peer's wall clock at its start, and a
     * peer started again with its clock set back (or an hour behind this node's, or restored) would otherwise
     * have every summary of its new run ignored, and look out of sync for good. A run not seen before is the
     * newer one; within a run, the higher generation.
     */
    boolean summary(String peer, Messages.Summary s, Map<String, MirrorTable.RootDigest> mine) {
        Peer p = peers.get(peer);
        if (p == null) {
            return false;
        }
        Messages.Summary old = p.summary;
        boolean newer;
        if (old == null) {
            newer = true;
        } else if (s.boot() == old.boot()) {
            newer = s.generation() > old.generation();
        } else {
            newer = !p.pastRuns.contains(s.boot());
            if (newer) {
                p.pastRuns.addLast(old.boot());
                if (p.pastRuns.size() > PAST_RUNS) {
                    p.pastRuns.removeFirst();
                }
            }
        }
        if (newer) {
            p.summary = s;
            update(p, mine);
        }
        return newer;
    }

    /** How many past runs of a peer are remembered (see {@link Peer#pastRuns}). */
    static final int PAST_RUNS = 8;

    /** What this node asked {@code peer} for and still waits for. */
    void wanted(String peer, long files, long bytes) {
        Peer p = peers.get(peer);
        p.filesWanted = files;
        p.bytesWanted = bytes;
    }

    /**
     * The catch-up gate's news: feeds what this node asked each peer for and still waits for ({@code wantedByPeer}:
     * files and bytes, per peer), and returns where it stands when whether it is behind a reachable peer changed
     * since the last call (so the elections hear of each change once), else null.
     */
    Behind catchUp(Map<String, long[]> wantedByPeer) {
        for (Peer p : peers.values()) {
            long[] w = wantedByPeer.getOrDefault(p.name, new long[2]);
            wanted(p.name, w[0], w[1]);
        }
        Behind b = behind();
        if (b.behind() == behindReported) {
            return null;
        }
        behindReported = b.behind();
        return b;
    }

    /** The wait at start was given up. Returns the outcome when this ended it. */
    String giveUp(String why) {
        return complete(why);
    }

    // ------------------------------------------------------------------ answers

    /**
     * In sync with a peer: this node holds what the peer said it holds, and is still connected to it (with no
     * connection it cannot know, and the lag grows: nothing is being mirrored).
     */
    void update(Peer p, Map<String, MirrorTable.RootDigest> mine) {
        long now = millis.getAsLong();
        boolean connected = p.connected();
        boolean all = p.summary != null && connected;
        for (Map.Entry<String, MirrorTable.RootDigest> r : mine.entrySet()) {
            MirrorTable.RootDigest theirs = p.summary == null ? null : p.summary.roots().get(r.getKey());
            boolean same = connected && theirs != null && theirs.digest().equals(r.getValue().digest());
            p.rootInSync.put(r.getKey(), same);
            if (same) {
                p.rootLastSync.put(r.getKey(), now);
            }
            all &= same;
        }
        if (all) {
            p.lastSync = now;
        }
        p.inSync = all;
    }

    void updateAll(Map<String, MirrorTable.RootDigest> mine) {
        peers.values().forEach(p -> update(p, mine));
    }

    /** Seconds since this node last held what {@code peer} holds (since start if never); 0 while it does. */
    double lagSeconds(String peer) {
        Peer p = peers.get(peer);
        if (p == null || p.inSync) {
            return 0;
        }
        return Math.max(0, (millis.getAsLong() - (p.lastSync == 0 ? boot : p.lastSync)) / 1000.0);
    }

    Behind behind() {
        long files = 0;
        long bytes = 0;
        List<String> from = new java.util.ArrayList<>();
        for (Peer p : peers.values()) {
            if (p.receiving == 0 || p.summary == null) {
                continue;
            }
            boolean fetching = p.filesWanted > 0;
            boolean roundOpen = !p.inboundFullDone && !p.inSync;
            if (fetching || roundOpen) {
                files += p.filesWanted;
                bytes += p.bytesWanted;
                from.add(p.name);
            }
        }
        return from.isEmpty() ? Behind.NONE : new Behind(true, files, bytes, List.copyOf(from));
    }

    private String checkFirstSync() {
        if (firstSync != null) {
            return null;
        }
        for (Peer p : peers.values()) {
            if (p.outDone && p.inDone) {
                return complete("synced with " + p.name);
            }
        }
        boolean none = !peers.isEmpty();
        for (Peer p : peers.values()) {
            none &= p.firstAttemptFailed && !p.sending && p.receiving == 0;
        }
        return peers.isEmpty() || none ? complete("no peer reachable") : null;
    }

    /** Checks at start, before any event: with no peer configured there is nothing to wait for. */
    String start() {
        return checkFirstSync();
    }

    private String complete(String outcome) {
        if (firstSync != null) {
            return null;
        }
        firstSync = outcome;
        return outcome;
    }
}
