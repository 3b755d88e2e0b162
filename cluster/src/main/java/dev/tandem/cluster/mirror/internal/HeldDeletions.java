package dev.tandem.cluster.mirror.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an operator says of a held mass deletion: {@code confirm} lets it go ahead (this node's as tombstones it
 * offers, a peer's applied here), {@code restore} gives it up and fetches the files back from a connected peer.
 * What becomes of each file of the hold is {@link Deletions#confirmed} and {@link Deletions#toRestore}; this
 * carries it out. Part of the {@link MirrorCore}: a peer's deletion to apply is a {@link Command.Apply}, the
 * files to fetch back a {@link Command.Want}.
 */
final class HeldDeletions {

    private static final Logger log = LoggerFactory.getLogger(HeldDeletions.class);

    private final EngineState state;
    private final Disk disk;
    private final Consumer<Command> out;

    HeldDeletions(EngineState state, Disk disk, Consumer<Command> out) {
        this.state = state;
        this.disk = disk;
        this.out = out;
    }

    /**
     * Lets the held deletion of {@code root} go ahead: the files still gone here are deleted as versions of
     * this node and offered; a peer's held deletion is applied here. Completes with what was done.
     */
    String confirmDeletion(String root) {
        Roots.Root r = state.rootNamed(root);
        DeletionGuard.Hold h = r == null ? null : state.guard.release(r.id());
        if (h == null) {
            throw new IllegalArgumentException(root + ": no deletion is held there");
        }
        long now = state.clock.millis();
        InboundState.Session from = state.sessionOf(h.from);
        int done = 0;
        for (Deletions.Command c : Deletions.confirmed(h, state.table::get, k -> state.roots.pathOf(k) != null,
                k -> !disk.exists(state.roots.pathOf(k)), from != null, state.node, now)) {
            if (c instanceof Deletions.Record rec) {
                state.table.put(rec.deletion(), null, now);
                state.outgoing.add(rec.deletion());
                done++;
            } else if (c instanceof Deletions.Apply a) {
                out.accept(new Command.Apply(from, a.deletion()));
                done++;
            }
        }
        log.warn("mirror: the held deletion of {} confirmed: {} file(s) deleted", r.path(), done);
        state.statusDirty = true;
        return done + " file(s) of " + r.path() + " deleted";
    }

    /**
     * Gives up the held deletion of {@code root} and fetches its files back from the peers that hold them: their
     * versions here are forgotten, and every connected peer is asked for them. Completes with how many were asked.
     */
    String restoreDeletion(String root) {
        Roots.Root r = state.rootNamed(root);
        DeletionGuard.Hold h = r == null ? null : state.guard.hold(r.id());
        if (h == null) {
            throw new IllegalArgumentException(root + ": no deletion is held there");
        }
        if (!"here".equals(h.from)) {
            state.guard.release(r.id());
            state.statusDirty = true;
            log.warn("mirror: the deletion of {} by {} is not applied here: the files stay", r.path(), h.from);
            return "the deletion by " + h.from + " is dropped here: the files of " + r.path() + " stay";
        }
        InboundState.Session from = null;
        for (InboundState.Session st : state.sessions.values()) {
            if (st.open()) {
                from = st;
                break;
            }
        }
        if (from == null) {
            throw new IllegalStateException("no peer is connected to fetch the files of " + r.path() + " from");
        }
        state.guard.release(r.id());
        List<Messages.Wanted> want = new ArrayList<>();
        for (Entry l : Deletions.toRestore(h, state.table::get, state.book::fetching)) {
            state.table.forget(l.key());
            state.book.restore(from, l);
            want.add(new Messages.Wanted(l.key(), l.version(), l.origin()));
        }
        if (!want.isEmpty()) {
            out.accept(new Command.Want(from, want));
        }
        log.warn("mirror: restoring {}: {} file(s) asked of {}", r.path(), want.size(), from.peer);
        state.statusDirty = true;
        state.summaryDirty = true;
        return want.size() + " file(s) of " + r.path() + " asked of " + from.peer;
    }
}
