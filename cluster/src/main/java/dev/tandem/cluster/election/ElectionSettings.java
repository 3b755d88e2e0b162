package dev.tandem.cluster.election;

import java.time.Duration;
import java.util.List;

/**
 * What one VIP's election needs to know about this node.
 *
 * @param priority      this node's priority for the VIP when healthy, 2-254 (see {@link #priorityOf})
 * @param advertInterval how often a master advertises
 * @param preemptDelay  how long a node must have been able to serve before it preempts a less preferred master
 * @param announceRefresh how often a master announces the address again with nothing to prompt it (keepalived's
 *                      {@code garp_master_refresh}); zero: never
 */
public record ElectionSettings(String vip, String node, int priority, Duration advertInterval, boolean preempt,
                               Duration preemptDelay, Duration announceRefresh) {

    public ElectionSettings(String vip, String node, int priority, Duration advertInterval, boolean preempt,
                            Duration preemptDelay) {
        this(vip, node, priority, advertInterval, preempt, preemptDelay, Duration.ZERO);
    }

    /** The priority a node advertises while its health says it cannot serve: below every healthy peer. */
    public static final int FAULT_PRIORITY = 1;
    /** Highest priority given out. 255 means "address owner" in RFC 5798 (master at once, no timers): not us. */
    public static final int TOP_PRIORITY = 250;
    /**
     * Between two places in {@code prefer}. The skew time, and so the order in which backups take over a VIP that
     * was released, differs by STEP/256 of the advert interval: with 10, two backups were 4 ms apart at 100 ms
     * adverts, and on a busy host the less preferred one took the address too (and announced it) before it heard
     * the other. 50 keeps them 20 ms apart.
     */
    public static final int STEP = 50;
    /** Lowest priority a healthy node gets, so that it stays above {@link #FAULT_PRIORITY}. */
    public static final int FLOOR_PRIORITY = 2;

    public ElectionSettings {
        if (priority < FLOOR_PRIORITY || priority > 254) {
            throw new IllegalArgumentException("priority: " + priority + " (expected: 2-254)");
        }
        if (advertInterval.isNegative() || advertInterval.isZero()) {
            throw new IllegalArgumentException("advertInterval: " + advertInterval + " (expected: > 0)");
        }
        if (announceRefresh.isNegative()) {
            throw new IllegalArgumentException("announceRefresh: " + announceRefresh + " (expected: >= 0)");
        }
    }

    /**
     * The priority of {@code node} for a VIP whose {@code prefer} list is given: the first gets 250, each next
     * one {@value #STEP} less, never below 2; a node not in the list gets 0 and so
     * never holds the VIP.
     */
    public static int priorityOf(String node, List<String> prefer) {
        int i = prefer.indexOf(node);
        return i < 0 ? 0 : Math.max(FLOOR_PRIORITY, TOP_PRIORITY - STEP * i);
    }
}
