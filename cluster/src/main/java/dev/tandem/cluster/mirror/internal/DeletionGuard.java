package dev.tandem.cluster.mirror.internal;

import java.util.ArrayDeque;
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
 * <p>The judgement is of a root's deletions over a sliding window ({@link Limits#window()}), not of one batch:
 * the deletions that passed in the window count with the ones asked about, against the files the root had
 * when the window began. So a mass deletion split across several offers, rounds or scans is held once the
 * deletions of the window add up to one; no more than the thresholds' worth of a root's files is ever deleted
 * within a window without a person's word.
 *
 * <p>A held local deletion is no version: the files keep their version here, so peers keep them, and a file
 * that comes back (the disk remounted) leaves the hold. A held deletion from a peer is not applied here.
 */
public final class DeletionGuard {

    /**
     * The thresholds: a deletion is held when, with the others that passed within {@code windowMillis}, it is
     * of every file, or of more than both of these.
     */
    public record Limits(int maxFiles, int maxPercent, long windowMillis) {
        /** Deletions this close together are judged as one. */
        public static final long WINDOW_MILLIS = 5 * 60_000L;
        public static final Limits DEFAULT = new Limits(10, 50);

        public Limits(int maxFiles, int maxPercent) {
            this(maxFiles, maxPercent, WINDOW_MILLIS);
        }
    }

    /** Deletions of a root that passed at {@code at}, when the root had {@code filesBefore} files. */
    private record Passed(long at, int files, int filesBefore) {
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
    /** Per root, the deletions that passed within the window, oldest first. */
    private final Map<String, ArrayDeque<Passed>> passed = new LinkedHashMap<>();

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
     * The deletions of the root that passed within the window count with these (see the class comment).
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
        long now = millis.getAsLong();
        ArrayDeque<Passed> recent = recent(root, now);
        int before = 0;
        for (Passed p : recent) {
            before += p.files();
        }
        int n = deletions.size();
        int total = before + n;
        // The files the root had when the window began: as recorded then, or (files added since) as now.
        int filesThen = Math.max(recent.isEmpty() ? liveFiles : recent.peekFirst().filesBefore(), liveFiles + before);
        boolean every = n >= liveFiles || total >= filesThen;
        boolean many = total > limits.maxFiles() && (long) total * 100 > (long) filesThen * limits.maxPercent();
        if (!every && !many) {
            recent.addLast(new Passed(now, n, liveFiles));
            passed.put(root, recent);
            return Verdict.PASS;
        }
        h = new Hold(root, now, filesThen, from);
        h.keys.putAll(deletions);
        holds.put(root, h);
        return Verdict.HELD_NEW;
    }

    /** The deletions of {@code root} that passed within the window before {@code now}. */
    private ArrayDeque<Passed> recent(String root, long now) {
        ArrayDeque<Passed> recent = passed.getOrDefault(root, new ArrayDeque<>());
        // (A clock stepped back leaves the entries in: they are older than now says, not newer.)
        while (!recent.isEmpty() && now - recent.peekFirst().at() >= limits.windowMillis()) {
            recent.removeFirst();
        }
        if (recent.isEmpty()) {
            passed.remove(root);
        }
        return recent;
    }

    /** How many deletions of {@code root} passed within the window (status, tests). */
    int passedInWindow(String root) {
        int n = 0;
        for (Passed p : recent(root, millis.getAsLong())) {
            n += p.files();
        }
        return n;
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

    /**
     * Ends the hold of {@code root} and returns it (to apply, or to restore), or null when none is held. A person
     * has looked at the root: the window begins again.
     */
    Hold release(String root) {
        Hold h = holds.remove(root);
        if (h != null) {
            passed.remove(root);
        }
        return h;
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
