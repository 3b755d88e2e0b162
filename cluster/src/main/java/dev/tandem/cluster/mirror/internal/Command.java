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

    /** Apply a peer's deletion here (its hold confirmed). */
    record Delete(InboundState.Session from, Entry deletion) implements Command {
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

    /** The first sync is over, with this outcome. */
    record FirstSyncOver(String outcome) implements Command {
    }

    /** The operator's answer (to {@link Event.Confirm} or {@link Event.Restore}). */
    record Answer(String text) implements Command {
    }
}
