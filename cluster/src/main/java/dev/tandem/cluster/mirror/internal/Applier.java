package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what peers send, as the core says: a received file put in place or kept as a conflict copy
 * ({@link Command.Install}, {@link Command.SaveConflict}: what was decided by {@link Arrivals}), each write's
 * result handed back to the core ({@link Event.KeptAside}, {@link Event.Installed} with the stat it left, then
 * the fetch's end); a version that needs no content (a deletion, a mode, a link), which is still decided here
 * ({@link CommitPlan#withoutContent}, against the version here after {@link Arrivals#refreshBeforeApply}); a
 * ready round's links, directories flushed, the peer told. Runs on the engine's thread.
 */
final class Applier {

    private static final Logger log = LoggerFactory.getLogger(Applier.class);

    private final EngineState state;
    private final LocalChanges scans;
    private final Arrivals arrivals;
    private final Fetches fetches;
    private final Durability durability;
    /** Hands an event to the core and carries out its commands at once (the driver's). */
    private final java.util.function.Consumer<Event> toCore;

    Applier(EngineState state, MirrorCore core, Durability durability, java.util.function.Consumer<Event> toCore) {
        this.state = state;
        this.scans = core.local();
        this.arrivals = core.arrivals();
        this.fetches = core.fetches();
        this.durability = durability;
        this.toCore = toCore;
    }

    /**
     * Applies a version that needs no content: a deletion, a new mode, the same content under the winning
     * version.
     */
    void applyWithoutContent(InboundState.Session st, Entry e) {
        Path target = state.roots.pathOf(e.key());
        Roots.Root root = state.roots.get(e.key().root());
        if (!scans.takesFromPeers(root)) {
            return; // unmounted since it was offered: offered again at the peer's next scan
        }
        boolean withoutHistory = state.table.get(e.key()) == null && state.noHistory.waiting(e.key());
        try {
            arrivals.refreshBeforeApply(e.key(), target);
            Entry local = state.table.get(e.key());
            String[] linkRefusal = new String[1];
            CommitPlan.Applying plan = CommitPlan.withoutContent(local, e, e.key().equals(state.configKey),
                    () -> FileStore.noLinksBetween(root.path(), target),
                    () -> linkRefusal[0] = Symlinks.refusal(state.roots, target, e.link(), Symlinks::realPath));
            if (plan.keepLoser()) {
                keepLocalLoser(e.key(), target, local, e);
            }
            switch (plan.step()) {
                case NOTHING -> {
                    // The file changed here meanwhile: the next offer decides again.
                }
                case ADOPT -> state.table.put(e, FileStore.stat(target), state.clock.millis());
                case REFUSE_CONFIG_DELETION -> arrivals.refuseReceived(st, e, target, List.of(target + ": deleted by " + e.origin()
                        + " (expected: the config file; a config is not mirrored away)"));
                case UNSAFE_PATH -> state.metrics.rejected(MirrorMetrics.UNSAFE_PATH);
                case DELETE -> {
                    FileStore.delete(target, root.path());
                    state.table.put(e, null, state.clock.millis());
                    state.noHistory.settled(e.key());
                    if (withoutHistory) {
                        log.info("mirror: {} has no version here and {} deleted it ({}): deleted", target, e.origin(), e.label());
                    }
                    state.metrics.deletionsReceived.increment();
                    state.changedFiles.add(target);
                    log.debug("mirror: {} deleted as {} did ({})", e.key(), e.origin(), e.label());
                }
                case REFUSE_LINK -> state.refusals.refuse(target.toString(), MirrorMetrics.LINK_OUTSIDE, linkRefusal[0],
                        st.peer);
                case LINK -> {
                    Symlinks.apply(target, e.link(), e, state.ownership);
                    FileStore.Stat s = FileStore.stat(target);
                    state.table.put(e, s, state.clock.millis());
                    if (s != null) {
                        state.installed.put(target, s);
                    }
                    state.refusals.clear(target.toString());
                    state.changedFiles.add(target);
                }
                case MODE -> {
                    FileStore.Stat s = FileStore.stat(target);
                    if (s != null && s.mode() != e.mode()) {
                        FileStore.chmod(target, e.mode());
                    }
                    if (s != null) {
                        state.ownership.apply(target, e);
                        s = FileStore.stat(target);
                    }
                    state.table.put(e, s, state.clock.millis());
                    state.changedFiles.add(target);
                }
            }
        } catch (IOException ex) {
            state.metrics.rejected(MirrorMetrics.WRITE_FAILED);
            log.warn("mirror: cannot apply {} from {} to {}: {}", e.label(), st.peer, target, ex.toString());
        }
    }

    /** A received file is complete: flushed, it goes to the core; one that could not be written is refused here. */
    void arrived(InboundState.Session st, Receiving rx, boolean flushed) {
        if (flushed) {
            toCore.accept(new Event.Arrived(st, rx));
            return;
        }
        state.refusals.refuse(String.valueOf(rx.target), MirrorMetrics.WRITE_FAILED, String.valueOf(rx.discardReason),
                st.peer);
        Receiving.deleteQuietly(rx.temp);
        fetchEnded(rx.entry.key(), rx.entry, false);
    }

    /** {@link Command.Install}: the edit here that lost kept beside, the file renamed into place, its other half after it. */
    void install(Command.Install c) {
        Receiving rx = c.rx();
        Entry e = rx.entry;
        try {
            if (c.keepLocal() != null) {
                keepBeside(e.key(), rx.target, c.keepLocal());
            }
            rename(c.from(), rx);
            if (c.partner() != null) {
                rename(c.partner().st(), c.partner().rx());
            }
            // only now: the round it completes is in place, a certificate with its key
            fetchEnded(e.key(), e, true);
        } catch (IOException ex) {
            failed(c.from(), rx, ex);
        }
    }

    /** {@link Command.SaveConflict}: the received version that lost is written beside the file, not over it. */
    void saveConflict(Command.SaveConflict c) {
        Receiving rx = c.rx();
        Entry e = rx.entry;
        try {
            FileStore.commit(rx.temp, c.keptAs(), e.mode());
            toCore.accept(new Event.KeptAside(e.key(), c.keptAs(), e, c.winner()));
            fetchEnded(e.key(), e, true);
        } catch (IOException ex) {
            failed(c.from(), rx, ex);
        }
    }

    private void failed(InboundState.Session st, Receiving rx, IOException ex) {
        state.metrics.rejected(MirrorMetrics.WRITE_FAILED);
        log.warn("mirror: cannot apply {} of {} from {}: {}", rx.entry.label(), rx.target, st.peer, ex.toString());
        Receiving.deleteQuietly(rx.temp);
        fetchEnded(rx.entry.key(), rx.entry, false);
    }

    /** Renames the received file into place; the core records it with the stat the rename left. */
    private void rename(InboundState.Session st, Receiving rx) throws IOException {
        Files.move(rx.temp, rx.target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        state.dirsToSync.add(rx.target.getParent());
        toCore.accept(new Event.Installed(st, rx, FileStore.stat(rx.target)));
    }

    /** The losing version here (a version that needs no content replaces it) kept beside the file first. */
    private void keepLocalLoser(EntryKey key, Path target, Entry loser, Entry winner) throws IOException {
        Command.KeepLocal keep = arrivals.keepLocal(target, loser, winner);
        if (keep != null) {
            keepBeside(key, target, keep);
        }
    }

    private void keepBeside(EntryKey key, Path target, Command.KeepLocal keep) throws IOException {
        FileStore.keepBeside(target, keep.keptAs());
        toCore.accept(new Event.KeptAside(key, keep.keptAs(), keep.loser(), keep.winner()));
    }

    /** The connection the parked config came from closed with nothing else awaited: the core refuses it. */
    void refuseParked() {
        toCore.accept(new Event.RefuseParked());
    }

    /** A wanted version arrived (or will not): handed to the core ({@link Fetches}), whose commands are carried out now. */
    void fetchEnded(EntryKey key, Entry entry, boolean ok) {
        toCore.accept(new Event.FetchEnded(key, entry, ok));
    }

    /** A round whose files have all arrived: its links applied, the directories flushed, then the peer told. */
    void roundReady(RoundBook.Ready r) {
        InboundState.Session st = r.session();
        r.links().forEach(e -> applyWithoutContent(st, e));
        durability.syncDirs();
        state.batchInPlace();
        st.session.done(r.round());
        if (r.completeMillis() >= 0) {
            log.info("mirror: sync from {} complete: {} files, {} in {} ms", st.peer, st.filesTotal,
                    Receiving.size(st.bytesTotal), r.completeMillis());
        }
    }

    /** Progress of a sync, as the core's {@link Fetches} has it. */
    void progress(InboundState.Session st) {
        fetches.progress(st);
    }
}
