package dev.tandem.health.internal;

import dev.tandem.conf.HealthConfig;
import dev.tandem.health.ActiveState;
import dev.tandem.health.ActiveStatus;
import dev.tandem.health.CheckResult;
import dev.tandem.health.HealthEvents;
import dev.tandem.health.HealthTarget;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Instant;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks one server again and again on one event loop, counts rise and fall, and publishes each transition
 * to the server's {@link dev.tandem.health.ServerHealth}.
 *
 * <p>Checks are spread in time with random jitter ({@link Pacing}) and never overlap: the next starts one
 * jittered interval after the previous started, or at once when the previous took longer than that.
 *
 * <p>Everything but {@link #start()} and {@link #stop()} runs on the loop, so the counters need no locks.
 */
public final class ServerChecker {

    private static final Logger log = LoggerFactory.getLogger(ServerChecker.class);

    private final HealthTarget target;
    private final HealthConfig config;
    private final EventLoop loop;
    private final Class<? extends Channel> channelClass;
    private final CheckMeters meters;
    private final HealthEvents events;
    private final RiseFall riseFall;
    private ScheduledFuture<?> next;
    private CheckAttempt running;
    private long started;
    private boolean stopped;

    public ServerChecker(HealthTarget target, EventLoop loop, Class<? extends Channel> channelClass, CheckMeters meters,
                         HealthEvents events) {
        this.target = target;
        this.config = target.checks().orElseThrow(() -> new IllegalArgumentException(target.label() + ": no checks"));
        this.loop = loop;
        this.channelClass = channelClass;
        this.meters = meters;
        this.events = events;
        this.riseFall = new RiseFall(config.rise(), config.fall());
    }

    public HealthTarget target() {
        return target;
    }

    public EventLoop loop() {
        return loop;
    }

    /** Schedules the first check; callable from any thread. */
    public void start() {
        loop.execute(() -> {
            if (!stopped) {
                schedule(Pacing.firstDelay(config.interval().toNanos(), ThreadLocalRandom.current()));
            }
        });
    }

    /**
     * Stops checking, abandoning a check in progress; callable from any thread. Tasks submitted to the loop
     * after this call run after the checker has stopped, so nothing it does can overwrite what they publish.
     */
    public void stop() {
        try {
            loop.execute(this::halt);
        } catch (RejectedExecutionException e) {
            // The loop is shutting down: no check will run again anyway.
        }
    }

    private void halt() {
        stopped = true;
        if (next != null) {
            next.cancel(false);
        }
        if (running != null) {
            running.abort();
            running = null;
        }
    }

    private void schedule(long delayNanos) {
        next = loop.schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void check() {
        if (stopped) {
            return;
        }
        started = System.nanoTime();
        running = new CheckAttempt(loop, channelClass, target.resolved(), config.http(), target.address().toString(),
                config.timeout(), this::checked);
        running.start();
    }

    private void checked(CheckResult result) {
        running = null;
        if (stopped) {
            return;
        }
        schedule(Pacing.nextDelay(config.interval().toNanos(), System.nanoTime() - started, ThreadLocalRandom.current()));

        meters.record(result);
        notify(() -> events.checked(target, result));
        ActiveStatus from = target.health().status();
        ActiveState to = riseFall.record(from.state(), result.passed());
        if (to != null) {
            ActiveStatus status = new ActiveStatus(to, result.detail(), Instant.now());
            if (from.state() == ActiveState.DOWN) {
                // A passive penalty still running dates from the outage the checks have just seen end (no traffic
                // reaches a down server): keeping it would hold a recovered server out for up to fail_timeout more.
                target.health().passive().clear();
            }
            target.health().publish(status);
            logTransition(from.state(), to, result);
            notify(() -> events.changed(target, from, status));
        }
    }

    private void logTransition(ActiveState from, ActiveState to, CheckResult result) {
        if (to == ActiveState.DOWN) {
            log.warn("upstream '{}' server {} is DOWN after {} failed check(s): {}", target.upstream(), target.address(),
                    riseFall.failures(), result.detail());
        } else if (from == ActiveState.DOWN) {
            log.info("upstream '{}' server {} is UP again after {} passed check(s): {}", target.upstream(),
                    target.address(), riseFall.passes(), result.detail());
        } else {
            log.info("upstream '{}' server {} is UP: first check passed: {}", target.upstream(), target.address(),
                    result.detail());
        }
    }

    /** A listener that throws must not stop the checks. */
    private void notify(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            log.error("health event listener failed for {}", target.label(), e);
        }
    }
}
