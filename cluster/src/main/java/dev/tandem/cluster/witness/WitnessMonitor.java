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
    private volatile boolean reached = true;
    private int failedRounds;

    /** @param onChange told (on the monitor's thread) each time the verdict changes */
    public WitnessMonitor(List<WitnessConfig> witnesses, WitnessProbe probe, Duration interval, Duration timeout,
                          Consumer<Boolean> onChange) {
        this.witnesses = List.copyOf(witnesses);
        this.probe = probe;
        this.interval = interval;
        this.timeout = timeout;
        this.onChange = onChange;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "tandem-witness"));
        this.probes = Executors.newFixedThreadPool(Math.max(1, witnesses.size()), r -> daemon(r, "tandem-witness-probe"));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Starts probing; with no witnesses the node always counts as reaching them, and nothing runs. */
    public void start() {
        if (!witnesses.isEmpty()) {
            timer.scheduleWithFixedDelay(this::round, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** True while at least one witness answers (or none are configured). */
    public boolean reached() {
        return reached;
    }

    public List<WitnessConfig> witnesses() {
        return witnesses;
    }

    void round() {
        List<Future<Boolean>> answers = new ArrayList<>();
        for (WitnessConfig w : witnesses) {
            answers.add(probes.submit(() -> probe.reachable(w, timeout)));
        }
        boolean any = false;
        for (int i = 0; i < answers.size(); i++) {
            try {
                if (answers.get(i).get(timeout.toMillis() + 2000, TimeUnit.MILLISECONDS)) {
                    any = true;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                answers.get(i).cancel(true);
                log.debug("witness {}: {}", witnesses.get(i), e.toString());
            }
        }
        failedRounds = any ? 0 : failedRounds + 1;
        boolean verdict = any || failedRounds < FALL && reached;
        if (verdict != reached) {
            reached = verdict;
            if (verdict) {
                log.info("witnesses reached again");
            } else {
                log.warn("no witness answers ({}): this node gives up its VIPs and takes none", witnesses);
            }
            onChange.accept(verdict);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        probes.shutdownNow();
    }
}
