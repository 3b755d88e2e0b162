package dev.tandem.cluster.mirror.internal;

import java.util.Objects;

/**
 * One version of one mirrored path, as every node knows it: a file with its content hash, size and mode, a
 * symbolic link with its target text, or the tombstone of a deleted one. Tombstones are kept so that a node that was away learns of the deletion
 * instead of bringing the file back.
 *
 * @param version   the scalar version: the highest counter in {@code vector}
 * @param origin    the node whose edit this is
 * @param changedAt when that node saw the edit (its wall clock, milliseconds; for status only)
 * @param hash      hex SHA-256 of the content; empty for a tombstone
 * @param mode      permission bits (07777); 0 for a tombstone, {@link #CONFIRMED} for one of a mass deletion an
 *                  operator confirmed (it passes the peers' deletion guards: the confirmation was given once)
 * @param link      the target of a symbolic link, as written in the link (relative or absolute); null for a file
 *                  or a tombstone. A link has no content: its hash is {@link Symlinks#hash} of the target, size 0
 * @param owner     the owner's user name; empty when not known (a version recorded before owners were mirrored)
 * @param group     the group's name; empty when not known
 */
public record Entry(EntryKey key, long version, String origin, VersionVector vector, long changedAt, String hash,
                    boolean deleted, int mode, long size, String link, String owner, String group) {

    public Entry {
        Objects.requireNonNull(key);
        Objects.requireNonNull(origin);
        Objects.requireNonNull(vector);
        Objects.requireNonNull(hash);
        if (version != vector.max() || vector.get(origin) != version) {
            throw new IllegalArgumentException(key + ": version " + version + " of " + origin
                    + " does not match its vector " + vector);
        }
        if (deleted ? !hash.isEmpty() || size != 0 : hash.length() != 64) {
            throw new IllegalArgumentException(key + ": hash '" + hash + "' (expected: 64 hex digits, or empty for a deletion)");
        }
        owner = owner == null ? "" : owner;
        group = group == null ? "" : group;
        if (link != null && (deleted || size != 0 || link.isEmpty())) {
            throw new IllegalArgumentException(key + ": a link to '" + link + "' (expected: a target, no size, not deleted)");
        }
    }

    /** A file or a tombstone whose owner is not known. */
    public Entry(EntryKey key, long version, String origin, VersionVector vector, long changedAt, String hash,
                 boolean deleted, int mode, long size) {
        this(key, version, origin, vector, changedAt, hash, deleted, mode, size, null, "", "");
    }

    /** Whether this version is a symbolic link. */
    public boolean isLink() {
        return link != null;
    }

    /** A local edit on {@code node}, owned by {@code owner}:{@code group}. */
    public static Entry edit(EntryKey key, Entry previous, String node, long now, String hash, int mode, long size,
                             String owner, String group) {
        VersionVector v = (previous == null ? VersionVector.EMPTY : previous.vector).edit(node);
        return new Entry(key, v.max(), node, v, now, hash, false, mode, size, null, owner, group);
    }

    /** A link to {@code target} made (or changed) on {@code node}. */
    public static Entry link(EntryKey key, Entry previous, String node, long now, String target, String owner,
                             String group) {
        VersionVector v = (previous == null ? VersionVector.EMPTY : previous.vector).edit(node);
        return new Entry(key, v.max(), node, v, now, Symlinks.hash(target), false, 0777, 0, target, owner, group);
    }

    /** A local edit on {@code node} of the version {@code previous} (null for a path never seen). */
    public static Entry edit(EntryKey key, Entry previous, String node, long now, String hash, int mode, long size) {
        VersionVector v = (previous == null ? VersionVector.EMPTY : previous.vector).edit(node);
        return new Entry(key, v.max(), node, v, now, hash, false, mode, size);
    }

    /** The mode of a tombstone an operator confirmed as part of a held mass deletion. */
    public static final int CONFIRMED = 1;

    /** The deletion on {@code node} of {@code previous} that an operator confirmed (see {@link #CONFIRMED}). */
    public static Entry confirmedDeletion(Entry previous, String node, long now) {
        VersionVector v = previous.vector.edit(node);
        return new Entry(previous.key, v.max(), node, v, now, "", true, CONFIRMED, 0);
    }

    /** A tombstone of a mass deletion an operator confirmed. */
    public boolean confirmed() {
        return deleted && mode == CONFIRMED;
    }

    /** The local deletion on {@code node} of {@code previous}. */
    public static Entry deletion(Entry previous, String node, long now) {
        VersionVector v = previous.vector.edit(node);
        return new Entry(previous.key, v.max(), node, v, now, "", true, 0, 0);
    }

    /** Same content on disk: both deleted, or the same bytes (or link) with the same mode and owners. */
    public boolean sameContent(Entry o) {
        return deleted ? o.deleted : !o.deleted && hash.equals(o.hash) && mode == o.mode
                && java.util.Objects.equals(link, o.link) && owner.equals(o.owner) && group.equals(o.group);
    }

    /** The same version (the vector names it: one node never makes two edits with one counter). */
    public boolean sameVersion(Entry o) {
        return vector.equals(o.vector);
    }

    /**
     * The total order concurrent versions are decided by, the same on every node: the higher version, then the
     * greater node name. Consistent with the vectors: a version that includes another is also greater here.
     * Two contents under one version and node (that node's counter went back: it was restored from a backup)
     * are ordered by content: a file before a deletion (nothing is lost by that), then the greater hash, then
     * the greater mode.
     */
    public int precedence(Entry o) {
        int c = Long.compare(version, o.version);
        if (c == 0) {
            c = origin.compareTo(o.origin);
        }
        if (c == 0) {
            c = Boolean.compare(o.deleted, deleted);
        }
        if (c == 0) {
            c = hash.compareTo(o.hash);
        }
        return c != 0 ? c : Integer.compare(mode, o.mode);
    }

    /** {@code 7@lb1}. */
    public String label() {
        return version + "@" + origin;
    }

    /**
     * The name a losing version of this path is kept under, beside the file (a node name's characters other
     * than letters, digits, '.', '_' and '-' become '_': the name stays one file name).
     */
    public String conflictName(String fileName) {
        return fileName + ".conflict-" + origin.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + version;
    }
}
