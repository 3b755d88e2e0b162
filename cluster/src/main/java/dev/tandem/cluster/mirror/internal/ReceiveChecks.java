package dev.tandem.cluster.mirror.internal;

import java.util.function.Predicate;

/**
 * What becomes of a file a peer sends, at its start and at its end: refused (a path that would leave its root
 * or pass through a link, a file over the size limit), dropped as no longer needed, received into memory or a
 * temporary file; then kept only when its length and SHA-256 are those of its version. No I/O: {@code Receiver}
 * gives the facts (the ones that cost a look at the disk or the table are asked only when needed) and carries
 * the verdict out.
 */
final class ReceiveChecks {

    private ReceiveChecks() {
    }

    /** A fact asked for only when the decision needs it. */
    @FunctionalInterface
    interface Fact {
        boolean get();
    }

    /** What is done with a file a peer begins to send. */
    enum Start {
        /** It began inside another: the peer broke the protocol, its connection is closed. */
        CLOSE,
        /** Its path would leave its root or pass through a link: refused, nothing written. */
        UNSAFE_PATH,
        /** Over the size limit (never asked for): nothing written. */
        TOO_LARGE,
        /** The version here changed meanwhile, or its conflict copy is kept already: dropped, not a failure. */
        NOT_NEEDED,
        /** Received into memory, written in one go on the flush pool. */
        IN_MEMORY,
        /** Received into a temporary file beside its target. */
        TO_FILE
    }

    /**
     * @param inAnother    a file of that connection is being received
     * @param safePath     its path maps under a root here with no link on the way (a look at the disk)
     * @param sizeLimit    the largest file this node takes ({@code cluster.mirror.limits.file_size})
     * @param local        the version here now, or null
     * @param e            the version sent
     * @param conflictKept whether a losing version is kept as a conflict copy already
     * @param smallFile    files up to this size are received into memory
     */
    static Start start(boolean inAnother, Fact safePath, long sizeLimit, Entry local, Entry e,
                       Predicate<Entry> conflictKept, int smallFile) {
        if (inAnother) {
            return Start.CLOSE;
        }
        if (!safePath.get()) {
            return Start.UNSAFE_PATH;
        }
        if (e.size() > sizeLimit) {
            return Start.TOO_LARGE;
        }
        Resolution r = Resolution.of(local, e);
        if (!r.needsContent(local, e) || r == Resolution.KEEP_SAVE_REMOTE && conflictKept.test(e)) {
            return Start.NOT_NEEDED;
        }
        return e.size() <= smallFile ? Start.IN_MEMORY : Start.TO_FILE;
    }

    /** Whether what arrived ({@code written} bytes hashing to {@code hash}) is the content of {@code e}. */
    static boolean complete(Entry e, long written, String hash) {
        return written == e.size() && hash.equals(e.hash());
    }
}
