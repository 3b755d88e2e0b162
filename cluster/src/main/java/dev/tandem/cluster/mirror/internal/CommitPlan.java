package dev.tandem.cluster.mirror.internal;

/**
 * What becomes of a received file whose content is complete and flushed, decided again against the version
 * here now (an edit made here meanwhile competes instead of being overwritten). No I/O: the engine reads the
 * facts off the disk, and carries the plan out. A file to install still passes the config's check and the
 * certificate pair's between the plan and the rename.
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
}
