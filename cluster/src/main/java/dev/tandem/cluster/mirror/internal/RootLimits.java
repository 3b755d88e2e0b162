package dev.tandem.cluster.mirror.internal;

import dev.tandem.conf.MirrorLimits;
import java.util.HashMap;
import java.util.Map;

/**
 * The limits of {@code cluster.mirror.limits}, each root on its own: what a new version of a file may add to
 * its root. Files being received count from the moment they are asked for, so that a sync of many new files
 * cannot overshoot a limit between asking and writing. Owned by the mirror's thread.
 */
public final class RootLimits {

    /** Why a version is refused: the reason counted, and the message for the log and the status. */
    public record Over(String reason, String detail) {
    }

    private final MirrorLimits limits;
    /** Files asked for and not yet settled: what each adds (files, bytes) by key, and per root the sums. */
    private final Map<EntryKey, long[]> pending = new HashMap<>();
    private final Map<String, long[]> pendingByRoot = new HashMap<>();

    public RootLimits(MirrorLimits limits) {
        this.limits = limits;
    }

    public MirrorLimits limits() {
        return limits;
    }

    /**
     * Whether a version of {@code key} of {@code size} bytes (a link: 0) may replace {@code previous} (null or a
     * tombstone: a new file) in a root that now holds {@code usage}; null when it may.
     */
    public Over check(EntryKey key, long size, Entry previous, MirrorTable.Usage usage) {
        if (size > limits.fileSize()) {
            return new Over(MirrorMetrics.FILE_TOO_LARGE, size + " bytes, over the limit of "
                    + limits.fileSize() + " bytes a file (cluster.mirror.limits.file_size)");
        }
        boolean added = previous == null || previous.deleted();
        long before = added ? 0 : previous.size();
        long[] p = pendingByRoot.getOrDefault(key.root(), new long[2]);
        long[] self = pending.getOrDefault(key, new long[2]);
        long files = usage.files() + p[0] - self[0];
        long bytes = usage.bytes() + p[1] - self[1];
        if (added && files + 1 > limits.files()) {
            return new Over(MirrorMetrics.TOO_MANY_FILES, "a new file in " + key.root() + ", which already holds " + files
                    + " files (cluster.mirror.limits.files: " + limits.files() + ")");
        }
        if (size > before && bytes - before + size > limits.totalBytes()) {
            return new Over(MirrorMetrics.TOO_MANY_BYTES, size + " bytes in " + key.root() + ", which holds " + bytes
                    + " bytes: over the limit of " + limits.totalBytes() + " (cluster.mirror.limits.total_bytes)");
        }
        return null;
    }

    /**
     * Like {@link #check}, for a version asked of a peer: when it may be received, its size counts against its
     * root until {@link #settled}.
     */
    public Over admit(Entry e, Entry local, MirrorTable.Usage usage) {
        Over over = check(e.key(), e.size(), local, usage);
        if (over == null) {
            settled(e.key());
            boolean added = local == null || local.deleted();
            long[] adds = {added ? 1 : 0, e.size() - (added ? 0 : local.size())};
            pending.put(e.key(), adds);
            long[] p = pendingByRoot.computeIfAbsent(e.key().root(), r -> new long[2]);
            p[0] += adds[0];
            p[1] += adds[1];
        }
        return over;
    }

    /** A file asked for arrived, or will not: it counts in the table now, or not at all. */
    public void settled(EntryKey key) {
        long[] adds = pending.remove(key);
        if (adds != null) {
            long[] p = pendingByRoot.get(key.root());
            p[0] -= adds[0];
            p[1] -= adds[1];
        }
    }
}
