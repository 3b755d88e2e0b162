package dev.tandem.cluster.dns;

import java.time.Duration;

/**
 * When one record's next change may be decided, after how the last update ended; on an injected clock
 * (nanoseconds), no I/O.
 *
 * <ul>
 * <li>A failed update (refused, no answer, not in the read-back) is decided again after {@link #FIRST}, doubling
 *     to {@link #MAX}.</li>
 * <li>An update the server refused because the record is no longer as read ({@link DnsUpdater.RecordChanged}:
 *     another node that decided on the same read wrote first) is no error: the decision was made on a state that
 *     is gone, so the record is read again and decided again at once. The winner must not hold the record alone
 *     for a backoff while the loser waits, nor a multi record lack a node for one. Only a record that changes
 *     under more than {@link #CHANGED_AT_ONCE} decisions in a row waits as after a failure: a writer that never
 *     stops (or a read the server's prerequisites never match) must not have this node hammer the server.</li>
 * </ul>
 */
final class DnsRetry {

    static final Duration FIRST = Duration.ofMillis(200);
    static final Duration MAX = Duration.ofSeconds(10);
    static final int CHANGED_AT_ONCE = 3;

    private int failures;
    private int changedInARow;
    private Duration backoff = FIRST;
    /** Not decided again before this (nanos); null when nothing waits. */
    private Long retryAt;

    /** Whether a change may be decided at {@code now}; a wait that is over ends here. */
    boolean mayDecide(long now) {
        if (retryAt != null && now - retryAt < 0) {
            return false;
        }
        retryAt = null;
        return true;
    }

    /** Whether a failed update waits to be decided again. */
    boolean waiting() {
        return retryAt != null;
    }

    /** Failed updates in a row, counting the changed records past {@link #CHANGED_AT_ONCE}. */
    int failures() {
        return failures;
    }

    /** The update is in the record. */
    void succeeded() {
        failures = 0;
        changedInARow = 0;
        backoff = FIRST;
        retryAt = null;
    }

    /** A decision found nothing to change: whatever raced this node for the record is over. */
    void settled() {
        changedInARow = 0;
    }

    /** The update failed at {@code now}: how long until it is decided again. */
    Duration failed(long now) {
        failures++;
        Duration wait = backoff;
        retryAt = now + wait.toNanos();
        Duration doubled = backoff.multipliedBy(2);
        backoff = doubled.compareTo(MAX) > 0 ? MAX : doubled;
        return wait;
    }

    /**
     * The server refused the update at {@code now}, the record no longer as read: how long until it is decided
     * again, zero for at once (on a fresh read).
     */
    Duration changed(long now) {
        changedInARow++;
        if (changedInARow <= CHANGED_AT_ONCE) {
            retryAt = null;
            return Duration.ZERO;
        }
        return failed(now);
    }
}
