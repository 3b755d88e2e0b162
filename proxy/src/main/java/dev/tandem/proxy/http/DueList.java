package dev.tandem.proxy.http;

/**
 * Entries ordered by the time they fall due, earliest first, linked through the entries themselves (no node
 * is allocated to add one, and one is removed in constant time). An entry is inserted from the tail: the
 * lists of the idle sweep receive their entries nearly in due order (one timeout for every connection of a
 * config), so an insertion walks back over nothing, or over the few entries a shorter timeout overtakes.
 * Touched from one event loop only.
 */
final class DueList {

    /** A member of at most one list at a time. */
    static class Entry {
        private final Runnable onDue;
        private DueList list;
        private Entry prev;
        private Entry next;
        private long due;

        /** @param onDue what to do once the entry falls due and has been taken out of its list */
        Entry(Runnable onDue) {
            this.onDue = onDue;
        }

        /**
         * For a subclass that is its own action ({@link #fallDue}): one object instead of two. {@code due} is
         * kept until the entry is added (which sets it again), so that the subclass need not keep it twice.
         */
        Entry(long due) {
            this.onDue = null;
            this.due = due;
        }

        /** Runs once the entry falls due and has been taken out of its list. */
        void fallDue() {
            onDue.run();
        }

        /** When the entry falls due (the event loop's clock): while it is in a list, and after. */
        long due() {
            return due;
        }

        boolean listed() {
            return list != null;
        }

        void unlink() {
            if (list != null) {
                list.remove(this);
            }
        }
    }

    private Entry head;
    private Entry tail;
    private int size;

    /** Adds {@code e} (taken out of any list it is in first), due at {@code due}. */
    void add(Entry e, long due) {
        e.unlink();
        e.due = due;
        e.list = this;
        Entry after = tail;
        // Later than or as late as 'after' goes behind it: entries due together stay in the order they came.
        while (after != null && after.due - due > 0) {
            after = after.prev;
        }
        e.prev = after;
        e.next = after == null ? head : after.next;
        if (e.next == null) {
            tail = e;
        } else {
            e.next.prev = e;
        }
        if (after == null) {
            head = e;
        } else {
            after.next = e;
        }
        size++;
    }

    void remove(Entry e) {
        if (e.list != this) {
            return;
        }
        if (e.prev == null) {
            head = e.next;
        } else {
            e.prev.next = e.next;
        }
        if (e.next == null) {
            tail = e.prev;
        } else {
            e.next.prev = e.prev;
        }
        e.prev = null;
        e.next = null;
        e.list = null;
        size--;
    }

    /** The entry due first, or null. */
    Entry head() {
        return head;
    }

    int size() {
        return size;
    }

    /**
     * Takes out every entry due at or before {@code now}, earliest first, and runs what it is for (which may
     * add entries to this list or others). An entry added while this runs, due by now, is taken too.
     */
    void runDue(long now) {
        Entry e;
        while ((e = head) != null && e.due - now <= 0) {
            remove(e);
            e.fallDue();
        }
    }
}
