package dev.tandem.cluster.mirror.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Every path this node mirrors, at the version it has, with what it last saw of the file on its disk (so a
 * scan reads only files whose stat changed), and the conflicts it kept. Owned by the mirror's one thread.
 */
public final class MirrorTable {

    /** A path's version and the local file's stat when it was last hashed (null: not on disk / not yet seen). */
    public static final class Local {
        private Entry entry;
        private FileStore.Stat stat;
        private long hashedAt;

        Local(Entry entry, FileStore.Stat stat, long hashedAt) {
            this.entry = entry;
            this.stat = stat;
            this.hashedAt = hashedAt;
        }

        public Entry entry() {
            return entry;
        }

        public FileStore.Stat stat() {
            return stat;
        }

        public long hashedAt() {
            return hashedAt;
        }
    }

    /** Live files (and links) of one root and their bytes, kept as the table changes. */
    public record Usage(long files, long bytes) {
        static final Usage NONE = new Usage(0, 0);
    }

    /** One root's content in brief: what peers compare to tell whether they hold the same files. */
    public record RootDigest(String digest, int files, long bytes, long version) {
    }

    private final TreeMap<EntryKey, Local> entries = new TreeMap<>();
    private final List<Conflict> conflicts = new ArrayList<>();
    private final Map<String, RootDigest> digests = new HashMap<>();
    private final Map<String, Usage> usage = new HashMap<>();
    private long changes;

    /** What {@code root} holds now (the limits are checked against it). */
    public Usage usage(String root) {
        return usage.getOrDefault(root, Usage.NONE);
    }

    private void count(Entry e, int sign) {
        if (e != null && !e.deleted()) {
            Usage u = usage(e.key().root());
            usage.put(e.key().root(), new Usage(u.files() + sign, u.bytes() + sign * e.size()));
        }
    }

    public Local local(EntryKey key) {
        return entries.get(key);
    }

    public Entry get(EntryKey key) {
        Local l = entries.get(key);
        return l == null ? null : l.entry;
    }

    /** Records {@code entry} with the stat of the local file that holds it (null if none). */
    public void put(Entry entry, FileStore.Stat stat, long hashedAt) {
        Local l = entries.get(entry.key());
        count(l == null ? null : l.entry, -1);
        count(entry, 1);
        if (l == null) {
            entries.put(entry.key(), new Local(entry, stat, hashedAt));
        } else {
            l.entry = entry;
            l.stat = stat;
            l.hashedAt = hashedAt;
        }
        digests.remove(entry.key().root());
        changes++;
    }

    /**
     * Forgets {@code key}, as if this node had never had it: the next version a peer offers is taken as it is
     * (how a held deletion is undone by fetching the files back).
     */
    public void forget(EntryKey key) {
        if (entries.remove(key) != null) {
            digests.remove(key.root());
            changes++;
        }
    }

    /** Records a new stat for a file whose content (hash, mode) is unchanged. */
    public void restat(EntryKey key, FileStore.Stat stat, long hashedAt) {
        Local l = entries.get(key);
        if (l != null) {
            l.stat = stat;
            l.hashedAt = hashedAt;
            changes++;
        }
    }

    /** The paths at or under {@code dir} ({@code rel} "" = a whole root), in key order. */
    public NavigableMap<EntryKey, Local> under(EntryKey dir) {
        if (dir.rel().isEmpty()) {
            return entries.subMap(new EntryKey(dir.root(), ""), true, new EntryKey(dir.root() + "\0", ""), false);
        }
        NavigableMap<EntryKey, Local> out = new TreeMap<>();
        Local self = entries.get(dir);
        if (self != null) {
            out.put(dir, self);
        }
        // "a/b/" .. "a/b0": '0' follows '/' in the character order, so this range is exactly what lies below a/b.
        out.putAll(entries.subMap(new EntryKey(dir.root(), dir.rel() + "/"), true,
                new EntryKey(dir.root(), dir.rel() + "0"), false));
        return out;
    }

    public Collection<Local> all() {
        return entries.values();
    }

    public List<Entry> entries() {
        List<Entry> out = new ArrayList<>(entries.size());
        entries.values().forEach(l -> out.add(l.entry));
        return out;
    }

    public int size() {
        return entries.size();
    }

    /** Grows with every change: the state file is written when it moved. */
    public long changes() {
        return changes;
    }

    public List<Conflict> conflicts() {
        return conflicts;
    }

    public void addConflict(Conflict c) {
        conflicts.removeIf(o -> o.keptAs().equals(c.keptAs()));
        conflicts.add(c);
        changes++;
    }

    public boolean removeConflict(Conflict c) {
        boolean removed = conflicts.remove(c);
        if (removed) {
            changes++;
        }
        return removed;
    }

    /**
     * SHA-256 over the root's live files in key order (path, content hash, mode): equal on two nodes exactly
     * when they hold the same files. Versions are left out: two nodes that made the same edit hold the same.
     */
    public RootDigest digest(String root) {
        return digests.computeIfAbsent(root, r -> {
            MessageDigest md = FileStore.sha256();
            int files = 0;
            long bytes = 0;
            long version = 0;
            for (Local l : under(new EntryKey(r, "")).values()) {
                Entry e = l.entry;
                version = Math.max(version, e.version());
                if (e.deleted()) {
                    continue;
                }
                files++;
                bytes += e.size();
                md.update(e.key().rel().getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update(e.hash().getBytes(StandardCharsets.US_ASCII));
                md.update((byte) 0);
                md.update(Integer.toOctalString(e.mode()).getBytes(StandardCharsets.US_ASCII));
                if (!e.owner().isEmpty() || !e.group().isEmpty()) {
                    md.update((e.owner() + ":" + e.group()).getBytes(StandardCharsets.UTF_8));
                }
                md.update((byte) '\n');
            }
            return new RootDigest(FileStore.hex(md.digest()), files, bytes, version);
        });
    }
}
