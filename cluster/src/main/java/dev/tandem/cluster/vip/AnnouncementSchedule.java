package dev.tandem.cluster.vip;

/**
 * When a held VIP is announced next (a round of gratuitous ARP or unsolicited neighbour advertisements), and
 * whether the neighbours have been told where it is: pure logic on a clock of the caller's ({@code now} in
 * nanoseconds, any monotonic origin). {@link VipController} runs a round when {@link #nextAt()} comes and says
 * how it went. Not thread-safe: the controller's one thread drives it.
 *
 * <p>A round is {@code bursts} announcements {@code spacing} apart, each one taken from here when it is due and sent
 * at once by the caller (arping's three a second apart, once left to an arping process that went on by itself).
 * What a node sends, it sends at the time: a master that stops (SIGSTOP, a hung process) sends nothing after, where
 * the rest of a round left to a process of its own went on for up to 2 s and drew the clients back from the peer
 * that had taken over (in the lab, after the peer's own announcement: a longest gap of 2 to 3 s instead of 1).
 *
 * <ul>
 * <li>Taking the VIP ({@link #start}): a round at once, and once one goes out a second one {@code secondRound}
 *     later (keepalived's {@code garp_master_delay}), for neighbours that missed the first.</li>
 * <li>A round that fails is retried {@link #RETRY_MILLIS 20, 50, 100, 200 and 500 ms} after each failure, then
 *     every {@code retryCap}, until one goes out: a neighbour whose entry still points at a peer that stepped
 *     down loses every request while none does, so the first retries come fast.</li>
 * <li>The link lost ({@link #linkLost}): no round can leave, so none is tried until the link is back; then one
 *     after {@code settle} (time to hear a peer that took the VIP meanwhile, so that its connections are passed
 *     on to it first), and the second one after it, as at a takeover.</li>
 * <li>Asked ({@link #asked}: a refresh; {@link #claimed}: a peer claimed the VIP or drains it): a round at once, or when the link
 *     is back. A peer's claim after the link came back is a peer heard: the round goes out without waiting for
 *     the rest of the settle time.</li>
 * </ul>
 *
 * <p>{@link #announced()}: a round went out since the VIP was taken, since the link last came back and since a
 * peer's last {@link #claimed claim}, and none failed since. Adverts carry it ({@code ANNOUNCED}), and a peer stepping down for this node keeps answering ARP
 * for the VIP until it sees it: a node that says it announced when its last round never left (its link had
 * gone) made the peer go quiet while no neighbour had been told, and a neighbour that asked then got no answer.
 */
public final class AnnouncementSchedule {

    /** The first retries after a failed round, each counted from the failure. */
    static final long[] RETRY_MILLIS = {20, 50, 100, 200, 500};
    private static final long NEVER = Long.MAX_VALUE;

    private final long retryCap;
    private final long secondRound;
    private final long settle;
    private final int bursts;
    private final long spacing;

    private boolean held;
    private boolean linkDown;
    /** A round is due at this time (or NEVER): the first one, a retry, one asked for, the one after the link. */
    private long dueAt = NEVER;
    private long secondAt = NEVER;
    /** The next announcement of the round under way (or NEVER), and how many more of it follow that one. */
    private long repeatAt = NEVER;
    private int repeatsLeft;
    /** What {@link #take} took: the first announcement of a round (else one that repeats it), and when. */
    private boolean roundTaken;
    private long takenAt;
    /** The next round that goes out is the first of a takeover or of a link back: a second one follows it. */
    private boolean fresh;
    private int failures;
    private boolean announced;

    /**
     * @param retryCap    the longest wait between two tries of a round that keeps failing
     * @param secondRound how long after the first round of a takeover (or of a link back) the second one goes out
     * @param settle      how long after the link comes back the round goes out, unless asked for sooner
     */
    public AnnouncementSchedule(java.time.Duration retryCap, java.time.Duration secondRound,
                                java.time.Duration settle) {
        this(retryCap, secondRound, settle, 1, java.time.Duration.ofSeconds(1));
    }

    /**
     * @param bursts  the announcements of a round (1 or more)
     * @param spacing how long after one announcement of a round the next one is due
     */
    public AnnouncementSchedule(java.time.Duration retryCap, java.time.Duration secondRound,
                                java.time.Duration settle, int bursts, java.time.Duration spacing) {
        if (bursts < 1) {
            throw new IllegalArgumentException("bursts: " + bursts + " (expected: >= 1)");
        }
        this.retryCap = retryCap.toNanos();
        this.secondRound = secondRound.toNanos();
        this.settle = settle.toNanos();
        this.bursts = bursts;
        this.spacing = spacing.toNanos();
    }

    /** The address was added to be held: announce it now. */
    public void start(long now) {
        held = true;
        linkDown = false;
        fresh = true;
        failures = 0;
        announced = false;
        secondAt = NEVER;
        endRound();
        dueAt = now;
    }

    /** No more announcements of the round under way. */
    private void endRound() {
        repeatAt = NEVER;
        repeatsLeft = 0;
    }

    /** The address is no longer announced here (released, handed over, stepped aside): no more rounds. */
    public void stop() {
        held = false;
        fresh = false;
        announced = false;
        dueAt = NEVER;
        secondAt = NEVER;
        endRound();
    }

    /** Announce again now (a peer's claim, a drain report, a refresh), or as soon as the link is back. */
    public void asked(long now) {
        if (held && !linkDown) {
            dueAt = Math.min(dueAt, now);
        }
    }

    /**
     * A peer claimed the VIP (it held it too, or stepped down and drains it): the neighbours may have been drawn to
     * it since the last round, so they are no longer known to have been told here until a round after this goes
     * out; that round at once, or as soon as the link is back.
     */
    public void claimed(long now) {
        announced = false;
        asked(now);
    }

    /** The interface lost its link: the neighbours may be told of a peer meanwhile, and no round can leave. */
    public void linkLost(long now) {
        if (!held) {
            return;
        }
        linkDown = true;
        announced = false;
        dueAt = NEVER;
        secondAt = NEVER;
        endRound();
    }

    /** The link is back: a round after the settle time (sooner if {@link #asked}), then a second one. */
    public void linkBack(long now) {
        if (!held || !linkDown) {
            return;
        }
        linkDown = false;
        fresh = true;
        failures = 0;
        dueAt = Math.min(dueAt, now + settle);
    }

    /**
     * Whether an announcement is due at {@code now}, the first of a round or one that repeats it; if so, it counts
     * as begun (the caller sends it, then reports {@link #succeeded} or {@link #failed}). A round due while one is
     * under way starts over: its announcements follow the new first one.
     */
    public boolean take(long now) {
        long at = nextAt();
        if (!held || at == NEVER || now - at < 0) {
            return false;
        }
        roundTaken = due(dueAt, now) || due(secondAt, now);
        takenAt = now;
        dueAt = NEVER;
        if (due(secondAt, now)) {
            secondAt = NEVER;
        }
        if (roundTaken) {
            endRound();
        } else {
            repeatAt = NEVER;
            repeatsLeft--;
        }
        return true;
    }

    private static boolean due(long at, long now) {
        return at != NEVER && now - at >= 0;
    }

    /** The announcement went out. */
    public void succeeded(long now) {
        if (!held) {
            return;
        }
        failures = 0;
        announced = true;
        if (roundTaken) {
            roundTaken = false;
            repeatsLeft = bursts - 1;
        }
        // counted from when it was taken: the next one a spacing after this one began, not after it ended
        repeatAt = repeatsLeft > 0 ? takenAt + spacing : NEVER;
        if (fresh) {
            fresh = false;
            secondAt = now + secondRound;
        }
    }

    /**
     * The announcement failed; {@code linkDown}: because the interface has no link (then the next one waits for the link,
     * as after {@link #linkLost}).
     */
    public void failed(long now, boolean linkDown) {
        if (!held) {
            return;
        }
        // A repeat that failed takes nothing back: the round's first one went out, and the neighbours were told
        // (unless the link went, below). Either way the round starts over with the retry.
        if (roundTaken) {
            announced = false;
        }
        roundTaken = false;
        endRound();
        if (linkDown) {
            linkLost(now);
            return;
        }
        long wait = failures < RETRY_MILLIS.length ? Math.min(RETRY_MILLIS[failures] * 1_000_000L, retryCap) : retryCap;
        failures++;
        dueAt = Math.min(dueAt, now + wait);
    }

    /** When the next round is due ({@link Long#MAX_VALUE}: none is). */
    public long nextAt() {
        return held ? Math.min(dueAt, Math.min(secondAt, repeatAt)) : NEVER;
    }

    /**
     * Whether the neighbours were told: a round went out since the takeover, the last link back and the last claim,
     * none failed since.
     */
    public boolean announced() {
        return announced;
    }

    /** Whether the link is known to be down (rounds wait for it). */
    public boolean linkDown() {
        return linkDown;
    }

    /** Rounds that failed in a row. */
    public int failures() {
        return failures;
    }
}
