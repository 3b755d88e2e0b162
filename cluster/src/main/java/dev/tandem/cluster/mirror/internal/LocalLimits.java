package dev.tandem.cluster.mirror.internal;

import java.nio.file.Path;

/** The limits applied to a file changed on this node, before it is read (the mirror's thread). */
final class LocalLimits {

    private LocalLimits() {
    }

    /**
     * Whether the file at {@code path} (stat {@code s}) is over a limit of its root: then it is no version (not
     * sent), reported once, and not even read (a file over the size limit may be huge). Once it is within the
     * limits again, the refusal is withdrawn.
     */
    static boolean refused(RootLimits limits, Refusals refusals, MirrorTable table, EntryKey key, Path path,
                           FileStore.Stat s) {
        RootLimits.Over over = limits.check(key, s.size(), table.get(key), table.usage(key.root()));
        if (over != null) {
            refusals.refuse(path.toString(), over.reason(), over.detail(), null);
            return true;
        }
        refusals.clear(path.toString());
        return false;
    }
}
