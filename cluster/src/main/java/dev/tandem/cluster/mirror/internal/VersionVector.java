package dev.tandem.cluster.mirror.internal;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The history of one version of one path: for each node, the highest of its edits this version includes.
 * A node's edit copies the vector of the version it replaced and sets its own entry to one more than the
 * vector's highest, so that number is also the version's scalar version.
 *
 * <p>Why a vector and not just (version, node): a node that missed some versions (it was down) receives a
 * later one whose version is higher but which does include everything it has: that is an update, not a
 * conflict. Only two versions neither of which includes the other are concurrent edits, and only then is a
 * loser kept beside the file.
 */
public final class VersionVector {

    /** How two vectors relate. */
    public enum Order { BEFORE, EQUAL, AFTER, CONCURRENT }

    public static final VersionVector EMPTY = new VersionVector(new TreeMap<>());

    private final TreeMap<String, Long> counters;

    private VersionVector(TreeMap<String, Long> counters) {
        this.counters = counters;
    }

    public static VersionVector of(Map<String, Long> counters) {
        TreeMap<String, Long> copy = new TreeMap<>();
        counters.forEach((node, n) -> {
            if (n < 0) {
                throw new IllegalArgumentException("counter of " + node + ": " + n + " (expected: >= 0)");
            }
            if (n > 0) {
                copy.put(node, n);
            }
        });
        return new VersionVector(copy);
    }

    public Map<String, Long> counters() {
        return Collections.unmodifiableMap(counters);
    }

    public long get(String node) {
        return counters.getOrDefault(node, 0L);
    }

    /** The highest counter: the scalar version of the version this vector belongs to. */
    public long max() {
        long m = 0;
        for (long n : counters.values()) {
            m = Math.max(m, n);
        }
        return m;
    }

    /** The vector of an edit made on {@code node} on top of this one. */
    public VersionVector edit(String node) {
        TreeMap<String, Long> next = new TreeMap<>(counters);
        next.put(node, max() + 1);
        return new VersionVector(next);
    }

    /** How this vector relates to {@code other}: BEFORE means {@code other} includes all of this one. */
    public Order compare(VersionVector other) {
        boolean less = false;
        boolean greater = false;
        TreeMap<String, Long> all = new TreeMap<>(counters);
        other.counters.forEach((k, v) -> all.merge(k, v, Math::max));
        for (String node : all.keySet()) {
            long a = get(node);
            long b = other.get(node);
            if (a < b) {
                less = true;
            } else if (a > b) {
                greater = true;
            }
        }
        if (less && greater) {
            return Order.CONCURRENT;
        }
        return less ? Order.BEFORE : greater ? Order.AFTER : Order.EQUAL;
    }

    /** {@code a:3,b:5} (for logs and status); empty for no edits. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        counters.forEach((node, n) -> b.append(b.length() == 0 ? "" : ",").append(node).append(':').append(n));
        return b.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VersionVector v && v.counters.equals(counters);
    }

    @Override
    public int hashCode() {
        return counters.hashCode();
    }
}
