package dev.tandem.node.admin;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The last {@code capacity} events of one node, oldest first. Bounded so that a flapping server can never
 * grow it: the oldest entries go first, and {@link #dropped()} says how many went.
 */
public final class EventRing {

    private final String node;
    private final int capacity;
    private final ArrayDeque<AdminEvent> events;
    private long next = 1;
    private long dropped;

    public EventRing(String node, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: at least 1)");
        }
        this.node = node;
        this.capacity = capacity;
        this.events = new ArrayDeque<>(capacity);
    }

    /** Appends an event; returns it with its sequence number. */
    public synchronized AdminEvent add(Instant at, String kind, String level, String subject, String text) {
        AdminEvent e = new AdminEvent(next++, at, node, kind, level, subject, text);
        if (events.size() == capacity) {
            events.removeFirst();
            dropped++;
        }
        events.addLast(e);
        return e;
    }

    /** The events with a sequence number above {@code seq}, oldest first ({@code 0}: all that are kept). */
    public synchronized List<AdminEvent> after(long seq) {
        List<AdminEvent> out = new ArrayList<>();
        for (AdminEvent e : events) {
            if (e.seq() > seq) {
                out.add(e);
            }
        }
        return out;
    }

    /** Events pushed out by newer ones since the start. */
    public synchronized long dropped() {
        return dropped;
    }

    public int capacity() {
        return capacity;
    }
}
