package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what peers send, as the core says: a received file put in place or kept as a conflict copy
 * ({@link Command.Install}, {@link Command.SaveConflict}: what was decided by {@link Arrivals}), each write's
 * result handed back to the core ({@link Event.KeptAside}, {@link Event.Installed} with the stat it left, then
 * the fetch's end); a version that needs no content written ({@link Command.WriteVersion}: a deletion, a link, a
 * mode, as {@link WithoutContent} decided), then {@link Event.Written}; a ready round's links handed to the core
 * one at a time, directories flushed, the peer told. Runs on the engine's thread.
 */
final class Applier {

    private static final Logger log = LoggerFactory.getLogger(Applier.class);

    private final EngineState state;
    private final Fetches fetches;
    private final Durability durability;
    /** Hands an event to the core and carries out its commands at once (the driver's). */
    private final java.util.function.Consumer<Event> toCore;

    Applier(EngineState state, MirrorCore core, Durability durability, java.util.function.Consumer<Event> toCore) {
        this.state = state;
        this.fetches = core.fetches();
        this.durability = durability;
        this.toCore = toCore;
    }

    /** {@link Command.WriteVersion}: the losing edit here kept beside, then the deletion, the link or the mode. */
    void write(Command.WriteVersion c) {
        Entry e = c.version();
        Path target = c.target();
        try {
            if (c.keepLocal() != null) {
                keepBeside(e.key(), target, c.keepLocal());
            }
            if (e.deleted()) {
                FileStore.delete(target, c.root());
            } else if (e.isLink()) {
                Symlinks.apply(target, e.link(), e, state.ownership);
            } else {
                FileStore.Stat s = FileStore.stat(target);
                if (s != null && s.mode() != e.mode()) {
                    FileStore.chmod(target, e.mode());
                }
                if (s != null) {
                    state.ownership.apply(target, e);
                }
            }
            toCore.accept(new Event.Written(e, e.deleted() ? null : FileStore.stat(target)));
        } catch (IOException ex) {
            state.metrics.rejected(MirrorMetrics.WRITE_FAILED);
            log.warn("mirror: cannot apply {} from {} to {}: {}", e.label(), c.from().peer, target, ex.toString());
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
        // each decided on the disk as the one before it left it (a link may resolve through another)
        r.links().forEach(e -> toCore.accept(new Event.Apply(st, e)));
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
