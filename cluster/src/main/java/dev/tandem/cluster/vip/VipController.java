package dev.tandem.cluster.vip;

import dev.tandem.conf.VipConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes one VIP's address follow what the election wants, on a thread of its own: the driver's commands block
 * and may hang (bounded by their timeouts), and neither the event loops nor another VIP may wait for them.
 *
 * <p>Each request ({@link #hold}, {@link #release}) supersedes the ones before it, so a late retry of an old
 * request never undoes a newer one. A failed command is logged, counted, and retried every
 * {@code retryEvery} for as long as the request stands. When the address is announced is the
 * {@link AnnouncementSchedule}'s to say (a failed round is retried within 20 ms, then less and less often); the
 * listener is told whenever the neighbours come to have been told, or may no longer have been.
 *
 * <p>While it holds the address it watches the interface's link ({@link LinkState}, polled on its thread, and
 * read again before a round asked for): while the link is gone, ARP for the address is not answered here and
 * nothing is announced; when it comes back, the address is answered for again and announced, since the
 * neighbours may have been told meanwhile that a peer has it.
 */
public final class VipController implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(VipController.class);

    /** Told, on the controller's thread, when the address is held and announced, and when it no longer is. */
    public interface Listener {
        void announced(boolean announced);

        /**
         * A peer's claim passed on to {@link VipController#reannounce} or {@link VipController#reannounceFrom}
         * reached the controller's thread (once per call, in order): the address is not known to be announced until
         * a round after this. Told apart from {@link #announced announced(false)}, which a link lost or a round that
         * failed says too: a round reported after one of those may still have left before the claim.
         */
        default void claimHeard() {
            announced(false);
        }

        /** The address (and any rule of a handover) is off this host now. */
        default void removed() {
        }
    }

    private final VipConfig vip;
    private final VipDriver driver;
    private final Listener listener;
    private final Duration retryEvery;
    private final ScheduledExecutorService thread;
    private final AtomicLong request = new AtomicLong();
    private final Counter addFailures;
    private final Counter removeFailures;
    private final Counter announceFailures;
    private final Counter forwardFailures;
    private final Counter withdrawFailures;
    /** Bumped by every {@link #forwardTo}/{@link #stopForwarding}: a retry of an older one gives way. */
    private final AtomicLong forwarding = new AtomicLong();
    private volatile boolean present;
    private volatile boolean wanted;
    private volatile boolean announcing = true;
    private final LinkState link;
    /** The link as last polled while the address was held; null when not held. On the controller's thread. */
    private Boolean linkWasUp;
    /** When the address is announced; on the controller's thread. */
    private final AnnouncementSchedule schedule;
    /** The request the schedule's rounds are for, and the task that runs the next one (at {@link #roundAt}). */
    private long roundsOf = Long.MIN_VALUE;
    private ScheduledFuture<?> round;
    private long roundAt = Long.MAX_VALUE;
    private long roundFor = Long.MIN_VALUE;
    /** ARP for the address is not answered here since the link went ({@link VipDriver#withdraw}). */
    private boolean quietForTheLink;
    /** What the listener was last told: announced or not. */
    private boolean told;
    /** Announcements that failed in a row, for the log (a link down for minutes logs a line a minute). */
    private int failedRounds;

    /**
     * @param secondRound delay of the second announcement round after the first (keepalived's
     *                    {@code garp_master_delay}, 5 s by default), for neighbours that missed the first
     */
    public VipController(VipConfig vip, VipDriver driver, Listener listener, MeterRegistry meters,
                         Duration retryEvery, Duration secondRound) {
        this(vip, driver, listener, meters, retryEvery, secondRound, LinkState.system(), LINK_POLL,
                Duration.ofMillis(300));
    }

    /**
     * A round of announcements: three, a second apart (arping's count and interval, as before), each sent by this
     * node when it is due: a node that stops sends nothing after.
     */
    static final int ROUND_BURSTS = 3;
    static final Duration ROUND_SPACING = Duration.ofSeconds(1);

    /** How often the link of a held address is looked at: a read of one sysfs file. */
    public static final Duration LINK_POLL = Duration.ofMillis(200);

    /**
     * @param link       whether the VIP's interface has its link
     * @param linkPoll   how often {@code link} is asked while the address is held
     * @param linkSettle how long after the link comes back the address is announced: time to hear a peer that
     *                   took the VIP meanwhile (a few advert intervals), so that its connections are passed on
     *                   to it first
     */
    public VipController(VipConfig vip, VipDriver driver, Listener listener, MeterRegistry meters,
                         Duration retryEvery, Duration secondRound, LinkState link, Duration linkPoll,
                         Duration linkSettle) {
        this.vip = vip;
        this.link = link;
        this.driver = driver;
        this.listener = listener;
        this.retryEvery = retryEvery;
        this.schedule = new AnnouncementSchedule(retryEvery, secondRound, linkSettle, ROUND_BURSTS, ROUND_SPACING);
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "tandem-vip-" + vip.address());
            th.setDaemon(true);
            return th;
        });
        // On close, what was asked runs; announcement rounds and retries still waiting are dropped.
        t.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.thread = t;
        this.addFailures = failures(meters, "add");
        this.removeFailures = failures(meters, "remove");
        this.announceFailures = failures(meters, "announce");
        this.forwardFailures = failures(meters, "forward");
        this.withdrawFailures = failures(meters, "withdraw");
        t.scheduleWithFixedDelay(this::watchLink, linkPoll.toMillis(), linkPoll.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * The link of a held address went: stop answering ARP for it (a neighbour that asks when the link is back must
     * not be drawn here before a peer that took the VIP meanwhile is heard), and tell the election that the
     * neighbours are no longer known to have been told. It came back: an IPv6 address (gone with the link) is
     * added at once, and after the settle time the address is answered for and announced again, with a second
     * round later as at a takeover; sooner if a peer that took the VIP meanwhile claims it
     * ({@link #reannounceFrom}, which passes its connections on to it first).
     */
    private void watchLink() {
        if (!wanted || !present) {
            linkWasUp = null;
            return;
        }
        Boolean up = link.up(vip.iface());
        if (up == null) {
            return;
        }
        Boolean was = linkWasUp;
        linkWasUp = up;
        if (was == null || was.equals(up)) {
            return;
        }
        long id = request.get();
        long now = System.nanoTime();
        if (!up) {
            log.warn("VIP {}: {} lost its link: answering no ARP request for it until the link is back and a peer "
                    + "that may have taken it meanwhile could be heard", vip.address(), vip.iface());
            schedule.linkLost(now);
            tell();
            quietForTheLink = true;
            try {
                driver.withdraw(vip);
            } catch (IOException e) {
                withdrawFailures.increment();
                log.warn("VIP {}: cannot stop answering ARP for it ({}): when the link is back, a neighbour that asks "
                        + "may be drawn here before the peer's connections are passed on", vip.address(), e.getMessage());
            }
            return;
        }
        if (IpCommandDriver.v6(vip)) {
            try {
                driver.add(vip);
            } catch (IOException e) {
                fail(addFailures, "add", e, id, true);
                return;
            }
        }
        // Not at once: a peer that took the VIP meanwhile is heard within a few adverts, and the announcement
        // then goes out after its connections are passed on to it (reannounceFrom); announced (or answered for)
        // at once, the connections its clients had open were reset as the clients came back.
        schedule.linkBack(now);
        log.info("VIP {}: {} has its link again: answering for it and announcing it in {}ms, or when a peer that "
                + "took it meanwhile claims it", vip.address(), vip.iface(),
                TimeUnit.NANOSECONDS.toMillis(Math.max(0, schedule.nextAt() - now)));
        plan(id);
    }

    /**
     * Announce the address again, now (the election heard a peer claim the VIP, or it is time for a refresh),
     * if this node still holds it. A round that fails is retried like any other. {@code claimed}: a peer claimed
     * it, see {@link #claimHeard}.
     */
    public void reannounce(String why, boolean claimed) {
        long id = request.get();
        thread.execute(() -> {
            if (claimed) {
                claimHeard();
            }
            if (request.get() != id || !wanted || !announcing || !present) {
                return;
            }
            log.info("VIP {}: announcing it again: {}", vip.address(), why);
            askRound(id);
        });
    }

    private Counter failures(MeterRegistry meters, String op) {
        return Counter.builder("tandem_vip_driver_failures_total")
                .description("VIP driver commands that failed (each is retried)")
                .tag("vip", vip.address()).tag("op", op).register(meters);
    }

    /**
     * At start, before any election: the driver gets ready for a takeover ({@link VipDriver#prepare}), and an
     * address left on the interface by a previous run (a crash, a kill) is removed, since this node masters nothing
     * yet. A request made meanwhile wins.
     */
    public void removeLeftover() {
        long id = request.incrementAndGet();
        thread.execute(() -> {
            // Before the check below: a takeover asked for meanwhile finds the driver ready all the same.
            driver.prepare(vip);
            if (request.get() != id) {
                return;
            }
            try {
                if (driver.present(vip)) {
                    log.info("VIP {}: on {} from a previous run, removing it", vip.address(), vip.iface());
                    apply(id, false);
                    return;
                }
            } catch (IOException e) {
                log.warn("VIP {}: cannot list the addresses of {}: {}", vip.address(), vip.iface(), e.getMessage());
            }
            try {
                driver.removeRules(vip);
            } catch (IOException e) {
                log.warn("VIP {}: cannot remove the handover rules of a previous run: {}", vip.address(), e.getMessage());
            }
        });
    }

    /** Add the address and announce it. */
    public void hold() {
        wanted = true;
        announcing = true;
        long id = request.incrementAndGet();
        thread.execute(new Apply(id, true));
    }

    /**
     * Take the address over from {@code oldHolder}, which handed it over and drains it: first pass the segments
     * of its connections that reach this host on to it ({@link VipDriver#forward}), then add and announce the
     * address. A failure to forward is counted and logged, and does not hold the takeover up.
     */
    public void holdFrom(InetAddress oldHolder) {
        wanted = true;
        announcing = true;
        long id = request.incrementAndGet();
        long f = forwarding.incrementAndGet();
        thread.execute(() -> {
            if (request.get() == id && forwarding.get() == f) {
                try {
                    driver.forward(vip, oldHolder);
                    log.info("VIP {}: segments of connections opened to {} go on to it while it drains", vip.address(),
                            oldHolder.getHostAddress());
                } catch (IOException e) {
                    forwardFailures.increment();
                    log.warn("VIP {}: cannot pass the old holder's connections on to it ({}): a connection that "
                            + "straddles the move is reset", vip.address(), e.getMessage());
                }
            }
            apply(id, true);
        });
    }

    /**
     * Announce the address again because {@code claimer}, which holds it too (back from a link flap, a healed
     * partition), steps down: first pass on to it the segments of its connections that reach this host (it
     * drains them; {@link VipDriver#forward}, this host's own connections stay here), then announce, as
     * {@link #holdFrom} does at a takeover. Without that, a connection opened to the claimer an instant before
     * the client's neighbour entry moved back here was reset (one request in two link flaps, in the lab).
     */
    public void reannounceFrom(InetAddress claimer, String why) {
        long id = request.get();
        long f = forwarding.incrementAndGet();
        thread.execute(() -> {
            claimHeard();
            if (request.get() != id || !wanted || !announcing || !present) {
                return;
            }
            if (forwarding.get() == f) {
                try {
                    driver.forward(vip, claimer);
                    log.info("VIP {}: segments of connections opened to {} go on to it while it drains",
                            vip.address(), claimer.getHostAddress());
                } catch (IOException e) {
                    forwardFailures.increment();
                    log.warn("VIP {}: cannot pass {}'s connections on to it ({}): a connection that straddles the "
                            + "move is reset", vip.address(), claimer.getHostAddress(), e.getMessage());
                }
            }
            log.info("VIP {}: announcing it again: {}", vip.address(), why);
            askRound(id);
        });
    }

    /**
     * A peer claimed the VIP: the neighbours are not known to have been told here until a round after this goes
     * out, and the listener hears so now, whatever it was told before. The election counts no round as answering
     * the claim until it has heard this: a round reported before may have left before the claim.
     */
    private void claimHeard() {
        schedule.claimed(System.nanoTime());
        told = false;
        listener.claimHeard();
    }

    /**
     * A round now, for request {@code id}. The link is read first: adverts of a peer are heard as soon as the link
     * is back, before the next poll would see it, and the peer's claim means it could be heard.
     */
    private void askRound(long id) {
        watchLink();
        schedule.asked(System.nanoTime());
        rounds(id);
    }

    /** The old holder drained and released the address (or is gone): stop passing segments on to it. */
    public void stopForwarding() {
        long f = forwarding.incrementAndGet();
        thread.execute(() -> endForwarding(f));
    }

    private void endForwarding(long f) {
        if (forwarding.get() != f) {
            return;
        }
        try {
            long passed = driver.stopForwarding(vip);
            log.info("VIP {}: the old holder released it; forwarding ended{}", vip.address(),
                    passed >= 0 ? " (" + passed + " segment(s) passed on)" : "");
        } catch (IOException e) {
            forwardFailures.increment();
            log.warn("VIP {}: cannot end the forwarding, retrying in {}ms: {}", vip.address(), retryEvery.toMillis(),
                    e.getMessage());
            thread.schedule(() -> endForwarding(f), retryEvery.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Remove the address. Announcements end at once, not when the removal gets its turn on this thread: an add
     * under way (its gratuitous ARP) or a round must not draw the neighbours here to an address on its way out.
     */
    public void release() {
        wanted = false;
        long id = request.incrementAndGet();
        stopAnnouncing();
        thread.execute(new Apply(id, false));
    }

    /**
     * A more preferred peer took the address (it preempted, or this node cannot serve): the address stays here,
     * unannounced, serving what still arrives at this host's MAC, until the peer has announced it; then
     * {@link #releaseWhenDrained}. Ends any announcement round and any retry of an older request.
     */
    public void stepAside() {
        wanted = false;
        request.incrementAndGet();
        stopAnnouncing();
    }

    /**
     * This node steps down for the address ({@link #releaseWhenDrained(Duration, BooleanSupplier, Duration)}):
     * its client connections are told to close once idle, then the address is removed after {@code quiet}, as
     * soon as none of them is left, and at the latest after the drain's limit as it is now.
     */
    public void releaseWhenDrained(Duration quiet, VipDrain drain) {
        drain.stepDown(vip.address());
        releaseWhenDrained(quiet, drain.idle(vip.address()), drain.limit());
    }

    /**
     * Remove the address once a handover is safe: not before {@code quiet} has passed (neighbours that still
     * send to this host's MAC keep being served, and the new holder's later announcement rounds land), then as
     * soon as {@code idle} says nothing is in flight, and at the latest after {@code max}.
     */
    public void releaseWhenDrained(Duration quiet, BooleanSupplier idle, Duration max) {
        wanted = false;
        long id = request.incrementAndGet();
        long giveUpAt = System.nanoTime() + max.toNanos();
        // The new holder answers for the address now; answering too would draw neighbours back here.
        thread.execute(() -> {
            if (request.get() != id) {
                return;
            }
            try {
                driver.withdraw(vip);
                log.info("VIP {}: answering no more ARP requests for it while it drains", vip.address());
            } catch (IOException e) {
                withdrawFailures.increment();
                log.warn("VIP {}: cannot stop answering ARP for it while it drains ({}): a neighbour that asks "
                        + "may be drawn back here", vip.address(), e.getMessage());
            }
        });
        thread.schedule(() -> drain(id, idle, giveUpAt), quiet.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void drain(long id, BooleanSupplier idle, long giveUpAt) {
        if (request.get() != id) {
            return;
        }
        boolean quiet;
        try {
            quiet = idle.getAsBoolean();
        } catch (RuntimeException e) {
            log.warn("VIP {}: drain check failed: {}", vip.address(), e.toString());
            quiet = true;
        }
        if (quiet || System.nanoTime() - giveUpAt >= 0) {
            if (!quiet) {
                log.warn("VIP {}: requests still in flight after the drain limit, releasing anyway", vip.address());
            }
            apply(id, false);
        } else {
            thread.schedule(() -> drain(id, idle, giveUpAt), 50, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * {@link #apply} of a request, as a class rather than a lambda: a lambda's call site is linked on its first run
     * (a class spun: 2.5 to 5 ms on a busy host, against 0.3 ms to load a class), and a backup's first takeover is
     * the first run of {@link #hold}, on its way to the first gratuitous ARP.
     */
    private final class Apply implements Runnable {
        private final long id;
        private final boolean hold;

        Apply(long id, boolean hold) {
            this.id = id;
            this.hold = hold;
        }

        @Override
        public void run() {
            apply(id, hold);
        }
    }

    private void apply(long id, boolean hold) {
        if (request.get() != id) {
            return;
        }
        if (hold) {
            try {
                driver.add(vip);
                present = true;
                quietForTheLink = false;
                log.info("VIP {} added on {}", vip.address(), vip.iface());
            } catch (IOException e) {
                fail(addFailures, "add", e, id, true);
                return;
            }
            schedule.start(System.nanoTime());
            tell();
            roundsOf = id;
            rounds(id);
        } else {
            schedule.stop();
            told = false;
            listener.announced(false);
            try {
                driver.remove(vip);
                present = false;
                log.info("VIP {} removed from {}", vip.address(), vip.iface());
                listener.removed();
            } catch (IOException e) {
                fail(removeFailures, "remove", e, id, false);
            }
        }
    }

    /**
     * No more announcements of the address while it stays here: the node hands it over (or steps aside), and an
     * announcement round still to come (the second, 5 s after the first) would pull the clients back from the
     * new holder.
     */
    public void stopAnnouncing() {
        announcing = false;
        driver.stopAnnouncing(vip);
    }

    /**
     * Runs the round the schedule has due now, if it is for request {@code id} and the address is still to be
     * announced, then arms the task for the next one.
     */
    private void rounds(long id) {
        if (request.get() != id || !announcing || roundsOf != id) {
            return;
        }
        long now = System.nanoTime();
        if (schedule.take(now)) {
            runRound(id, now);
        }
        plan(id);
    }

    /** Arms the one task that runs the schedule's next round (none while none is due). */
    private void plan(long id) {
        if (request.get() != id || !announcing || roundsOf != id) {
            return;
        }
        long at = schedule.nextAt();
        if (round != null && roundAt == at && roundFor == id) {
            return;
        }
        if (round != null) {
            round.cancel(false);
            round = null;
        }
        roundAt = at;
        roundFor = id;
        if (at != Long.MAX_VALUE) {
            round = thread.schedule(() -> {
                round = null;
                roundAt = Long.MAX_VALUE;
                rounds(id);
            }, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    private void runRound(long id, long now) {
        if (quietForTheLink) {
            // ARP for it was dropped while the link was gone: answer for it again before claiming it.
            try {
                driver.add(vip);
                quietForTheLink = false;
            } catch (IOException e) {
                addFailures.increment();
                log.warn("VIP {}: cannot answer for it again ({}), announcing it all the same", vip.address(),
                        e.getMessage());
            }
        }
        try {
            driver.announce(vip);
            if (failedRounds > 0) {
                log.info("VIP {}: announced, after {} failed attempt(s)", vip.address(), failedRounds);
                failedRounds = 0;
            }
            schedule.succeeded(System.nanoTime());
        } catch (IOException e) {
            // The address is in place, but the neighbours may still send to a peer (a master whose link was down
            // while the peer took over, in the lab, lost its clients for as long as nothing retried this).
            announceFailures.increment();
            boolean linkDown = Boolean.FALSE.equals(link.up(vip.iface()));
            schedule.failed(System.nanoTime(), linkDown);
            if (failedRounds++ % 60 == 0) {
                log.warn("VIP {}: announcement failed ({} in a row), {}: {}", vip.address(), failedRounds,
                        linkDown ? "announcing it when " + vip.iface() + " has its link again"
                                : "retrying in " + TimeUnit.NANOSECONDS.toMillis(schedule.nextAt() - now) + "ms",
                        e.getMessage());
            }
            if (linkDown) {
                // The link watch announces when the link is back (seen as an edge even if no poll saw it go).
                linkWasUp = false;
            }
        }
        if (request.get() != id || !announcing) {
            // Handed over or stepped aside while the round was starting: it must not claim the address.
            driver.stopAnnouncing(vip);
            return;
        }
        tell();
    }

    /**
     * Tells the listener whether the neighbours have been told, when that changed (a peer stepping down for this
     * node keeps answering ARP for the address until it hears so).
     */
    private void tell() {
        boolean now = schedule.announced();
        if (now != told) {
            told = now;
            if (now) {
                log.info("VIP {}: announced on {}", vip.address(), vip.iface());
            } else if (present) {
                log.info("VIP {}: no longer known to be announced: the neighbours may have been told of a peer",
                        vip.address());
            }
            listener.announced(now);
        }
    }

    private void fail(Counter counter, String op, IOException e, long id, boolean hold) {
        counter.increment();
        log.warn("VIP {}: {} failed, retrying in {}ms: {}", vip.address(), op, retryEvery.toMillis(), e.getMessage());
        thread.schedule(() -> apply(id, hold), retryEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whether the address was on the interface after the last command that succeeded. */
    public boolean present() {
        return present;
    }

    /** Whether the election wants the address here. */
    public boolean wanted() {
        return wanted;
    }

    public VipConfig vip() {
        return vip;
    }

    /** Waits up to {@code wait} for the requests made so far (a release on stop), then stops the thread. */
    public void close(Duration wait) {
        thread.execute(() -> request.set(Long.MIN_VALUE));
        thread.shutdown();
        try {
            if (!thread.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("VIP {}: driver still busy after {}ms, leaving it", vip.address(), wait.toMillis());
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            thread.shutdownNow();
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}
