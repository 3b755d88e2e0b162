package dev.tandem.cluster.mirror.internal;

import java.nio.file.Path;
import java.util.Set;

/** What happens to the {@link MirrorCore}: each is handed in by the driver, on the engine's thread. */
sealed interface Event {

    /**
     * The state is loaded ({@code stateLost}: there was none, or it could not be read): the first scan of every
     * path (temporary files a crash left are removed).
     */
    record Started(boolean stateLost) implements Event {
    }

    /** The watcher saw {@code paths} change ({@code overflow}: events were lost, every path is looked at). */
    record Touched(Set<Path> paths, boolean overflow) implements Event {
    }

    /** The timer of {@link Command.ArmTimer#debounce} fired. */
    record Tick() implements Event {
    }

    /** The periodic scan of every path is due (or asked for). */
    record Scan() implements Event {
    }

    /** A task of the engine's thread is over: the deletions it found are judged, what changed here is offered. */
    record TaskDone() implements Event {
    }

    /** An operator lets the held deletion of {@code root} go ahead. */
    record Confirm(String root) implements Event {
    }

    /** An operator gives up the held deletion of {@code root}: its files are fetched back from a peer. */
    record Restore(String root) implements Event {
    }

    /** The peer of {@code from} offers these versions. */
    record Offer(InboundState.Session from, java.util.List<Entry> entries) implements Event {
    }

    /** The peer of {@code from} has offered all of its round {@code round} ({@code full}: of every version it has). */
    record OfferEnd(InboundState.Session from, long round, boolean full) implements Event {
    }

    /** A version asked for arrived and is in place or kept ({@code ok}), or will not come from where it was asked. */
    record FetchEnded(EntryKey key, Entry entry, boolean ok) implements Event {
    }

    /**
     * A wanted version arrived whole from the peer of {@code from}: its content checked against its size and
     * hash and flushed to {@code rx.temp}, beside its target. What becomes of it is {@link Arrivals}'s.
     */
    record Arrived(InboundState.Session from, Receiving rx) implements Event {
    }

    /**
     * The driver kept the version {@code loser} of {@code key} beside its file as {@code keptAs} (a
     * {@link Command.Install}'s edit here that lost, or a {@link Command.SaveConflict}): a conflict, and the copy a
     * file to look at.
     */
    record KeptAside(EntryKey key, Path keptAs, Entry loser, Entry winner) implements Event {
    }

    /** The driver renamed {@code rx.temp} over its target, which then had the stat {@code stat} (null: none). */
    record Installed(InboundState.Session from, Receiving rx, FileStore.Stat stat) implements Event {
    }

    /**
     * The driver carried out what came before a {@link Command.RetryParked}: the parked config is validated
     * again on the disk as it is now ({@code due}: refused unless it validates).
     */
    record RetryParked(boolean due) implements Event {
    }

    /** The connection the parked config came from closed, and nothing else is awaited: it is refused. */
    record RefuseParked() implements Event {
    }

    /**
     * The driver carried out what came before a {@link Command.Apply}: the peer's version {@code version}, which
     * needs no content here, is decided on the disk as it is now (see {@link WithoutContent}).
     */
    record Apply(InboundState.Session from, Entry version) implements Event {
    }

    /** The driver wrote {@code version} ({@link Command.WriteVersion}); its file then had {@code stat} (null: none). */
    record Written(Entry version, FileStore.Stat stat) implements Event {
    }

    /** This node's link to {@code peer} is up (it sends there). */
    record LinkUp(String peer) implements Event {
    }

    record LinkDown(String peer) implements Event {
    }

    /** Dialing {@code peer} failed ({@code first}: the first attempt since start). */
    record LinkFailed(String peer, boolean first) implements Event {
    }

    /** {@code peer} applied a round this node offered ({@code full}: the one a connection begins with). */
    record PeerDone(String peer, boolean full) implements Event {
    }

    /** {@code peer}'s summary of what it holds. */
    record Summary(String peer, Messages.Summary summary) implements Event {
    }

    /** The bound on the first-sync wait ran out. */
    record GiveUp(String why) implements Event {
    }
}
