package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inbound connections and what their peers offer: each entry is triaged ({@link RoundBook#triage}), the
 * content wanted is asked for, a peer's deletions wait for the end of its round and the guard
 * ({@link Deletions}), and a node with no record of versions learns them here ({@link NoHistory}). Runs on the
 * engine's thread.
 */
final class PeerOffers {

    private static final Logger log = LoggerFactory.getLogger(PeerOffers.class);

    private final EngineState state;
    private final LocalChanges scans;
    private final Receiver receiver;
    private final Applier applier;
    private final StatusPublisher publisher;

    PeerOffers(EngineState state, LocalChanges scans, Receiver receiver, Applier applier, StatusPublisher publisher) {
        this.state = state;
        this.scans = scans;
        this.receiver = receiver;
        this.applier = applier;
        this.publisher = publisher;
    }

    void sessionOpened(InboundSession s) {
        InboundState.Session opened = new InboundState.Session(s);
        state.sessions.put(s, opened);
        state.book.opened(opened);
        state.gate.sessionOpened(s.peer());
        state.statusDirty = true;
        PeerLink link = state.links.get(s.peer());
        if (link != null) {
            link.poke();
        }
        Messages.Summary sum = publisher.latestSummary;
        if (sum != null) {
            s.summary(sum);
        }
    }

    void sessionClosed(InboundSession s) {
        InboundState.Session st = state.sessions.remove(s);
        if (st == null) {
            return;
        }
        state.gate.sessionClosed(st.peer, state.digests());
        state.statusDirty = true;
        receiver.dropReceiving(st);
        for (InboundState.Fetch f : state.book.closed(st)) {
            applier.fetchEnded(f.entry.key(), f.entry, false);
        }
        if (state.book.parkedDue(st)) {
            applier.refuseParked();
        }
    }

    void offer(InboundSession s, Messages.Offer o) {
        InboundState.Session st = state.sessions.get(s);
        if (st == null) {
            return;
        }
        List<Messages.Wanted> want = new ArrayList<>();
        boolean unsafe = false;
        Set<EntryKey> deferred = deferReceivedDeletions(st, o.entries());
        for (Entry e : o.entries()) {
            state.noHistory.offered(e.key());
            if (deferred.contains(e.key())) {
                continue;
            }
            Path target = state.roots.pathOf(e.key());
            Entry local = state.table.get(e.key());
            if (local == null && target != null && state.noHistory.waiting(e.key()) && adoptedWithoutHistory(e, target)) {
                continue;
            }
            switch (RoundBook.triage(e, false, target != null, state.roots.get(e.key().root()) != null,
                    local, state::conflictKept, state.configVerdicts.refusedBefore(e.key()))) {
                case UNSAFE -> unsafe = true;
                case NOT_MIRRORED -> log.debug("mirror: {} offers {} of a path not mirrored here", st.peer, e.key());
                case LINK -> state.book.link(st, e);
                case WITHOUT_CONTENT -> applier.applyWithoutContent(st, e);
                case CONTENT -> {
                    RootLimits.Over over = state.limits.admit(e, local, state.table.usage(e.key().root()));
                    if (over != null) {
                        state.refusals.refuse(target.toString(), over.reason(), over.detail(), st.peer);
                    } else if (state.book.ask(st, e)) {
                        want.add(new Messages.Wanted(e.key(), e.version(), e.origin()));
                    }
                }
                case HELD, HAVE, REFUSED_BEFORE -> {
                    // nothing to do
                }
            }
        }
        if (unsafe) {
            state.metrics.rejected(MirrorMetrics.UNSAFE_PATH);
            log.warn("mirror: {} offered a path that would leave its root: ignored", st.peer);
        }
        if (!want.isEmpty()) {
            s.want(want);
            state.statusDirty = true;
        }
    }

    /**
     * The deletions of live files in a peer's offer wait for the end of its round, where they pass the guard
     * together (see {@link #judgeRoundDeletions}): a round split across many offer messages is judged whole.
     * Returns the keys deferred; a key the peer offers as a file again leaves a hold of that peer's.
     */
    Set<EntryKey> deferReceivedDeletions(InboundState.Session st, List<Entry> offered) {
        Set<EntryKey> deferred = new HashSet<>();
        for (Entry e : offered) {
            if (e.confirmed()) {
                continue;
            }
            if (!e.deleted()) {
                if (state.deletions.offeredAgain(e.key(), st.peer)) {
                    state.statusDirty = true;
                }
                st.roundDeletions.remove(e.key());
                continue;
            }
            if (state.roots.pathOf(e.key()) != null
                    && Deletions.deletesHere(e, state.table.get(e.key()), state.noHistory.waiting(e.key()))) {
                st.roundDeletions.put(e.key(), e);
                deferred.add(e.key());
            }
        }
        return deferred;
    }

    /**
     * The deletions of a peer's round, per root, pass the guard as this node's own do (and count in its window
     * with the others of the root): the usual ones are applied, a mass deletion is held.
     */
    void judgeRoundDeletions(InboundState.Session st) {
        Map<EntryKey, Entry> round = new LinkedHashMap<>(st.roundDeletions);
        st.roundDeletions.clear();
        for (Deletions.Command c : state.deletions.judgeRound(round, st.peer, state.table::get, state.noHistory::waiting,
                root -> state.table.digest(root).files() + state.noHistory.waiting(root))) {
            if (c instanceof Deletions.Apply a) {
                applier.applyWithoutContent(st, a.deletion());
            } else if (c instanceof Deletions.Held h) {
                state.held(h.root(), h.from());
            }
        }
    }

    /**
     * A peer's version of a file that has none here (see {@link NoHistory}): when the file holds the same content,
     * it takes that version without a transfer. Returns whether it did.
     */
    boolean adoptedWithoutHistory(Entry e, Path target) {
        try {
            FileStore.Stat s = FileStore.stat(target);
            if (e.deleted() || e.isLink() || s == null || s.link() || s.size() != e.size()
                    || !FileStore.hash(target).equals(e.hash())) {
                return false;
            }
            if (s.mode() != e.mode()) {
                FileStore.chmod(target, e.mode());
            }
            state.ownership.apply(target, e);
            state.table.put(e, FileStore.stat(target), state.clock.millis());
            state.noHistory.settled(e.key());
            return true;
        } catch (IOException ex) {
            log.debug("mirror: cannot read {}: {}", target, ex.toString());
            return false;
        }
    }

    /**
     * The first full round from a peer is over, with no record of versions here: the files waiting that no peer
     * offered are this node's own (a person added them) and become its edits; the state records versions again.
     */
    void ownFilesWithoutHistory(String peer) {
        List<EntryKey> own = state.noHistory.fullRoundOver();
        for (EntryKey k : own) {
            Path p = state.roots.pathOf(k);
            if (p == null) {
                continue;
            }
            try {
                scans.look().refreshFile(k, p, true);
            } catch (IOException e) {
                log.debug("mirror: cannot read {}: {}", p, e.toString());
            }
        }
        log.info("mirror: versions learnt from {}: {} file(s) found here that no peer has are offered as this node's",
                peer, own.size());
        try {
            Files.deleteIfExists(noHistoryMarker());
        } catch (IOException e) {
            log.warn("mirror: cannot delete {}: {}", noHistoryMarker(), e.toString());
        }
    }

    /** Present while this node waits, with no record of versions, for a peer's full round (across restarts). */
    Path noHistoryMarker() {
        return state.stateFile.path().resolveSibling("no-history");
    }

    void offerEnd(InboundSession s, Messages.OfferEnd end) {
        InboundState.Session st = state.sessions.get(s);
        if (st == null) {
            return;
        }
        judgeRoundDeletions(st);
        state.book.roundEnded(st, end.round(), end.full()).forEach(applier::roundReady);
        if (end.full() && state.noHistory.active()) {
            ownFilesWithoutHistory(st.peer);
        }
    }

    /**
     * At start: with peers and no record of versions ({@code lost}, or a marker left by a start before a peer's
     * full round came), the files found wait for the peers' versions (see {@link NoHistory}).
     */
    void startWithoutHistory(boolean lost) {
        Path marker = noHistoryMarker();
        if (!state.hasPeers || !(lost || Files.exists(marker))) {
            return;
        }
        state.noHistory = new NoHistory(true);
        try {
            // (a restart before a peer's full round came must still know the files have no version)
            Files.createDirectories(marker.getParent());
            Files.write(marker, new byte[0]);
        } catch (IOException e) {
            log.warn("mirror: cannot write {}: {}", marker, e.toString());
        }
        log.info("mirror: no record of versions here (state lost, or a new node): the files found wait for"
                + " the peers' versions before any is offered as an edit of this node");
    }
}
