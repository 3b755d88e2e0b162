package dev.tandem.cluster.mirror.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Holds a mass deletion instead of mirroring it: a scan here, or a peer's offer, that would delete every file
 * of a root, or more than {@code max_deletions} files and more than {@code max_deletion_percent} of them, is
 * what an unmounted disk or a failed restore looks like, not an edit. Such deletions are held, per root, until
 * an operator confirms them ({@code tandem mirror confirm ROOT}); a deletion of a root already held joins the
 * hold. No I/O: the engine asks, and applies what it is told to.
 *
 * <p>A held local deletion is no version: the files keep their version here, so peers keep them, and a file
 * that comes back (the disk remounted) leaves the hold. A held deletion from a peer is not applied here.
 */
public final class DeletionGuard {

    /** The thresholds: a deletion is held when it is of every file, or of more than both of these. */
    public record Limits(int maxFiles, int maxPercent) {
        public static final Limits DEFAULT = new Limits(10, 50);
    }

    /** One root's held deletions, each with the peer's deletion version (null: the file is gone here). */
    static final class Hold {
        final String root;
        final long since;
        final int filesThen;
        final Map<EntryKey, Entry> keys = new TreeMap<>();
        /** Who deleted: "here", or the peer whose offer it was. */
        final String from;

        Hold(String root, long since, int filesThen, String from) {
            this.root = root;
            this.since = since;
            this.filesThen = filesThen;
            this.from = from;
        }
    }

    /** What to do with the deletions judged. */
    enum Verdict {
        /** Apply them: a deletion of the usual kind. */
        PASS,
        /** Held, and the hold is new: warn. */
        HELD_NEW,
        /** Held, joining a hold already reported. */
        HELD
    }

    private final Limits limits;
    private final LongSupplier millis;
    private final Map<String, Hold> holds = new LinkedHashMap<>();

    DeletionGuard(Limits limits, LongSupplier millis) {
        this.limits = limits;
        this.millis = millis;
    }

    Limits limits() {
        return limits;
    }

    /**
     * Judges deletions of {@code root}, which holds {@code liveFiles} files now (the ones to be deleted
     * included). {@code deletions} maps each key to the peer's deletion version, or to null for one made here.
     */
    Verdict judge(String root, int liveFiles, Map<EntryKey, Entry> deletions, String from) {
        if (deletions.isEmpty()) {
            return Verdict.PASS;
        }
        Hold h = holds.get(root);
        if (h != null) {
            h.keys.putAll(deletions);
            return Verdict.HELD;
        }
        int n = deletions.size();
        boolean every = n >= liveFiles;
        boolean many = n > limits.maxFiles() && (long) n * 100 > (long) liveFiles * limits.maxPercent();
        if (!every && !many) {
            return Verdict.PASS;
        }
        h = new Hold(root, millis.getAsLong(), liveFiles, from);
        h.keys.putAll(deletions);
        holds.put(root, h);
        return Verdict.HELD_NEW;
    }

    /** Whether a deletion of {@code key} is held (its file, gone here, keeps its version). */
    boolean held(EntryKey key) {
        Hold h = holds.get(key.root());
        return h != null && h.keys.containsKey(key);
    }

    /**
     * The file of {@code key} is there again (or the peer's version of it is no deletion any more): it leaves
     * the hold. Returns true when that ended the root's hold.
     */
    boolean back(EntryKey key) {
        Hold h = holds.get(key.root());
        if (h == null || !h.keys.containsKey(key)) {
            return false;
        }
        h.keys.remove(key);
        if (h.keys.isEmpty()) {
            holds.remove(key.root());
            return true;
        }
        return false;
    }

    /** Ends the hold of {@code root} and returns it (to apply, or to restore), or null when none is held. */
    Hold release(String root) {
        return holds.remove(root);
    }

    Hold hold(String root) {
        return holds.get(root);
    }

    Collection<Hold> holds() {
        return new ArrayList<>(holds.values());
    }

    /** The keys held of {@code root}. */
    List<EntryKey> keys(String root) {
        Hold h = holds.get(root);
        return h == null ? List.of() : List.copyOf(h.keys.keySet());
    }
}
