package dev.tandem.cluster.witness;

import dev.tandem.conf.WitnessConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes the witnesses every {@code interval}, all at once, on threads of its own. The node counts as
 * reaching them while at least one answers; it is declared cut off after {@value #FALL} rounds in a row with
 * no answer (one lost echo must not drop a VIP), and reaching again after one round with an answer.
 *
 * <p>The verdict starts {@link WitnessVerdict#PENDING}: a node that has just started knows nothing of its
 * witnesses, and one that took a VIP on that ignorance would hold it on both sides of a partition it started
 * in. The first round with an answer makes it {@link WitnessVerdict#REACHED}, {@value #FALL} rounds without
 * one {@link WitnessVerdict#CUT_OFF}; a silent round before that leaves it pending, never reached.
 */
public final class WitnessMonitor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WitnessMonitor.class);
    static final int FALL = 2;

    private final List<WitnessConfig> witnesses;
    private final WitnessProbe probe;
    private final Duration interval;
    private final Duration timeout;
    private final Consumer<Boolean> onChange;
    private final ScheduledExecutorService timer;
    private final ExecutorService probes;
    private volatile WitnessVerdict verdict;
    /** How many witnesses answered in the last round (DNS failover wants a majority, not one). */
    private volatile int answered;
    /** When the round that {@link #answered} counts began ({@link System#nanoTime()}). */
    private volatile long answeredRoundStart;
    private int failedRounds;
    /** The witnesses that did not answer the last round; null before the first. */
    private List<WitnessConfig> silent;

    /**
     * @param onChange told (on the monitor's thread) each time the verdict changes: true when reached, false
     *                 when cut off (never told of {@link WitnessVerdict#PENDING}, the verdict it starts with)
     */
    public WitnessMonitor(List<WitnessConfig> witnesses, WitnessProbe probe, Duration interval, Duration timeout,
                          Consumer<Boolean> onChange) {
        this.witnesses = List.copyOf(witnesses);
        this.probe = probe;
        this.interval = interval;
        this.timeout = timeout;
        this.onChange = onChange;
        this.verdict = this.witnesses.isEmpty() ? WitnessVerdict.REACHED : WitnessVerdict.PENDING;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "tandem-witness"));
        this.probes = Executors.newFixedThreadPool(Math.max(1, witnesses.size()), r -> daemon(r, "tandem-witness-probe"));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Starts probing, the first round at once; with no witnesses the node always counts as reaching them, and
     * nothing runs.
     */
    public void start() {
        if (!witnesses.isEmpty()) {
            timer.scheduleWithFixedDelay(this::round, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** True while at least one witness answers (or none are configured); false while still pending. */
    public boolean reached() {
        return verdict == WitnessVerdict.REACHED;
    }

    /** How many witnesses answered in the last round. */
    public int answered() {
        return answered;
    }

    /**
     * When the round {@link #answered} counts began ({@link System#nanoTime()}): an answer is news about a peer
     * lost only if the round began after the peer's last advert.
     */
    public long answeredRoundStart() {
        return answeredRoundStart;
    }

    public WitnessVerdict verdict() {
        return verdict;
    }

    public List<WitnessConfig> witnesses() {
        return witnesses;
    }

    void round() {
        long started = System.nanoTime();
        List<Future<Boolean>> answers = new ArrayList<>();
        for (WitnessConfig w : witnesses) {
            answers.add(probes.submit(() -> probe.reachable(w, timeout)));
        }
        boolean any = false;
        int count = 0;
        List<WitnessConfig> unanswered = new ArrayList<>();
        for (int i = 0; i < answers.size(); i++) {
            boolean ok = false;
            try {
                ok = answers.get(i).get(timeout.toMillis() + 2000, TimeUnit.MILLISECONDS);
                if (ok) {
                    any = true;
                    count++;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                answers.get(i).cancel(true);
                log.debug("witness {}: {}", witnesses.get(i), e.toString());
            }
            if (!ok) {
                unanswered.add(witnesses.get(i));
            }
        }
        answeredRoundStart = started;
        answered = count;
        if (silent == null ? !unanswered.isEmpty() : !silent.equals(unanswered)) {
            // One witness of several lost is no verdict change, but it is what stops a DNS record moving (no
            // majority confirms): say which.
            log.info("witnesses answering: {} of {}{}", count, witnesses.size(),
                    unanswered.isEmpty() ? "" : " (no answer: " + unanswered + ")");
        }
        silent = List.copyOf(unanswered);
        failedRounds = any ? 0 : failedRounds + 1;
        WitnessVerdict before = verdict;
        WitnessVerdict next = any ? WitnessVerdict.REACHED : failedRounds >= FALL ? WitnessVerdict.CUT_OFF : before;
        if (next != before) {
            verdict = next;
            if (next == WitnessVerdict.REACHED) {
                log.info(before == WitnessVerdict.PENDING ? "witnesses reached" : "witnesses reached again");
            } else if (before == WitnessVerdict.PENDING) {
                log.warn("no witness answers ({}) since the start: this node takes no VIP", witnesses);
            } else {
                log.warn("no witness answers ({}): this node gives up its VIPs and takes none", witnesses);
            }
            onChange.accept(next == WitnessVerdict.REACHED);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        probes.shutdownNow();
    }
}
