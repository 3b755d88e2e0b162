package dev.tandem.cluster.transport;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * When this node sends a presence advert ({@code Advert.PRESENCE}), as pure logic on a clock the caller passes.
 *
 * <p>Why: a peer's replay guard keeps its high-water marks in memory, so a peer that has just restarted accepts
 * any recorded packet of this node until it hears this node's current run. A master advertises every interval, so
 * that is soon; a backup of every VIP sends nothing (RFC 5798), and until it did, recorded adverts of it (of an
 * earlier run, or of this one from when it held a VIP) passed a restarted peer's guard for as long as it stayed
 * silent. So a node sends a presence advert:
 * <ul>
 * <li>at its start (its peers' marks move to its new run);</li>
 * <li>whenever it has sent nothing for {@link #period} (any advert carries the epoch and sequence as well);</li>
 * <li>at once when it hears a peer's run it has not heard before: a peer that has just started learns this
 *     node's current run one round trip after its own first packet, not a period later. Each run of each peer
 *     is answered once, so this cannot be made into a flood (a recorded packet of an earlier run is accepted at
 *     most once, and only before the newer one).</li>
 * </ul>
 *
 * <p>Not thread-safe: used on the cluster's event loop.
 */
public final class PresenceSchedule {

    private static final long NOT_STARTED = Long.MAX_VALUE;

    private final long periodNanos;
    /** The run (epoch) last heard from each peer; peers are those of {@code cluster.nodes}, so this is bounded. */
    private final Map<String, Long> runs = new HashMap<>();
    private boolean started;
    private long dueAt = NOT_STARTED;

    public PresenceSchedule(Duration period) {
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period: " + period + " (expected: > 0)");
        }
        this.periodNanos = period.toNanos();
    }

    /**
     * How long a node stays silent at most: 3 advert intervals, and never more than a second. Shorter than the
     * master-down interval of any peer, so that a restarted peer has heard this node's current run before its
     * own master-down timer (which recorded adverts could otherwise keep re-arming) runs out; a few packets a
     * second at most, whatever the interval.
     */
    public static Duration period(Duration advertInterval) {
        Duration three = advertInterval.multipliedBy(3);
        Duration second = Duration.ofSeconds(1);
        return three.compareTo(second) < 0 && !three.isZero() ? three : second;
    }

    /** The node starts: a presence advert is due at once. */
    public void start(long now) {
        started = true;
        dueAt = now;
    }

    /** This node sent a packet (an advert, a drain report or a presence) to every peer at {@code now}. */
    public void sent(long now) {
        if (started) {
            dueAt = now + periodNanos;
        }
    }

    /** An advert (of any kind) of {@code node}'s run {@code epoch} passed every check at {@code now}. */
    public void heard(long now, String node, long epoch) {
        Long last = runs.put(node, epoch);
        if (started && (last == null || last != epoch) && dueAt - now > 0) {
            dueAt = now;
        }
    }

    /** Whether a presence advert is due at {@code now}. */
    public boolean due(long now) {
        return started && now - dueAt >= 0;
    }

    /** When the next presence advert is due, on the caller's clock; {@link Long#MAX_VALUE} before the start. */
    public long nextDue() {
        return dueAt;
    }
}
