package dev.tandem.cluster.notify;

import dev.tandem.cluster.vip.CommandRunner;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code cluster.notify} as {@code SCRIPT VIP STATE} (STATE: MASTER, BACKUP or INIT) on every transition,
 * with {@code TANDEM_VIP}, {@code TANDEM_STATE}, {@code TANDEM_REASON} and {@code TANDEM_NODE} in its
 * environment. Calls for one VIP run one at a time in the order of the transitions (a DNS update must never
 * see MASTER after a later BACKUP); calls for different VIPs do not wait for each other. Each is bounded by a
 * timeout, and its outcome is logged and counted in {@code tandem_cluster_notify_total{vip,result}}.
 */
public final class NotifyHook implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NotifyHook.class);

    private final Path script;
    private final String node;
    private final CommandRunner runner;
    private final Duration timeout;
    private final MeterRegistry meters;
    private final Map<String, ExecutorService> perVip = new ConcurrentHashMap<>();

    public NotifyHook(Path script, String node, CommandRunner runner, Duration timeout, MeterRegistry meters) {
        this.script = script;
        this.node = node;
        this.runner = runner;
        this.timeout = timeout;
        this.meters = meters;
    }

    /** Queues the call; returns at once. */
    public void notify(String vip, String state, String reason) {
        perVip.computeIfAbsent(vip, v -> Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tandem-notify-" + v);
            t.setDaemon(true);
            return t;
        })).execute(() -> run(vip, state, reason));
    }

    /** Queues {@code script DNS RECORD STATE} for a DNS record's change; returns at once. */
    public void notifyDns(String record, String state, String reason) {
        perVip.computeIfAbsent("dns " + record, v -> Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tandem-notify-dns");
            t.setDaemon(true);
            return t;
        })).execute(() -> run(List.of(script.toString(), "DNS", record, state), record, state, reason));
    }

    private void run(String vip, String state, String reason) {
        run(List.of(script.toString(), vip, state), vip, state, reason);
    }

    private void run(List<String> cmd, String vip, String state, String reason) {
        Map<String, String> env = Map.of("TANDEM_VIP", vip, "TANDEM_STATE", state, "TANDEM_REASON", reason,
                "TANDEM_NODE", node);
        String result;
        try {
            CommandRunner.Result r = runner.run(cmd, env, timeout);
            result = r.ok() ? "ok" : "failed";
            if (r.ok()) {
                log.info("notify {} {}: ok", vip, state);
            } else {
                log.warn("notify {} {}: exit {}: {}", vip, state, r.exit(), r.output());
            }
        } catch (IOException e) {
            result = e.getMessage() != null && e.getMessage().contains("no answer within") ? "timeout" : "failed";
            log.warn("notify {} {}: {}", vip, state, e.getMessage());
        }
        meters.counter("tandem_cluster_notify_total", "vip", vip, "result", result).increment();
    }

    /** Lets queued calls finish for up to {@code wait}. */
    public void close(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        for (ExecutorService e : perVip.values()) {
            e.shutdown();
        }
        for (ExecutorService e : perVip.values()) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !e.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                    e.shutdownNow();
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                e.shutdownNow();
            }
        }
    }

    @Override
    public void close() {
        close(timeout);
    }
}
