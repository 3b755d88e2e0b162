package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of a version a peer sent once it has arrived ({@link Event.Arrived}: complete, checked and flushed
 * to its temporary file beside the target), decided by {@link CommitPlan} against the version here then (an edit
 * made here that the watcher has not reported yet is looked at first, so it competes instead of being
 * overwritten): discarded, adopted, kept as a conflict copy, or installed, with what of the file here lost kept
 * beside it first; the config installed only once it validates (else parked until the rest of what is under
 * way has arrived, then refused); a certificate or key installed only with a pair that passes, both halves
 * together (a half held until its partner comes).
 *
 * <p>Part of the {@link MirrorCore}: the facts come from its {@link Disk}, the config's check from
 * {@link LocalLook#validate}, the pair's from {@link CertificateFiles}; the writes are commands
 * ({@link Command.Install}, {@link Command.SaveConflict}, {@link Command.DiscardTemp}), and what they leave on
 * disk comes back as events ({@link Event.KeptAside}, {@link Event.Installed} with the stat the rename left),
 * because a conflict copy is looked at and a parked config validated again only once the file is there.
 */
final class Arrivals {

    private static final Logger log = LoggerFactory.getLogger(Arrivals.class);

    /** A file modified less than this before it was hashed is hashed again at the next scan (racy stat). */
    static final long RACY_MILLIS = LocalScan.RACY_MILLIS;

    /** A received certificate or key held aside until its other half comes. */
    record HeldHalf(InboundState.Session st, Receiving rx) {
    }

    private final EngineState state;
    private final Disk disk;
    private final LocalChanges local;
    private final Fetches fetches;
    private final Consumer<Command> out;

    Arrivals(EngineState state, Disk disk, LocalChanges local, Fetches fetches, Consumer<Command> out) {
        this.state = state;
        this.disk = disk;
        this.local = local;
        this.fetches = fetches;
        this.out = out;
    }

    /** A wanted version is complete in {@code rx.temp}. */
    void arrived(InboundState.Session st, Receiving rx) {
        Entry e = rx.entry;
        if (!local.takesFromPeers(state.roots.get(e.key().root()))) {
            // unmounted while it came: not written below the mount point; offered again at the peer's next scan
            discard(rx.temp);
            fetches.ended(e.key(), e, false);
            return;
        }
        try {
            decide(st, rx);
        } catch (IOException ex) {
            state.metrics.rejected(MirrorMetrics.WRITE_FAILED);
            log.warn("mirror: cannot apply {} of {} from {}: {}", e.label(), rx.target, st.peer, ex.toString());
            discard(rx.temp);
            fetches.ended(e.key(), e, false);
        }
    }

    private void decide(InboundState.Session st, Receiving rx) throws IOException {
        Entry e = rx.entry;
        EntryKey key = e.key();
        Path target = rx.target;
        boolean invalidHere = refreshBeforeApply(key, target);
        Entry here = state.table.get(key);
        Path keep = target.resolveSibling(e.conflictName(target.getFileName().toString()));
        CommitPlan.Plan plan = CommitPlan.of(Resolution.of(here, e), disk.exists(keep), invalidHere, disk.exists(target),
                here == null && state.noHistory.waiting(key) && regular(target) && !disk.hash(target).equals(e.hash()));
        switch (plan.step()) {
            case DISCARD -> discard(rx.temp);
            case ADOPT -> {
                discard(rx.temp);
                state.table.put(e, disk.stat(target), state.clock.millis());
            }
            case CONFLICT_ALREADY_KEPT -> {
                discard(rx.temp);
                conflict(key, keep, e, here);
            }
            case SAVE_AS_CONFLICT -> {
                // its fetch ends once the copy is written (the driver's)
                out.accept(new Command.SaveConflict(st, rx, keep, here));
                return;
            }
            case INSTALL -> {
                install(st, rx, plan.keep(), here);
                return;
            }
        }
        fetches.ended(key, e, true);
    }

    /** {@link CommitPlan.Step#INSTALL}: the config's check and the pair's first, then what of the file here to keep. */
    private void install(InboundState.Session st, Receiving rx, CommitPlan.KeepLocal keep, Entry here) throws IOException {
        Entry e = rx.entry;
        EntryKey key = e.key();
        Path target = rx.target;
        CommitPlan.Installing<HeldHalf> checked = CommitPlan.install(key.equals(state.configKey),
                () -> local.look().validate(target, disk.read(rx.temp)),
                () -> state.certificates == null ? null : state.certificates.received(target, rx.temp,
                        new HeldHalf(st, rx), st.peer, disk, this::discard));
        switch (checked.step()) {
            case PARK -> {
                park(st, rx, checked.problems());
                return;
            }
            case REFUSE_PAIR -> {
                discard(rx.temp);
                discard(checked.partner().rx().temp);
                fetches.ended(key, e, true);
                return;
            }
            case HOLD_HALF -> {
                fetches.ended(key, e, true);
                return;
            }
            default -> {
                // installed below
            }
        }
        Command.KeepLocal kept = switch (keep) {
            case INVALID_EDIT -> {
                // the invalid edit made here is no version, but it is not lost either
                Command.KeepLocal k = keepLocal(target, editHere(key, here, target), e);
                state.configVerdicts.localSettled();
                yield k;
            }
            case LOSER -> keepLocal(target, here, e);
            // a file with no version, another content than the cluster's: the cluster's wins, this is kept
            case WITHOUT_HISTORY -> keepLocal(target, editHere(key, null, target), e);
            case NONE -> null;
        };
        // its fetch ends once it (and the other half of its pair) is in place (the driver's)
        out.accept(new Command.Install(st, rx, kept,
                checked.step() == CommitPlan.Install.INSTALL_WITH_PARTNER ? checked.partner() : null));
    }

    /** The file here, as an edit of this node's after {@code previous}: what is kept of it when it is no version. */
    private Entry editHere(EntryKey key, Entry previous, Path target) throws IOException {
        FileStore.Stat s = disk.stat(target);
        return Entry.edit(key, previous, state.node, state.clock.millis(), disk.hash(target), s.mode(), s.size());
    }

    /** What to keep beside {@code target} before it is replaced: nothing when the version lost is gone already. */
    Command.KeepLocal keepLocal(Path target, Entry loser, Entry winner) {
        if (loser == null || loser.deleted() || !disk.exists(target)) {
            return null;
        }
        return new Command.KeepLocal(target.resolveSibling(loser.conflictName(target.getFileName().toString())), loser,
                winner);
    }

    private boolean regular(Path target) throws IOException {
        FileStore.Stat s = disk.stat(target);
        return s != null && !s.link();
    }

    /**
     * Before a version from a peer replaces what is on disk: an edit made here that the watcher has not yet
     * reported becomes a version first, so it competes (and is kept if it loses) instead of being overwritten.
     * Returns whether the file here is an invalid config edit, which is no version but is not lost either.
     */
    boolean refreshBeforeApply(EntryKey key, Path target) throws IOException {
        LocalLook.Refresh r = local.look().refreshFile(key, target, false);
        if (r == LocalLook.Refresh.CHANGING) {
            r = local.look().refreshFile(key, target, true);
        }
        return r == LocalLook.Refresh.REJECTED;
    }

    /** A file was renamed into place ({@link Command.Install}) and left {@code s}: recorded as the version here. */
    void installed(InboundState.Session st, Receiving rx, FileStore.Stat s) {
        Entry e = rx.entry;
        Path target = rx.target;
        // The content is known (its hash checked as it was written) and the stat taken after the rename: only
        // an edit after that could differ, and it moves the stat (or the watcher reports it). So the file is not
        // "racy" for the next scan, which would otherwise hash every file a sync just wrote once more.
        long now = state.clock.millis();
        long known = s == null ? now : Math.max(now, s.mtimeNanos() / 1_000_000 + RACY_MILLIS + 1);
        state.table.put(e, s, known);
        if (s != null && state.installed.size() < 100_000) {
            state.installed.put(target, s);
        }
        state.noHistory.settled(e.key());
        state.metrics.filesReceived.increment();
        state.metrics.bytesReceived.increment(e.size());
        state.refusals.clear(target.toString());
        if (state.guard.held(e.key()) && state.guard.back(e.key())) {
            log.info("mirror: every file of the held deletion of {} is back: the hold ends",
                    state.roots.get(e.key().root()).path());
        }
        boolean config = e.key().equals(state.configKey);
        state.configVerdicts.installed(config);
        if (config) {
            InboundState.Parked p = state.book.parked();
            if (p != null && p.rx.entry.key().equals(e.key())) {
                discard(state.book.unpark().rx.temp);
            }
            // (Its directory is flushed with the round's, after the reload is asked for: a reader already sees it.)
            log.info("mirror: {} from {}: config version {} in place", target, st.peer, e.label());
            out.accept(new Command.ConfigReceived(target, st.peer));
        } else {
            state.changedFiles.add(target);
            log.debug("mirror: {} from {}: version {} in place", target, st.peer, e.label());
            mirroredConflictCopy(e, target);
            // a file the parked config names may just have come
            retryParked(false);
        }
    }

    /**
     * A conflict copy a peer kept, mirrored here as every file of a mirrored directory is: listed as a conflict
     * here too, so that every node's status shows the copies on its disk, even one whose losing version this node
     * never saw (the peer had decided before it offered its files). Its name tells the version it holds.
     */
    private void mirroredConflictCopy(Entry copy, Path target) {
        Conflict.Named n = Conflict.named(target.getFileName().toString());
        if (n == null || n.version() < 1 || state.table.conflicts().stream().anyMatch(c -> c.keptAs().equals(target))) {
            return;
        }
        EntryKey key = state.roots.keyOf(target.resolveSibling(n.file()));
        Entry winner = key == null ? null : state.table.get(key);
        if (winner == null || winner.deleted()) {
            return;
        }
        Entry loser = new Entry(key, n.version(), n.origin(), VersionVector.of(Map.of(n.origin(), n.version())),
                copy.changedAt(), copy.hash(), false, copy.mode(), copy.size());
        conflict(key, target, loser, winner);
    }

    /** A losing version was kept beside the file as {@code keptAs} (the driver's): recorded as a conflict. */
    void conflict(EntryKey key, Path keptAs, Entry loser, Entry winner) {
        String won = winner == null ? "-" : winner.label();
        boolean listed = state.table.conflicts().stream().anyMatch(c -> c.keptAs().equals(keptAs));
        state.table.addConflict(new Conflict(key, keptAs, loser, won, state.clock.millis()));
        if (!listed) {
            // once per copy: a copy mirrored here and the losing version offered after it are one conflict
            state.metrics.conflicts.increment();
        }
        log.warn("mirror: concurrent edits of {}: version {} wins, {} is kept as {}", key, won, loser.label(), keptAs);
        EntryKey k = state.roots.keyOf(keptAs);
        if (k != null) {
            // A conflict copy inside a mirrored directory is mirrored like any file: record it now.
            try {
                local.look().refreshFile(k, keptAs, true);
            } catch (IOException e) {
                log.debug("mirror: cannot read {}: {}", keptAs, e.toString());
            }
        }
        state.statusDirty = true;
    }

    /** A received config that does not validate waits for the rest of what is being received. */
    private void park(InboundState.Session st, Receiving rx, List<String> problems) {
        InboundState.Parked before = state.book.park(st, rx, problems);
        if (before != null) {
            discard(before.rx.temp);
        }
        fetches.ended(rx.entry.key(), rx.entry, true);
    }

    /**
     * The config parked is validated again (a file it names may have come): installed if it validates now;
     * else, when it is {@code due} (nothing else it may wait for is under way), refused.
     */
    void retryParked(boolean due) {
        InboundState.Parked p = state.book.parked();
        if (p == null) {
            return;
        }
        try {
            List<String> problems = local.look().validate(p.rx.target, disk.read(p.rx.temp));
            switch (CommitPlan.parked(problems, due)) {
                case INSTALL -> {
                    state.book.unpark();
                    arrived(p.from, p.rx);
                }
                case WAIT -> p.errors = problems;
                case REFUSE -> {
                    p.errors = problems;
                    refuseParked();
                }
            }
        } catch (IOException e) {
            state.book.unpark();
            discard(p.rx.temp);
        }
    }

    /** The parked config is refused: its wait is over (or its connection closed with nothing else awaited). */
    void refuseParked() {
        InboundState.Parked p = state.book.unpark();
        if (p == null) {
            return;
        }
        discard(p.rx.temp);
        refuseReceived(p.from, p.rx.entry, p.rx.target, p.errors);
    }

    void refuseReceived(InboundState.Session st, Entry e, Path target, List<String> problems) {
        state.configVerdicts.refuseReceived(e.key(), target.toString(), e.hash(), problems, st.peer);
        state.metrics.rejected(MirrorMetrics.INVALID_CONFIG_RECEIVED);
        state.statusDirty = true;
        Entry current = state.table.get(e.key());
        log.warn("mirror: config version {} from {} does not validate here: refused; version {} stays in force:",
                e.label(), st.peer, current == null ? "-" : current.label());
        problems.forEach(p -> log.warn("{}", p));
    }

    private void discard(Path temp) {
        if (temp != null) {
            out.accept(new Command.DiscardTemp(temp));
        }
    }
}
