package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the peers offer: {@link OfferTriage} says what becomes of each entry offered and this carries it out (the
 * content wanted asked for within the limits, a peer's deletions kept for the end of its round, where they pass
 * the guard ({@link Deletions}), the rest applied); a node with no record of versions learns them here
 * ({@link NoHistory}). Part of the {@link MirrorCore}: the asks, the versions to apply, the rounds ready are
 * {@link Command}s, what it knows of a file comes from the {@link Disk}.
 */
final class PeerOffers {

    private static final Logger log = LoggerFactory.getLogger(PeerOffers.class);

    private final EngineState state;
    private final Disk disk;
    private final LocalChanges scans;
    private final Fetches fetches;
    private final Consumer<Command> out;

    PeerOffers(EngineState state, Disk disk, LocalChanges scans, Fetches fetches, Consumer<Command> out) {
        this.state = state;
        this.disk = disk;
        this.scans = scans;
        this.fetches = fetches;
        this.out = out;
    }

    void offer(InboundState.Session st, List<Entry> entries) {
        List<Entry> taken = onMountedRoots(entries);
        for (Entry e : taken) {
            state.noHistory.offered(e.key());
        }
        List<Messages.Wanted> want = new ArrayList<>();
        for (OfferTriage.Command c : OfferTriage.of(taken, known)) {
            carryOut(st, c, want);
        }
        if (!want.isEmpty()) {
            out.accept(new Command.Want(st, want));
            state.statusDirty = true;
        }
    }

    /**
     * The entries under a root that is where it should be: one that must be a mount point and is not takes
     * nothing (a file written now would go to the directory below the mount point and be hidden when the disk
     * comes back, which would then offer its older copy as an edit). The peer offers them again at its next scan.
     */
    private List<Entry> onMountedRoots(List<Entry> entries) {
        Map<String, Boolean> mounted = new java.util.HashMap<>();
        List<Entry> taken = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            Roots.Root r = state.roots.get(e.key().root());
            if (r == null || mounted.computeIfAbsent(r.id(), id -> scans.takesFromPeers(r))) {
                taken.add(e);
            }
        }
        return taken;
    }

    private void carryOut(InboundState.Session st, OfferTriage.Command c, List<Messages.Wanted> want) {
        if (c instanceof OfferTriage.Reoffered r) {
            if (state.deletions.offeredAgain(r.key(), st.peer)) {
                state.statusDirty = true;
            }
            st.roundDeletions.remove(r.key());
        } else if (c instanceof OfferTriage.DeferDeletion d) {
            // judged with the rest of the round (see judgeRoundDeletions): a round split across offers is judged whole
            st.roundDeletions.put(d.e().key(), d.e());
        } else if (c instanceof OfferTriage.Adopt a) {
            // (an earlier entry of the same offer may have given the path a version meanwhile)
            if (state.table.get(a.e().key()) != null || !adoptWithoutHistory(a.e())) {
                OfferTriage.Command instead = OfferTriage.entry(a.e(), known, false);
                if (instead != null) {
                    carryOut(st, instead, want);
                }
            }
        } else if (c instanceof OfferTriage.Link l) {
            state.book.link(st, l.e());
        } else if (c instanceof OfferTriage.Apply a) {
            out.accept(new Command.Apply(st, a.e()));
        } else if (c instanceof OfferTriage.Fetch f) {
            Entry e = f.e();
            RootLimits.Over over = state.limits.admit(e, state.table.get(e.key()), state.table.usage(e.key().root()));
            if (over != null) {
                state.refusals.refuse(state.roots.pathOf(e.key()).toString(), over.reason(), over.detail(), st.peer);
            } else if (state.book.ask(st, e)) {
                want.add(new Messages.Wanted(e.key(), e.version(), e.origin()));
            }
        } else if (c instanceof OfferTriage.NotMirrored n) {
            log.debug("mirror: {} offers {} of a path not mirrored here", st.peer, n.e().key());
        } else if (c instanceof OfferTriage.Unsafe) {
            state.metrics.rejected(MirrorMetrics.UNSAFE_PATH);
            log.warn("mirror: {} offered a path that would leave its root: ignored", st.peer);
        }
    }

    /** What this node knows of the paths a peer offers, read off the table, the roots and (for one fact) the disk. */
    private final OfferTriage.Known known = new OfferTriage.Known() {
        @Override
        public Entry local(EntryKey key) {
            return state.table.get(key);
        }

        @Override
        public boolean pathHere(EntryKey key) {
            return state.roots.pathOf(key) != null;
        }

        @Override
        public boolean rootHere(String root) {
            return state.roots.get(root) != null;
        }

        @Override
        public boolean waitingWithoutHistory(EntryKey key) {
            return state.noHistory.waiting(key);
        }

        @Override
        public boolean conflictKept(Entry e) {
            return state.conflictKept(e);
        }

        @Override
        public String refusedHash(EntryKey key) {
            return state.configVerdicts.refusedBefore(key);
        }

        @Override
        public boolean sameContentHere(Entry e) {
            Path target = state.roots.pathOf(e.key());
            try {
                FileStore.Stat s = disk.stat(target);
                return s != null && !s.link() && s.size() == e.size() && disk.hash(target).equals(e.hash());
            } catch (IOException ex) {
                log.debug("mirror: cannot read {}: {}", target, ex.toString());
                return false;
            }
        }
    };

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
                out.accept(new Command.Apply(st, a.deletion()));
            } else if (c instanceof Deletions.Held h) {
                state.held(h.root(), h.from());
            }
        }
    }

    /**
     * A peer's version of a file that has none here and holds the same content ({@link OfferTriage.Adopt}): the
     * file takes that version, and its mode and owners ({@link Command.Adopt}), without a transfer. Returns
     * whether it did.
     */
    boolean adoptWithoutHistory(Entry e) {
        Path target = state.roots.pathOf(e.key());
        try {
            FileStore.Stat s = disk.stat(target);
            if (s == null) {
                return false;
            }
            state.table.put(e, s, state.clock.millis());
            state.noHistory.settled(e.key());
            out.accept(new Command.Adopt(e));
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
        out.accept(new Command.NoHistoryMarker(noHistoryMarker(), false));
    }

    /** Present while this node waits, with no record of versions, for a peer's full round (across restarts). */
    Path noHistoryMarker() {
        return state.stateFile.path().resolveSibling("no-history");
    }

    void offerEnd(InboundState.Session st, long round, boolean full) {
        judgeRoundDeletions(st);
        state.book.roundEnded(st, round, full).forEach(fetches::ready);
        if (full && state.noHistory.active()) {
            ownFilesWithoutHistory(st.peer);
        }
    }

    /**
     * At start: with peers and no record of versions ({@code lost}, or a marker left by a start before a peer's
     * full round came), the files found wait for the peers' versions (see {@link NoHistory}).
     */
    void startWithoutHistory(boolean lost) {
        Path marker = noHistoryMarker();
        if (!state.hasPeers || !(lost || disk.exists(marker))) {
            return;
        }
        state.noHistory = new NoHistory(true);
        // (a restart before a peer's full round came must still know the files have no version)
        out.accept(new Command.NoHistoryMarker(marker, true));
        log.info("mirror: no record of versions here (state lost, or a new node): the files found wait for"
                + " the peers' versions before any is offered as an edit of this node");
    }
}
