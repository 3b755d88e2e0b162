package dev.tandem.node.reload;

import dev.tandem.conf.ConfigError;
import dev.tandem.conf.ConfigException;
import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts new versions of the config file in force, one at a time, on a control thread of its own: the file
 * is read, parsed and validated there (never on an event loop), checked by the modules that own the files
 * it names, then handed to the {@link Applier}. A file
 * that does not validate, or that the applier refuses, changes nothing: the errors go to the log (one
 * {@code FILE:LINE:COL: message} line each), to {@code tandem_config_reloads_total{result="rejected"}} and
 * to {@link #last()}, which {@code /status} and the API show.
 */
public final class ConfigReloader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConfigReloader.class);

    /** Checks beyond the parser's (the files a config names); throws with every error found. */
    @FunctionalInterface
    public interface Checks {
        Snapshot checked(Snapshot snapshot) throws ConfigException;
    }

    /** Makes a validated snapshot the config in force. */
    @FunctionalInterface
    public interface Applier {
        /** Applies {@code snapshot} entirely, or throws and leaves everything as it was. */
        void apply(Snapshot snapshot) throws IOException, InterruptedException;
    }

    private final Path file;
    private final Checks checks;
    private final Applier applier;
    private final Clock clock;
    private final ExecutorService control;
    private final Counter applied;
    private final Counter rejected;
    private volatile Snapshot current;
    private volatile ReloadResult last;

    /**
     * @param current the snapshot in force at start (version 1, normally)
     */
    public ConfigReloader(Path file, Snapshot current, Checks checks, Applier applier, MeterRegistry meters, Clock clock) {
        this.file = file;
        this.checks = checks;
        this.current = current;
        this.applier = applier;
        this.clock = clock;
        this.last = new ReloadResult("start", clock.instant(), ReloadResult.Outcome.APPLIED, current.version(),
                current.hash(), List.of(), "config version " + current.version() + " loaded at start");
        this.control = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tandem-control");
            t.setDaemon(true);
            return t;
        });
        this.applied = reloads(meters, "ok");
        this.rejected = reloads(meters, "rejected");
        Gauge.builder("tandem.config.version", this, r -> r.current.version())
                .description("Version of the config in force; grows by one with every config applied")
                .register(meters);
        Gauge.builder("tandem.config.last.reload.success", this, r -> r.last.ok() ? 1 : 0)
                .description("1 when the last reload attempt succeeded, 0 when it was rejected")
                .register(meters);
    }

    private static Counter reloads(MeterRegistry meters, String result) {
        return Counter.builder("tandem.config.reloads")
                .description("Reload attempts, by result: ok (applied or unchanged) or rejected (nothing changed)")
                .tag("result", result)
                .register(meters);
    }

    /** The snapshot in force. */
    public Snapshot current() {
        return current;
    }

    /** The last reload attempt (at start: the initial load). */
    public ReloadResult last() {
        return last;
    }

    public Path file() {
        return file;
    }

    /**
     * Reads the file and puts it in force if it validates, on the control thread.
     *
     * @param trigger       what asked (for logs and status): {@code SIGHUP}, {@code file}, {@code api}...
     * @param skipUnchanged true to do nothing when the text equals the config in force (by its SHA-256):
     *                      a file watcher seeing an editor touch the file, a SIGHUP after an edit already
     *                      applied; false to apply it again (which also resolves upstream names again)
     */
    public CompletableFuture<ReloadResult> reload(String trigger, boolean skipUnchanged) {
        try {
            return CompletableFuture.supplyAsync(() -> reloadNow(trigger, skipUnchanged), control);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new IllegalStateException("stopping: no more reloads"));
        }
    }

    /** Runs {@code task} on the control thread, after any reload queued before it. */
    public CompletableFuture<Void> onControlThread(Runnable task) {
        return CompletableFuture.runAsync(task, control);
    }

    private ReloadResult reloadNow(String trigger, boolean skipUnchanged) {
        Snapshot in = current;
        long next = in.version() + 1;
        ReloadResult result;
        try {
            byte[] content = Files.readAllBytes(file);
            Snapshot parsed = ConfigLoader.fromBytes(file.toString(), content, file.toAbsolutePath().getParent(), next);
            if (skipUnchanged && parsed.hash().equals(in.hash())) {
                // The same text is never applied twice (an edit the watcher applied, then `systemctl reload`).
                result = new ReloadResult(trigger, clock.instant(), ReloadResult.Outcome.UNCHANGED, in.version(), in.hash(),
                        List.of(), "unchanged: the file has the text of config version " + in.version());
                if (trigger.equals("file")) {
                    log.debug("config file touched but unchanged");
                } else {
                    log.info("reload ({}): unchanged, config version {} stays in force", trigger, in.version());
                }
                last = result;
                return result;
            }
            Snapshot snapshot = checks.checked(parsed);
            applier.apply(snapshot);
            current = snapshot;
            result = new ReloadResult(trigger, clock.instant(), ReloadResult.Outcome.APPLIED, next, snapshot.hash(),
                    List.of(), "config version " + next + " in force");
            applied.increment();
            log.info("reload ({}): config version {} in force", trigger, next);
        } catch (ConfigException e) {
            result = rejected(trigger, in, e.errors(), e.errors().size() + " error(s) in " + file);
            log.warn("reload ({}) rejected, config version {} stays in force:", trigger, in.version());
            for (ConfigError error : e.errors()) {
                log.warn("{}", error);
            }
        } catch (NoSuchFileException e) {
            result = rejected(trigger, in, List.of(), file + ": cannot read: no such file");
            log.warn("reload ({}) rejected, config version {} stays in force: {}", trigger, in.version(), result.message());
        } catch (IOException e) {
            result = rejected(trigger, in, List.of(), String.valueOf(e.getMessage()));
            log.warn("reload ({}) rejected, config version {} stays in force: {}", trigger, in.version(), result.message());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result = rejected(trigger, in, List.of(), "interrupted");
        } catch (RuntimeException e) {
            result = rejected(trigger, in, List.of(), e.toString());
            log.error("reload ({}) failed, config version {} stays in force", trigger, in.version(), e);
        }
        last = result;
        return result;
    }

    private ReloadResult rejected(String trigger, Snapshot in, List<ConfigError> errors, String message) {
        rejected.increment();
        return new ReloadResult(trigger, clock.instant(), ReloadResult.Outcome.REJECTED, in.version(), in.hash(), errors,
                message);
    }

    public Instant now() {
        return clock.instant();
    }

    /** Lets a reload under way finish, then stops the control thread. */
    @Override
    public void close() {
        control.shutdown();
        try {
            if (!control.awaitTermination(30, TimeUnit.SECONDS)) {
                control.shutdownNow();
            }
        } catch (InterruptedException e) {
            control.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
