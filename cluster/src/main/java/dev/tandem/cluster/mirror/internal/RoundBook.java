package dev.tandem.cluster.mirror.internal;

import dev.tandem.cluster.mirror.MirrorStatus;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The bookkeeping of what peers offered, with no I/O: which versions are asked for and of which connection
 * (the others that offered the same are kept as alternates), which rounds wait for them, the links of a round
 * (applied only once its files are in place, so that a flipped link never points at nothing), the config
 * parked until the rest of what is under way has arrived, and the progress of each connection's sync.
 *
 * <p>The engine tells it what happens (an offer, the end of a round, a file in place or lost, a connection
 * gone) and does what it answers: ask a version of a connection, apply the links of a ready round and tell its
 * peer the round is done. Everything runs on the engine's thread; time comes from the clock given.
 */
final class RoundBook {

    /**
     * A round whose files are all in place (or given up): its links are applied, then its peer told.
     *
     * @param firstFull      the first full round of its connection: this node now has everything of that peer
     * @param completeMillis a sync of at least {@link #LOGGED_SYNC} files ended with this round: how long it
     *                       took; else -1
     */
    record Ready(InboundState.Session session, long round, boolean full, List<Entry> links,
                 boolean firstFull, long completeMillis) {
    }

    /** What became of a version asked for that arrived, failed or is no longer needed. */
    sealed interface Ended permits Retry, Settled {
    }

    /** It failed, and another connection that offered it is asked instead. */
    record Retry(InboundState.Session from) implements Ended {
    }

    /** It is over; the progress of {@code counted} moved on. */
    record Settled(InboundState.Session counted) implements Ended {
    }

    /** What becomes of one entry a peer offers (see {@link #triage}). */
    enum Triage {
        /** Part of a deletion the guard holds here: not applied. */
        HELD,
        /** Of a root this node does not mirror: ignored. */
        NOT_MIRRORED,
        /** Of a root mirrored here, but its path would leave it: refused, counted once an offer. */
        UNSAFE,
        /** This node has it, or a later version, or keeps it already as a conflict copy. */
        HAVE,
        /** A link: applied once the files of its round are in place ({@link #link}). */
        LINK,
        /** Applied at once: a deletion, a new mode, the same content under another version. */
        WITHOUT_CONTENT,
        /** A config this node refused before (by its hash): not asked for again. */
        REFUSED_BEFORE,
        /** Its content is needed: within the limits, asked for ({@link #ask}). */
        CONTENT
    }

    /**
     * What becomes of the entry {@code e} a peer offers, in the order the checks are made.
     *
     * @param held         the guard holds it here
     * @param pathHere     its path maps to a path under a root mirrored here
     * @param rootHere     its root is mirrored here
     * @param local        this node's version, or null
     * @param conflictKept whether a losing version is already kept as a conflict copy (asked only when it matters)
     * @param refusedHash  the hash of the config of that path this node refused, or null
     */
    static Triage triage(Entry e, boolean held, boolean pathHere, boolean rootHere, Entry local,
                         Predicate<Entry> conflictKept, String refusedHash) {
        if (held) {
            return Triage.HELD;
        }
        if (!pathHere) {
            return rootHere ? Triage.UNSAFE : Triage.NOT_MIRRORED;
        }
        Resolution r = Resolution.of(local, e);
        if (r == Resolution.KEEP || r == Resolution.KEEP_SAVE_REMOTE && conflictKept.test(e)) {
            return Triage.HAVE;
        }
        if (e.isLink()) {
            return Triage.LINK;
        }
        if (!r.needsContent(local, e)) {
            return Triage.WITHOUT_CONTENT;
        }
        if (e.hash().equals(refusedHash)) {
            return Triage.REFUSED_BEFORE;
        }
        return Triage.CONTENT;
    }

    /** Syncs of at least this many files have their end logged. */
    static final int LOGGED_SYNC = 100;

    private final LongSupplier nanos;
    private final Predicate<InboundState.Session> open;
    private final long progressEveryNanos;
    private final Set<InboundState.Session> sessions = new LinkedHashSet<>();
    private final Map<EntryKey, InboundState.Fetch> fetches = new HashMap<>();
    private InboundState.Parked parked;

    /**
     * @param nanos         the clock of the progress (nanoseconds, any origin)
     * @param open          whether a connection can still be asked for a file
     * @param progressEvery how often the progress of a sync under way is logged, in nanoseconds
     */
    RoundBook(LongSupplier nanos, Predicate<InboundState.Session> open, long progressEvery) {
        this.nanos = nanos;
        this.open = open;
        this.progressEveryNanos = progressEvery;
    }

    // ------------------------------------------------------------------ connections

    void opened(InboundState.Session st) {
        sessions.add(st);
    }

    /**
     * The connection is gone: it is nobody's alternate any more. Returns the fetches it was to send, which the
     * engine ends as failed (another connection may have them).
     */
    List<InboundState.Fetch> closed(InboundState.Session st) {
        sessions.remove(st);
        List<InboundState.Fetch> orphaned = new ArrayList<>();
        for (InboundState.Fetch f : fetches.values()) {
            f.alternates.remove(st);
        }
        for (InboundState.Fetch f : fetches.values()) {
            if (f.from == st) {
                orphaned.add(f);
            }
        }
        return orphaned;
    }

    Collection<InboundState.Session> sessions() {
        return sessions;
    }

    // ------------------------------------------------------------------ offers and rounds

    boolean fetching(EntryKey key) {
        return fetches.containsKey(key);
    }

    InboundState.Fetch fetch(EntryKey key) {
        return fetches.get(key);
    }

    /** No version is asked for and awaited. */
    boolean idle() {
        return fetches.isEmpty();
    }

    /**
     * {@code st} offers {@code e}, whose content is needed here. Returns true when it is to be asked of
     * {@code st}; false when the same version is already asked of another connection ({@code st} is then an
     * alternate). Either way the current round of {@code st} waits for it.
     */
    boolean ask(InboundState.Session st, Entry e) {
        InboundState.Fetch f = fetches.get(e.key());
        if (f != null && f.entry.sameVersion(e)) {
            if (f.from != st && !f.alternates.contains(st)) {
                f.alternates.add(st);
            }
            st.roundKeys.add(e.key());
            return false;
        }
        InboundState.Fetch superseded = fetches.put(e.key(), new InboundState.Fetch(e, st));
        if (superseded != null) {
            superseded.counted.filesDone++;
            superseded.counted.bytesDone += superseded.entry.size();
        }
        st.roundKeys.add(e.key());
        if (st.filesDone >= st.filesTotal) {
            // a new sync: the progress counts from here
            st.filesDone = st.filesTotal = st.bytesDone = st.bytesTotal = 0;
            st.completeLogged = false;
            st.progressStartedAt = nanos.getAsLong();
            st.progressLoggedAt = st.progressStartedAt;
        }
        st.filesTotal++;
        st.bytesTotal += e.size();
        return true;
    }

    /**
     * A version this node had and lost (a held deletion given up): asked of {@code from} outside any round.
     * False when it is already asked for.
     */
    boolean restore(InboundState.Session from, Entry e) {
        if (fetches.containsKey(e.key())) {
            return false;
        }
        fetches.put(e.key(), new InboundState.Fetch(e, from));
        from.filesTotal++;
        from.bytesTotal += e.size();
        return true;
    }

    /** {@code st} offers the link {@code e}: applied once the files of its round are in place. */
    void link(InboundState.Session st, Entry e) {
        st.roundLinks.add(e);
    }

    /** The round {@code round} of {@code st} is offered whole; returns the rounds of {@code st} now ready. */
    List<Ready> roundEnded(InboundState.Session st, long round, boolean full) {
        Set<EntryKey> waiting = new java.util.HashSet<>();
        for (EntryKey k : st.roundKeys) {
            if (fetches.containsKey(k)) {
                waiting.add(k);
            }
        }
        st.roundKeys.clear();
        InboundState.Round r = new InboundState.Round(round, full, waiting);
        r.links = new ArrayList<>(st.roundLinks);
        st.roundLinks.clear();
        st.rounds.add(r);
        return ready(st);
    }

    /**
     * The version {@code entry} of {@code key} asked for arrived ({@code ok}), or will not. Null when it is not
     * the version asked for (a later one was asked meanwhile, or none).
     */
    Ended ended(EntryKey key, Entry entry, boolean ok) {
        InboundState.Fetch f = fetches.get(key);
        if (f == null || !f.entry.sameVersion(entry)) {
            return null;
        }
        if (!ok) {
            InboundState.Session alt;
            while ((alt = f.alternates.poll()) != null) {
                if (sessions.contains(alt) && open.test(alt)) {
                    f.from = alt;
                    return new Retry(alt);
                }
            }
        }
        fetches.remove(key);
        // Done, for the progress, whatever became of it (in place, kept as a conflict, no longer offered).
        f.counted.filesDone++;
        f.counted.bytesDone += entry.size();
        for (InboundState.Session st : sessions) {
            st.roundKeys.remove(key);
            for (InboundState.Round r : st.rounds) {
                r.waiting.remove(key);
            }
        }
        return new Settled(f.counted);
    }

    /** The rounds of {@code st} none of whose files is awaited any more, in the order they were offered. */
    List<Ready> ready(InboundState.Session st) {
        List<Ready> out = new ArrayList<>();
        while (!st.rounds.isEmpty() && st.rounds.peek().waiting.isEmpty()) {
            InboundState.Round r = st.rounds.poll();
            boolean firstFull = r.full && !st.firstFullDone;
            if (firstFull) {
                st.firstFullDone = true;
            }
            long complete = -1;
            if (st.filesTotal > 0 && st.filesDone >= st.filesTotal && st.filesTotal >= LOGGED_SYNC && !st.completeLogged) {
                st.completeLogged = true;
                complete = (nanos.getAsLong() - st.progressStartedAt) / 1_000_000;
            }
            out.add(new Ready(st, r.round, r.full, r.links, firstFull, complete));
        }
        return out;
    }

    // ------------------------------------------------------------------ the parked config

    /** Parks a received config that does not validate yet; returns the one parked before (now dropped), or null. */
    InboundState.Parked park(InboundState.Session from, Receiving rx, List<String> problems) {
        InboundState.Parked before = parked;
        parked = new InboundState.Parked(from, rx, problems);
        return before;
    }

    InboundState.Parked parked() {
        return parked;
    }

    /** Takes the parked config out (to apply it, refuse it or drop it); null when none is parked. */
    InboundState.Parked unpark() {
        InboundState.Parked p = parked;
        parked = null;
        return p;
    }

    /**
     * Whether the parked config is to be decided now: nothing else is awaited, and (when {@code closed} is not
     * null) it came from that connection, now gone.
     */
    boolean parkedDue(InboundState.Session closed) {
        return parked != null && fetches.isEmpty() && (closed == null || parked.from == closed);
    }

    // ------------------------------------------------------------------ progress

    /** Whether the progress of the sync from {@code st} is to be logged now (at most every so often). */
    boolean progressDue(InboundState.Session st) {
        long now = nanos.getAsLong();
        if (st.syncing() && now - st.progressLoggedAt > progressEveryNanos) {
            st.progressLoggedAt = now;
            return true;
        }
        return false;
    }

    /** Per peer with a sync counted: its progress. */
    Map<String, MirrorStatus.Progress> progress() {
        Map<String, MirrorStatus.Progress> progress = new HashMap<>();
        for (InboundState.Session st : sessions) {
            if (st.filesTotal > 0) {
                progress.put(st.peer, new MirrorStatus.Progress(st.filesDone, st.filesTotal, st.bytesDoneNow(), st.bytesTotal));
            }
        }
        return progress;
    }

    /** Per peer: the files and bytes asked of it and not yet in place. */
    Map<String, long[]> wantedByPeer() {
        Map<String, long[]> wanted = new HashMap<>();
        for (InboundState.Fetch f : fetches.values()) {
            long[] w = wanted.computeIfAbsent(f.from.peer, k -> new long[2]);
            w[0]++;
            w[1] += f.entry.size();
        }
        return wanted;
    }
}
