package dev.tandem.cluster.mirror.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What becomes of an offer from a peer, entry by entry, as commands for {@code PeerOffers} (in the core) to carry out: a
 * deletion of a live file waits for the end of the peer's round (where the round's deletions pass the guard
 * together, see {@link Deletions#judgeRound}); a file offered again leaves a hold of that peer's; a file with
 * no version here (see {@link NoHistory}) that holds the offered content takes its version without a transfer;
 * the rest as {@link RoundBook#triage} says (a link after its round's files, a version applied at once,
 * content asked for, nothing). A path that would leave its root is counted once an offer.
 *
 * <p>No I/O and no state: what this node knows comes in through {@link Known}, asked only when it matters
 * (whether the file here holds the offered content costs a hash). The commands are decided on what this node
 * knew when the offer came; those that write decide again against the version here when they are carried out
 * ({@link CommitPlan}), so that a path offered twice in one offer is not written on a stale verdict.
 */
final class OfferTriage {

    private OfferTriage() {
    }

    /** What this node knows of the paths offered. */
    interface Known {
        /** The version here, or null. */
        Entry local(EntryKey key);

        /** The path maps to one under a root mirrored here. */
        boolean pathHere(EntryKey key);

        /** The root is mirrored here. */
        boolean rootHere(String root);

        /** The path has a file with no version here, which waits for the peers' versions (see {@link NoHistory}). */
        boolean waitingWithoutHistory(EntryKey key);

        /** A losing version is kept as a conflict copy already. */
        boolean conflictKept(Entry e);

        /** The hash of the config of that path this node refused, or null. */
        String refusedHash(EntryKey key);

        /** The file here (no link) holds the content of {@code e}: its size and hash. */
        boolean sameContentHere(Entry e);
    }

    /** What {@code PeerOffers} does. */
    sealed interface Command permits Reoffered, DeferDeletion, Adopt, Link, Apply, Fetch, NotMirrored, Unsafe {
    }

    /** The file is offered again (no deletion): no deletion of the round for it; a hold of the peer's ends for it. */
    record Reoffered(EntryKey key) implements Command {
    }

    /** A deletion of a live file here: waits for the end of the round and the guard. */
    record DeferDeletion(Entry e) implements Command {
    }

    /** A file with no version here holds the offered content: it takes the version, nothing is transferred. */
    record Adopt(Entry e) implements Command {
    }

    /** A link: applied once the files of its round are in place. */
    record Link(Entry e) implements Command {
    }

    /** Applied at once: a deletion (confirmed, or of nothing here), a mode, the same content. */
    record Apply(Entry e) implements Command {
    }

    /** Its content is needed: asked for, within the limits of its root. */
    record Fetch(Entry e) implements Command {
    }

    /** Of a root this node does not mirror. */
    record NotMirrored(Entry e) implements Command {
    }

    /** At least one path of the offer would leave its root: refused, counted once. */
    record Unsafe() implements Command {
    }

    /** The commands of an offer, in order: those of its deletions and files offered again first. */
    static List<Command> of(List<Entry> offered, Known k) {
        List<Command> out = new ArrayList<>();
        Set<EntryKey> deferred = new HashSet<>();
        for (Entry e : offered) {
            if (e.confirmed()) {
                // an operator confirmed that deletion on the peer: it passed the guard there
                continue;
            }
            if (!e.deleted()) {
                out.add(new Reoffered(e.key()));
            } else if (k.pathHere(e.key())
                    && Deletions.deletesHere(e, k.local(e.key()), k.waitingWithoutHistory(e.key()))) {
                out.add(new DeferDeletion(e));
                deferred.add(e.key());
            }
        }
        boolean unsafe = false;
        for (Entry e : offered) {
            if (deferred.contains(e.key())) {
                continue;
            }
            Command c = entry(e, k, true);
            if (c instanceof Unsafe) {
                unsafe = true;
            } else if (c != null) {
                out.add(c);
            }
        }
        if (unsafe) {
            out.add(new Unsafe());
        }
        return out;
    }

    /**
     * The command of one entry that is no deferred deletion, or null for nothing (the guard holds it, this node
     * has it or refused it before).
     *
     * @param mayAdopt a file with no version here may take the version offered (false once that failed)
     */
    static Command entry(Entry e, Known k, boolean mayAdopt) {
        Entry local = k.local(e.key());
        boolean pathHere = k.pathHere(e.key());
        if (mayAdopt && local == null && pathHere && !e.deleted() && !e.isLink() && k.waitingWithoutHistory(e.key())
                && k.sameContentHere(e)) {
            return new Adopt(e);
        }
        return switch (RoundBook.triage(e, false, pathHere, k.rootHere(e.key().root()), local, k::conflictKept,
                k.refusedHash(e.key()))) {
            case UNSAFE -> new Unsafe();
            case NOT_MIRRORED -> new NotMirrored(e);
            case LINK -> new Link(e);
            case WITHOUT_CONTENT -> new Apply(e);
            case CONTENT -> new Fetch(e);
            case HELD, HAVE, REFUSED_BEFORE -> null;
        };
    }
}
