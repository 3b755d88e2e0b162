package dev.tandem.cluster.mirror.internal;

import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What a change seen on local disk means for one path: nothing (the engine's own install, a stat that says
 * nothing changed), a deletion, a whole root gone, a file still being written, the same content again, or a
 * new version of this node; for a tree walk, what it does with each path it meets and which known paths it
 * did not see; and how long a burst of file events settles before its paths are looked at. No I/O: the engine
 * stats, hashes and reads the file, hands the facts in as plain values (with the time, read once from its
 * clock), and carries the verdict out (records, sends, holds, refuses).
 *
 * <p>Between these verdicts the engine asks others, in this order: after {@link Look#PRESENT},
 * {@code NoHistory} and the {@code DeletionGuard}; once {@link #statUnchanged} says no, links and limits
 * ({@code EditChecks}); after a content that is not {@link Content#SAME}, the config file's check and
 * {@code CertificatePairs} ({@code EditChecks#edited}).
 */
final class LocalScan {

    /**
     * A file whose mtime is this close to when it was hashed may have changed within the same timestamp tick
     * after the hash: its stat alone does not prove it unchanged.
     */
    static final long RACY_MILLIS = 1000;

    private LocalScan() {
    }

    /**
     * What the engine knows of one path before it reads its content.
     *
     * @param stat         the path's stat now, null when it does not exist
     * @param installed    the stat of the file as the engine itself last renamed it into place there, or null
     * @param recorded     the version recorded here, null when none
     * @param recordedStat the stat recorded with it (null when none)
     * @param hashedAt     when the recorded content was hashed (epoch millis)
     * @param force        a file event came for the path: hash it even when the stat says nothing changed
     * @param rootPresent  the path's root is a directory now (false: unmounted, removed)
     * @param config       the path is the node's config file
     * @param now          the engine's clock, read once for this look (epoch millis)
     */
    record Facts(EntryKey key, FileStore.Stat stat, FileStore.Stat installed, Entry recorded,
                 FileStore.Stat recordedStat, long hashedAt, boolean force, boolean rootPresent, boolean config,
                 long now) {
    }

    /** What the stat of a path says, before anything else is looked at. */
    enum Look {
        /** The file as the engine renamed it into place (its own event, or a scan right after): nothing. */
        OWN_INSTALL,
        /** Gone, and it had no version here or was deleted already: nothing to send (it waits no more). */
        NOTHING_GONE,
        /** Gone with its whole root (an unmounted disk?): not a deletion of every file in it. */
        ROOT_GONE,
        /** The config file deleted: refused, it is not mirrored away. */
        CONFIG_GONE,
        /** A deletion of this node, judged with the scan's other deletions before it is recorded or sent. */
        DELETED,
        /** It is there: to be looked at further. */
        PRESENT
    }

    static Look look(Facts f) {
        if (f.stat() != null && f.stat().equals(f.installed())) {
            return Look.OWN_INSTALL;
        }
        if (f.stat() != null) {
            return Look.PRESENT;
        }
        if (f.recorded() == null || f.recorded().deleted()) {
            return Look.NOTHING_GONE;
        }
        if (!f.key().rel().isEmpty() && !f.rootPresent()) {
            return Look.ROOT_GONE;
        }
        return f.config() ? Look.CONFIG_GONE : Look.DELETED;
    }

    /** The deletion of {@link Look#DELETED}: the recorded version's successor, by {@code node}. */
    static Entry deletion(Facts f, String node) {
        return Entry.deletion(f.recorded(), node, f.now());
    }

    /**
     * Whether the stat alone shows the file as recorded: the same stat, no file event for it, and hashed long
     * enough after its mtime that an edit in the same tick would have shown.
     */
    static boolean statUnchanged(Facts f) {
        return !f.force() && f.recorded() != null && f.stat().equals(f.recordedStat())
                && f.hashedAt() - f.stat().mtimeNanos() / 1_000_000 > RACY_MILLIS;
    }

    /** What the content of a present file says, once hashed. */
    enum Content {
        /** The stat moved while it was hashed: still being written, to be looked at again. */
        CHANGING,
        /** The content, mode and owners are those recorded: only the stat is to be recorded anew. */
        SAME,
        /** A new version of this node. */
        EDITED
    }

    /**
     * @param hash          the content's hash
     * @param after         the stat read again after the hash
     * @param ownersChanged the owners differ from those recorded, on a node that mirrors owners
     */
    static Content content(Facts f, String hash, FileStore.Stat after, boolean ownersChanged) {
        if (!f.stat().equals(after)) {
            return Content.CHANGING;
        }
        Entry r = f.recorded();
        if (r != null && !r.deleted() && r.hash().equals(hash) && r.mode() == f.stat().mode() && !ownersChanged) {
            return Content.SAME;
        }
        return Content.EDITED;
    }

    /** The new version of {@link Content#EDITED}, by {@code node}. */
    static Entry edit(Facts f, String node, String hash, String owner, String group) {
        return Entry.edit(f.key(), f.recorded(), node, f.now(), hash, f.stat().mode(), f.stat().size(), owner, group);
    }

    /**
     * After a walk of a directory: whether {@code known}, an entry recorded under it, is live and was not seen
     * by the walk, and so is to be looked at alone (it is gone, or was missed).
     */
    static boolean unseen(Entry known, Set<EntryKey> seen) {
        return !known.deleted() && !seen.contains(known.key());
    }

    /**
     * A path an event came for is neither a directory nor a file now (a directory that went away): whether
     * {@code known}, an entry recorded under it, is live and is to be looked at alone.
     */
    static boolean underGone(EntryKey gone, Entry known) {
        return !known.key().equals(gone) && !known.deleted();
    }

    /** What a walk does with one path it meets. */
    enum Visit {
        /** A temporary file of this engine's (left by an interrupted write when found at start). */
        TEMP,
        /** Neither a regular file nor a link (a device, a socket, a fifo): not mirrored. */
        NOT_MIRRORED,
        /** To be looked at, when it lies under a root. */
        LOOK
    }

    static Visit visit(String name, boolean regularFile, boolean link) {
        if (FileStore.isTemp(name)) {
            return Visit.TEMP;
        }
        return regularFile || link ? Visit.LOOK : Visit.NOT_MIRRORED;
    }

    /**
     * How long to wait before looking at the paths of a burst of file events: until the burst has been quiet
     * for {@code debounceNanos}, but no longer than ten times that (at least a second) after its first event,
     * so that a path changing all the time does not hold back the others. Monotonic nanos.
     */
    static long debounceNanos(long debounceNanos, long firstEventNanos, long nowNanos) {
        long cap = Math.max(TimeUnit.SECONDS.toNanos(1), debounceNanos * 10);
        return Math.min(debounceNanos, Math.max(0, firstEventNanos + cap - nowNanos));
    }
}
