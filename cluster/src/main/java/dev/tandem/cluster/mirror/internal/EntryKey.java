package dev.tandem.cluster.mirror.internal;

/**
 * A mirrored file as every node names it: the id of its root (the same on every node) and its path inside
 * that root, with {@code /} between names ({@code ""} when the root is itself a file).
 */
public record EntryKey(String root, String rel) implements Comparable<EntryKey> {

    public EntryKey {
        if (root == null || root.isEmpty()) {
            throw new IllegalArgumentException("root: empty");
        }
        if (rel == null) {
            throw new IllegalArgumentException("rel: null");
        }
    }

    @Override
    public int compareTo(EntryKey o) {
        int c = root.compareTo(o.root);
        return c != 0 ? c : rel.compareTo(o.rel);
    }

    /** True when this key names {@code dir} itself or something under it ({@code dir.rel} "" = the whole root). */
    public boolean within(EntryKey dir) {
        return root.equals(dir.root) && (dir.rel.isEmpty() || rel.equals(dir.rel) || rel.startsWith(dir.rel + "/"));
    }

    @Override
    public String toString() {
        return rel.isEmpty() ? root : root + "//" + rel;
    }
}
