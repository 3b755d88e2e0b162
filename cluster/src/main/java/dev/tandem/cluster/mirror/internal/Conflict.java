package dev.tandem.cluster.mirror.internal;

import java.nio.file.Path;

/**
 * A losing version kept beside its file: which path, where the loser was kept and which version it was (so
 * that a peer that asks for it can still get it), which version won, and when this node decided it.
 */
public record Conflict(EntryKey key, Path keptAs, Entry loser, String winner, long at) {

    /** {@code NAME.conflict-NODE-VERSION}, as {@link Entry#conflictName} names a copy (NAME may hold such a suffix too). */
    private static final java.util.regex.Pattern COPY = java.util.regex.Pattern.compile(
            "(.+)\\.conflict-([A-Za-z0-9._-]+)-([0-9]{1,18})");

    /** What a conflict copy's name tells: the name of the file it is of, and the losing version's node and counter. */
    record Named(String file, String origin, long version) {
    }

    /** What {@code fileName} tells as a conflict copy's name; null for any other name. */
    static Named named(String fileName) {
        if (!fileName.contains(".conflict-")) {
            return null;
        }
        java.util.regex.Matcher m = COPY.matcher(fileName);
        return m.matches() ? new Named(m.group(1), m.group(2), Long.parseLong(m.group(3))) : null;
    }
}
