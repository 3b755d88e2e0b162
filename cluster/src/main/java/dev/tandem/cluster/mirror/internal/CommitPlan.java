package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.util.List;

/**
 * What becomes of a version received from a peer, decided against the version here now (an edit made here
 * meanwhile competes instead of being overwritten): a file whose content is complete and flushed
 * ({@link #of}, then {@link #install} once the config's check and the certificate pair's are known), and a
 * version that needs no content ({@link #withoutContent}: a deletion, a link, a mode). No I/O: the engine
 * reads the facts off the disk (those that cost a read are given as {@link Fact}s and asked only on the branch
 * that needs them), and carries the plan out.
 */
final class CommitPlan {

    enum Step {
        /** Nothing to write: the version here includes the received one. */
        DISCARD,
        /** The same content here under a version that loses: the received version is taken, the file stays. */
        ADOPT,
        /** The received version loses to a concurrent one here: it is kept beside the file as a conflict copy. */
        SAVE_AS_CONFLICT,
        /** As {@link #SAVE_AS_CONFLICT}, but that copy is there already: only the conflict is recorded. */
        CONFLICT_ALREADY_KEPT,
        /** The received version wins: renamed into place. */
        INSTALL
    }

    /** What of the file here is kept beside the one installed over it. */
    enum KeepLocal {
        NONE,
        /** An edit of the config made here that does not validate: no version, but not lost either. */
        INVALID_EDIT,
        /** The version here, which lost to a concurrent one. */
        LOSER,
        /** A file with no version here (see {@link NoHistory}), with another content than the cluster's. */
        WITHOUT_HISTORY
    }

    record Plan(Step step, KeepLocal keep) {
    }

    private CommitPlan() {
    }

    /**
     * @param r                     the received version against the one here now
     * @param conflictCopyExists    the conflict copy the received version would be kept as is there already
     * @param invalidEditHere       the file here is an edit of the config that does not validate
     * @param targetExists          a file (or link) is at the target
     * @param withoutHistoryDiffers the file here has no version (see {@link NoHistory}) and another content
     */
    static Plan of(Resolution r, boolean conflictCopyExists, boolean invalidEditHere, boolean targetExists,
                   boolean withoutHistoryDiffers) {
        return switch (r) {
            case KEEP -> new Plan(Step.DISCARD, KeepLocal.NONE);
            case ADOPT -> new Plan(Step.ADOPT, KeepLocal.NONE);
            case KEEP_SAVE_REMOTE -> new Plan(conflictCopyExists ? Step.CONFLICT_ALREADY_KEPT : Step.SAVE_AS_CONFLICT,
                    KeepLocal.NONE);
            case TAKE, TAKE_KEEP_LOCAL -> new Plan(Step.INSTALL, invalidEditHere && targetExists ? KeepLocal.INVALID_EDIT
                    : r == Resolution.TAKE_KEEP_LOCAL ? KeepLocal.LOSER
                    : withoutHistoryDiffers ? KeepLocal.WITHOUT_HISTORY : KeepLocal.NONE);
        };
    }

    /** A fact read off the disk, asked for only when the decision needs it. */
    @FunctionalInterface
    interface Fact<T> {
        T get() throws IOException;
    }

    /** What is done with a file {@link Step#INSTALL} would put in place, once its checks are known. */
    enum Install {
        /** The config does not validate (yet): parked until the rest of what is under way has arrived. */
        PARK,
        /** A certificate or key whose pair does not pass with what is on disk: kept aside for its other half. */
        HOLD_HALF,
        /** A certificate pair that does not pass: neither half is written (the held one is dropped too). */
        REFUSE_PAIR,
        /** Renamed into place. */
        INSTALL,
        /** Renamed into place, and the other half of its pair, held until now, right after it. */
        INSTALL_WITH_PARTNER
    }

    /**
     * @param problems the config check's problems with it, for {@link #PARK}; {@code partner} what the engine
     *                 needs to put in place (or drop) the other half held
     */
    record Installing<T>(Install step, List<String> problems, T partner) {
    }

    /**
     * @param config   the file is the node's config
     * @param problems the config check's problems with the received content (asked for the config only)
     * @param pair     what {@link CertificatePairs#received} says of it (asked for any other file only; null
     *                 where no pairs are checked)
     */
    static <T> Installing<T> install(boolean config, Fact<List<String>> problems,
                                     Fact<CertificatePairs.Received<T>> pair) throws IOException {
        if (config) {
            List<String> p = problems.get();
            return new Installing<>(p.isEmpty() ? Install.INSTALL : Install.PARK, p, null);
        }
        CertificatePairs.Received<T> unit = pair.get();
        if (unit == null) {
            return new Installing<>(Install.INSTALL, List.of(), null);
        }
        return switch (unit.action()) {
            case HOLD -> new Installing<>(Install.HOLD_HALF, unit.errors(), null);
            case REFUSE -> new Installing<>(Install.REFUSE_PAIR, unit.errors(), unit.partner());
            case INSTALL -> new Installing<>(unit.partner() == null ? Install.INSTALL : Install.INSTALL_WITH_PARTNER,
                    List.of(), unit.partner());
        };
    }

    /** What is done with a version that needs no content. */
    enum Apply {
        /** The file here changed meanwhile (or has it already): nothing now, the next offer decides again. */
        NOTHING,
        /** The same content here under a version that loses: the received version is taken. */
        ADOPT,
        /** A deletion of the config: refused, a config is not mirrored away. */
        REFUSE_CONFIG_DELETION,
        /** A deletion through a link on the way: refused as an unsafe path. */
        UNSAFE_PATH,
        /** A deletion: the file is deleted. */
        DELETE,
        /** A link whose target leaves the mirrored paths: refused. */
        REFUSE_LINK,
        /** A link: made (or flipped) in place. */
        LINK,
        /** The same content with another mode or owners: those are applied. */
        MODE
    }

    /** @param keepLoser the version here lost to a concurrent one and is kept beside as a conflict copy first */
    record Applying(Apply step, boolean keepLoser) {
    }

    /**
     * @param local          the version here now (after a look at the file), or null
     * @param e              the version received
     * @param config         its path is the node's config file
     * @param noLinksBetween no link lies between the root and the file (asked for a deletion only)
     * @param linkRefusal    why the link's target may not be mirrored, or null (asked for a link only)
     */
    static Applying withoutContent(Entry local, Entry e, boolean config, Fact<Boolean> noLinksBetween,
                                   Fact<String> linkRefusal) throws IOException {
        Resolution r = Resolution.of(local, e);
        if (r.needsContent(local, e) || r == Resolution.KEEP || r == Resolution.KEEP_SAVE_REMOTE) {
            return new Applying(Apply.NOTHING, false);
        }
        if (r == Resolution.ADOPT) {
            return new Applying(Apply.ADOPT, false);
        }
        boolean keepLoser = r == Resolution.TAKE_KEEP_LOCAL;
        if (e.deleted()) {
            if (config) {
                return new Applying(Apply.REFUSE_CONFIG_DELETION, false);
            }
            if (!noLinksBetween.get()) {
                return new Applying(Apply.UNSAFE_PATH, false);
            }
            return new Applying(Apply.DELETE, keepLoser);
        }
        if (e.isLink()) {
            return linkRefusal.get() != null ? new Applying(Apply.REFUSE_LINK, false) : new Applying(Apply.LINK, keepLoser);
        }
        return new Applying(Apply.MODE, false);
    }

    /** What becomes of the config parked (it did not validate when it came), validated again. */
    enum Parked {
        /** It validates now (a certificate it names has come): installed. */
        INSTALL,
        /** Still not valid, and more of what is under way may make it so: it waits. */
        WAIT,
        /** Still not valid, and nothing else is awaited (or its connection closed): refused. */
        REFUSE
    }

    /**
     * @param problems the config check's problems with it now
     * @param due      nothing else it may wait for is under way ({@link RoundBook#parkedDue})
     */
    static Parked parked(List<String> problems, boolean due) {
        if (problems.isEmpty()) {
            return Parked.INSTALL;
        }
        return due ? Parked.REFUSE : Parked.WAIT;
    }
}
