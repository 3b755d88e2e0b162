package dev.tandem.cluster.mirror.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A wanted version arrived, or will not ({@link Event.FetchEnded}): another connection that offered it is asked
 * instead if it failed ({@link Command.Want}); once it is settled, the rounds waiting on it that are complete
 * now are ready ({@link Command.RoundReady}), a parked config whose wait is over is looked at again
 * ({@link Command.RetryParked}), and certificate halves still held once nothing is being fetched are given up
 * ({@link Command.CertificatesRoundOver}). A peer's first full round ready, with this node's own taken by that
 * peer, ends the first sync ({@link SyncGate}). Part of the {@link MirrorCore}.
 */
final class Fetches {

    private static final Logger log = LoggerFactory.getLogger(Fetches.class);

    private final EngineState state;
    private final Consumer<Command> out;

    Fetches(EngineState state, Consumer<Command> out) {
        this.state = state;
        this.out = out;
    }

    void ended(EntryKey key, Entry entry, boolean ok) {
        RoundBook.Ended ended = state.book.ended(key, entry, ok);
        if (ended instanceof RoundBook.Retry retry) {
            out.accept(new Command.Want(retry.from(), List.of(new Messages.Wanted(key, entry.version(), entry.origin()))));
            return;
        }
        if (!(ended instanceof RoundBook.Settled settled)) {
            return;
        }
        state.limits.settled(key);
        progress(settled.counted());
        for (InboundState.Session st : new ArrayList<>(state.book.sessions())) {
            state.book.ready(st).forEach(this::ready);
        }
        if (state.book.parkedDue(null)) {
            out.accept(new Command.RetryParked(true));
        }
        if (state.book.idle() && state.certificates != null && state.certificates.holding()) {
            out.accept(new Command.CertificatesRoundOver());
        }
    }

    /** A round whose files have all arrived: the driver applies its links and tells the peer; a first full one counts for the first sync. */
    void ready(RoundBook.Ready r) {
        out.accept(new Command.RoundReady(r));
        if (r.firstFull()) {
            String peer = r.session().peer;
            if (!state.gate.inDone(peer)) {
                log.info("mirror: this node has everything of {}", peer);
            }
            String outcome = state.gate.hasAllOf(peer);
            if (outcome != null) {
                out.accept(new Command.FirstSyncOver(outcome));
            }
        }
    }

    /** Progress of a sync (files done, and bytes of those plus of the file under way) in the log and status. */
    void progress(InboundState.Session st) {
        if (state.book.progressDue(st)) {
            log.info("mirror: receiving from {}: {}/{} files, {}/{}", st.peer, st.filesDone, st.filesTotal,
                    Receiving.size(st.bytesDoneNow()), Receiving.size(st.bytesTotal));
        }
        state.statusDirty = true;
    }
}
