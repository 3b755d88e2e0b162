package dev.tandem.cluster.mirror.internal;

/**
 * What a node does with a version of a path it hears of, given the version it has. The same inputs give the
 * same answer on every node, which is what makes them converge.
 */
public enum Resolution {
    /** Already have it, or something that includes it: nothing to do. */
    KEEP,
    /** It includes the local version: take it. */
    TAKE,
    /** Concurrent with the local version and wins: take it, and keep the local content beside the file. */
    TAKE_KEEP_LOCAL,
    /** Concurrent with the local version and loses: keep the local one, and its content beside the file. */
    KEEP_SAVE_REMOTE,
    /** Concurrent, the same content, and wins: take its version (nothing to keep: nothing differs). */
    ADOPT;

    /**
     * @param local  the local version, or null when this node never had the path
     * @param remote the version heard of
     */
    public static Resolution of(Entry local, Entry remote) {
        if (local == null) {
            return TAKE;
        }
        switch (local.vector().compare(remote.vector())) {
            case AFTER:
                return KEEP;
            case BEFORE:
                return TAKE;
            case EQUAL:
                if (local.sameContent(remote) || remote.precedence(local) == 0) {
                    // (the second: nothing the order knows of differs, so no side could win)
                    return KEEP;
                }
                // One version, two contents: a node whose counter went back (restored from a backup with its
                // state) edited again before it met its peers. Decided as concurrent edits are, or each node
                // would keep its own content for good, both sure they agree.
                break;
            default:
                break;
        }
        boolean remoteWins = remote.precedence(local) > 0;
        if (local.sameContent(remote)) {
            return remoteWins ? ADOPT : KEEP;
        }
        if (remoteWins) {
            // A deleted local version has nothing to keep: the deletion simply loses.
            return local.deleted() ? TAKE : TAKE_KEEP_LOCAL;
        }
        return remote.deleted() ? KEEP : KEEP_SAVE_REMOTE;
    }

    /**
     * Whether the remote content (bytes) is needed to carry this out. A link never needs any: its target is in
     * its version.
     */
    public boolean needsContent(Entry local, Entry remote) {
        if (remote.isLink()) {
            return false;
        }
        return switch (this) {
            case KEEP, ADOPT -> false;
            case KEEP_SAVE_REMOTE -> true;
            case TAKE, TAKE_KEEP_LOCAL -> !remote.deleted()
                    && (local == null || local.deleted() || !local.hash().equals(remote.hash()));
        };
    }
}
