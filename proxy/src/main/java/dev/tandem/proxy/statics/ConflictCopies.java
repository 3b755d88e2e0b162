package dev.tandem.proxy.statics;

import java.util.regex.Pattern;

/**
 * The names the mirror gives the losing version of two concurrent edits, kept beside the file:
 * {@code NAME.conflict-NODE-VERSION}. Such a copy is for an operator to look at, never content: a static root
 * never serves it (it is looked up as a missing file, so the fallback answers).
 */
final class ConflictCopies {

    /** As {@code Entry.conflictName} in the mirror writes it (the node name with [^A-Za-z0-9._-] replaced). */
    private static final Pattern NAME = Pattern.compile(".+\\.conflict-[A-Za-z0-9._-]+-[0-9]+");

    private ConflictCopies() {
    }

    static boolean isConflictCopy(String fileName) {
        return fileName.contains(".conflict-") && NAME.matcher(fileName).matches();
    }
}
