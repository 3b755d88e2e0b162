package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.Path;

/** What a scan makes of a symbolic link it finds under a mirrored path (the mirror's thread). */
final class LocalLinks {

    private LocalLinks() {
    }

    /**
     * The new version of the link at {@code path} (stat {@code s}), or null when there is none: the link is the
     * version recorded (its stat is recorded again), or it leads outside the mirrored paths (refused: not sent,
     * and reported once).
     */
    static Entry look(Roots roots, Refusals refusals, Ownership ownership, MirrorTable table, EntryKey key, Path path,
                      FileStore.Stat s, String node, long now) throws IOException {
        String target = Symlinks.target(path);
        String why = Symlinks.refusal(roots, path, target);
        if (why != null) {
            refusals.refuse(path.toString(), MirrorMetrics.LINK_OUTSIDE, why, null);
            return null;
        }
        refusals.clear(path.toString());
        MirrorTable.Local l = table.local(key);
        if (l != null && l.entry().isLink() && l.entry().link().equals(target) && !ownership.changed(s, l.stat())) {
            table.restat(key, s, now);
            return null;
        }
        String[] owners = ownership.namesForEdit(path, l == null ? null : l.entry());
        return Entry.link(key, l == null ? null : l.entry(), node, now, target, owners[0], owners[1]);
    }
}
