package dev.tandem.cluster.election;

import dev.tandem.cluster.wire.Advert;
import java.util.HashSet;
import java.util.Set;

/**
 * A master that stepped aside for a more preferred one (preempted, unfit to serve, a healed partition, a peer back
 * from a link flap) keeps answering ARP for the address until the new master has announced it after hearing of
 * this node's mastership: pure logic on a clock of the caller's ({@code now} in nanoseconds, any monotonic origin).
 * Not thread-safe: the cluster loop drives it.
 *
 * <p>An advert that says {@link Advert#ANNOUNCED} is not enough: a master that never lost its link says so on the
 * strength of a round from before this node's mastership (a healed partition), and its advert may have left
 * before it heard this node's claim. A master clears {@code ANNOUNCED} as soon as it hears a claim (or loses its
 * link) and sets it again once a round has gone out after that (see {@link VipElection}), so the wait is over
 * when, since the step-aside, an advert of the new master without the flag has been followed by one with it
 * (adverts arrive in the order sent: the replay guard drops an older one), or after {@code limit}: a master of
 * the release before never clears the flag, and a lost advert must not keep the wait up forever.
 */
public final class AnnouncementWait {

    private final long limit;
    private boolean waiting;
    private long since;
    /** Masters heard since the step-aside saying they had not announced the VIP. */
    private final Set<String> unannounced = new HashSet<>();

    /** @param limit the longest the wait lasts (in nanoseconds) */
    public AnnouncementWait(long limit) {
        this.limit = limit;
    }

    /** This node stepped aside: the wait begins (again). The advert that made it step aside comes next, to {@link #heard}. */
    public void begin(long now) {
        waiting = true;
        since = now;
        unannounced.clear();
    }

    /** The wait is given up (the VIP taken back, released, the node stopping). */
    public void end() {
        waiting = false;
        unannounced.clear();
    }

    public boolean waiting() {
        return waiting;
    }

    /**
     * An advert about the VIP from {@code from}; true when it ends the wait (the master announced the address after
     * it could have heard of this node's mastership).
     */
    public boolean heard(String from, Advert a) {
        if (!waiting || a.priority() == 0 || !a.has(Advert.MASTER)) {
            return false;
        }
        if (!a.has(Advert.ANNOUNCED)) {
            unannounced.add(from);
            return false;
        }
        if (unannounced.contains(from)) {
            end();
            return true;
        }
        return false;
    }

    /** True when the wait has lasted its limit without an announcement (it is over then). */
    public boolean expired(long now) {
        if (waiting && now - since > limit) {
            end();
            return true;
        }
        return false;
    }
}
