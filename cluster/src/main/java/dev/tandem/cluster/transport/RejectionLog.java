package dev.tandem.cluster.transport;

import dev.tandem.cluster.wire.Rejection;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Decides which rejected adverts make a log line: the first from a sender for a reason at once, then at most one
 * line per sender and reason per {@code every}, carrying how many were rejected since the previous line. A peer
 * whose every advert is rejected (a clock gone back on an old version, a wrong secret, a replaying attacker) is
 * something an operator must see, but ten lines a second of it would bury everything else.
 *
 * <p>Not thread-safe: used on the cluster's event loop. The senders remembered are bounded, so a flood from
 * forged addresses cannot grow it without end.
 */
public final class RejectionLog {

    static final int MAX_SENDERS = 1024;

    private static final class Tally {
        long lastLine;
        long since;
    }

    private record Key(String sender, Rejection reason) {
    }

    private final LongSupplier nanoClock;
    private final long everyNanos;
    private final Map<Key, Tally> tallies = new HashMap<>();

    public RejectionLog(LongSupplier nanoClock, Duration every) {
        this.nanoClock = nanoClock;
        this.everyNanos = every.toNanos();
    }

    /**
     * Counts one rejected advert from {@code sender}; returns the line to log now, or null when one was logged
     * for this sender and reason less than {@code every} ago.
     *
     * @param detail what the operator can act on (e.g. the node the advert claims to be), or null
     */
    public String rejected(String sender, Rejection reason, String detail) {
        long now = nanoClock.getAsLong();
        Key key = new Key(sender, reason);
        Tally t = tallies.get(key);
        if (t == null) {
            if (tallies.size() >= MAX_SENDERS) {
                forgetQuiet(now);
                if (tallies.size() >= MAX_SENDERS) {
                    return null;
                }
            }
            t = new Tally();
            tallies.put(key, t);
            t.lastLine = now;
            return line(sender, reason, detail, 1, -1);
        }
        t.since++;
        if (now - t.lastLine < everyNanos) {
            return null;
        }
        long count = t.since;
        long seconds = TimeUnit.NANOSECONDS.toSeconds(now - t.lastLine);
        t.since = 0;
        t.lastLine = now;
        return line(sender, reason, detail, count, seconds);
    }

    private void forgetQuiet(long now) {
        for (Iterator<Tally> it = tallies.values().iterator(); it.hasNext(); ) {
            Tally t = it.next();
            if (now - t.lastLine >= everyNanos) {
                it.remove();
            }
        }
    }

    private static String line(String sender, Rejection reason, String detail, long count, long seconds) {
        StringBuilder b = new StringBuilder("cluster: advert from ").append(sender).append(" rejected: ")
                .append(reason.label());
        if (detail != null) {
            b.append(" (").append(detail).append(')');
        }
        if (seconds >= 0) {
            b.append("; ").append(count).append(" rejected for this reason in the last ").append(seconds).append(" s");
        }
        return b.toString();
    }
}
