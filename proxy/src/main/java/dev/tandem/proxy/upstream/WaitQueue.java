package dev.tandem.proxy.upstream;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Requests waiting for a connection slot, oldest first, each with the time it began to wait. Pure: the
 * caller passes the time, and owns the thread (one event loop).
 *
 * @param <T> the waiter; compared by identity, as its class does not define equality
 */
public final class WaitQueue<T> {

    /** Insertion order is waiting order; a waiter that leaves (its client went away) is removed in O(1). */
    private final LinkedHashMap<T, Long> since = new LinkedHashMap<>();

    public void add(T waiter, long nanoTime) {
        since.put(waiter, nanoTime);
    }

    /** The waiter that has waited longest, removed; null when none waits. */
    public T poll() {
        Iterator<T> it = since.keySet().iterator();
        if (!it.hasNext()) {
            return null;
        }
        T w = it.next();
        it.remove();
        return w;
    }

    /** The longest waiter, removed, when it has waited {@code timeoutNanos} or more at {@code nanoTime}; else null. */
    public T pollExpired(long nanoTime, long timeoutNanos) {
        Iterator<Map.Entry<T, Long>> it = since.entrySet().iterator();
        if (!it.hasNext()) {
            return null;
        }
        Map.Entry<T, Long> oldest = it.next();
        if (nanoTime - oldest.getValue() < timeoutNanos) {
            return null;
        }
        it.remove();
        return oldest.getKey();
    }

    /** When the longest waiter runs out of time, or {@link Long#MAX_VALUE} when none waits. */
    public long nextExpiry(long timeoutNanos) {
        Iterator<Long> it = since.values().iterator();
        return it.hasNext() ? it.next() + timeoutNanos : Long.MAX_VALUE;
    }

    /** @return true when {@code waiter} was waiting */
    public boolean remove(T waiter) {
        return since.remove(waiter) != null;
    }

    public boolean contains(T waiter) {
        return since.containsKey(waiter);
    }

    public int size() {
        return since.size();
    }

    public boolean isEmpty() {
        return since.isEmpty();
    }
}
