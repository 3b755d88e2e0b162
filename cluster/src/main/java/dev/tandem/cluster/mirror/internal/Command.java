package dev.tandem.cluster.mirror.internal;

import java.nio.file.Path;
import java.util.List;

/** What the {@link MirrorCore} tells its driver to do: the only way its decisions reach a peer, a timer or a file. */
sealed interface Command {

    /** Offer these versions of this node to every peer (what changed here). */
    record Offer(List<Entry> versions) implements Command {
    }

    /** Offer every version this node has to every peer (the periodic full round). */
    record OfferAll(List<Entry> versions) implements Command {
    }

    /** Ask the peer of {@code session} for these versions. */
    record Want(InboundState.Session session, List<Messages.Wanted> wanted) implements Command {
    }

    /**
     * A peer's version that needs no content here (a deletion, its round's or its hold confirmed; a mode; a link):
     * once the commands before it are carried out, hand it back as {@link Event.Apply}, decided then.
     */
    record Apply(InboundState.Session from, Entry version) implements Command {
    }

    /** Delete the temporary file of a received version that is not written anywhere (or no longer waits). */
    record DiscardTemp(Path temp) implements Command {
    }

    /** The version of the file here that loses, kept beside it as {@code keptAs} before it is replaced. */
    record KeepLocal(Path keptAs, Entry loser, Entry winner) {
    }

    /**
     * Put a received version in place: {@code keepLocal} (if any) kept beside first ({@link Event.KeptAside}),
     * then {@code rx.temp} renamed over its target ({@link Event.Installed}), then the other half of its pair held
     * until now ({@code partner}, if any), the same way; then the fetch of {@code rx} ends ({@link Event.FetchEnded},
     * failed if a write failed).
     */
    record Install(InboundState.Session from, Receiving rx, KeepLocal keepLocal, Arrivals.HeldHalf partner)
            implements Command {
    }

    /**
     * Keep a received version that lost to {@code winner} here beside the file as {@code keptAs} (written from
     * {@code rx.temp}), then {@link Event.KeptAside}, then the end of its fetch.
     */
    record SaveConflict(InboundState.Session from, Receiving rx, Path keptAs, Entry winner) implements Command {
    }

    /**
     * Write a peer's version that needs no content at {@code target} (under the root at {@code root}):
     * {@code keepLocal} (if any) kept beside first ({@link Event.KeptAside}), then the file deleted, the link made,
     * or the mode and owners given; then {@link Event.Written} with its stat.
     */
    record WriteVersion(InboundState.Session from, Entry version, Path target, Path root, KeepLocal keepLocal)
            implements Command {
    }

    /** A peer's round is ready (every file of it arrived): its links applied, the directories flushed, the peer told. */
    record RoundReady(RoundBook.Ready round) implements Command {
    }

    /**
     * Once what comes before it is carried out (a ready round's links applied), hand the core
     * {@link Event.RetryParked}: the parked config is looked at again ({@code due}: nothing it may wait for is
     * under way; refused unless it validates).
     */
    record RetryParked(boolean due) implements Command {
    }

    /** Nothing is being fetched: the certificate halves still held are given up (their temporary files deleted). */
    record CertificatesRoundOver() implements Command {
    }

    /**
     * A file here without a version took a peer's version of the same content (recorded already): give it that
     * version's mode and owners, and record its stat then.
     */
    record Adopt(Entry version) implements Command {
    }

    /** Write ({@code present}) or remove the marker that says this node waits, with no record of versions, for a peer's full round. */
    record NoHistoryMarker(java.nio.file.Path marker, boolean present) implements Command {
    }

    /**
     * Hand the core an event after {@code delayNanos}: {@link Event.Tick} when {@code path} is null (the debounce:
     * a later one replaces it), else {@link Event.Touched} of {@code path} (a certificate half looked at again).
     */
    record ArmTimer(Path path, long delayNanos) implements Command {
        static ArmTimer debounce(long delayNanos) {
            return new ArmTimer(null, delayNanos);
        }
    }

    /** Remove a temporary file an interrupted write left. */
    record RemoveTemp(Path file) implements Command {
    }

    /** The config file edited here became a version (after its offer): reload it. */
    record ConfigEdited(Path file) implements Command {
    }

    /** A config version received from {@code from} is in place: reload it. */
    record ConfigReceived(Path file, String from) implements Command {
    }

    /** The first sync is over, with this outcome. */
    record FirstSyncOver(String outcome) implements Command {
    }

    /** The operator's answer (to {@link Event.Confirm} or {@link Event.Restore}). */
    record Answer(String text) implements Command {
    }
}
