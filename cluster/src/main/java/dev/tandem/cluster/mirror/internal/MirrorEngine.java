package dev.tandem.cluster.mirror.internal;

import dev.tandem.cluster.mirror.CertificateCheck;
import dev.tandem.cluster.mirror.ConfigValidator;
import dev.tandem.cluster.mirror.MirrorStatus;
import dev.tandem.conf.MirrorLimits;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mirror's engine, as the rest of the node sees it: which version of every path this node has, what
 * changed here, what to ask peers for, and the writing of what they send. This class is the driver: it owns
 * the threads ({@link EngineThread}: every decision and the table on one thread of its own, file I/O blocks,
 * so it never runs on an event loop), the disk, the sessions and the timers; it starts and stops, hands each
 * call from the network, the watcher and the admin API in as a task on that thread (so the state needs no
 * lock), and carries out what it is told.
 *
 * <p>The decisions are the {@link MirrorCore}'s (events in, {@link Command}s out, no I/O, carried out by
 * {@link CoreDriver}): local changes, the mass-deletion guard and its holds, the peers' offers and rounds, the
 * first-sync gate, what becomes of a received file ({@link Arrivals}, with {@link CommitPlan} and
 * {@link Resolution}). Driven from here: the inbound sessions opening and closing, {@link InboundSessions}; the
 * content received, {@link Receiver} (with {@link ReceiveChecks}); the writes, {@link Applier}. Durability: {@link Durability}. The status and the summary:
 * {@link StatusPublisher}. Every task ends with {@link #afterTask}: the core's {@link Event.TaskDone} (the
 * deletions found judged, what changed here offered), the node told of the files written, the state file
 * scheduled.
 */
public final class MirrorEngine {

    private static final Logger log = LoggerFactory.getLogger(MirrorEngine.class);

    static final Duration PUBLISH_EVERY = Duration.ofMillis(200);
    /**
     * Files up to this size are sent in one message, received into memory and written in one go on the flush
     * pool (at most {@link InboundSession#HIGH_COMMITS} of them wait there: 16 MiB a connection).
     */
    public static final int SMALL_FILE = 256 * 1024;

    /** Where a wanted version can be read, or why it cannot. */
    public record Source(Messages.Wanted wanted, Entry entry, Path path, String reason) {
    }

    /** What the engine tells the node. Called on the engine's thread. */
    public interface Events {
        void configChanged(Path file, String cause);

        void filesChanged(List<Path> files);

        /** Everything a peer sent in one round is in place (after the {@link #filesChanged} of its files). */
        void batchInPlace();
    }

    /** The settings of one engine. */
    public record Settings(String node, List<String> peers, Map<String, Path> roots, Path stateDir, Path configFile,
                           ConfigValidator validator, Duration debounce, Duration scanInterval, int flushThreads,
                           DeletionGuard.Limits limits, java.util.function.Predicate<Roots.Root> mounted,
                           MirrorLimits rootLimits) {
        /** With the default deletion guard and limits, every root counted as mounted. */
        public Settings(String node, List<String> peers, Map<String, Path> roots, Path stateDir, Path configFile,
                        ConfigValidator validator, Duration debounce, Duration scanInterval, int flushThreads) {
            this(node, peers, roots, stateDir, configFile, validator, debounce, scanInterval, flushThreads,
                    DeletionGuard.Limits.DEFAULT, r -> true, MirrorLimits.DEFAULT);
        }
    }

    private final EngineState state;
    private final EngineThread threads;
    private final Path configFile;
    private final Duration scanInterval;
    private final MirrorCore core;
    private final CoreDriver driver;
    private final Durability durability;
    private final Receiver receiver;
    private final Applier applier;
    private final InboundSessions sessions;
    private final StatusPublisher publisher;

    public MirrorEngine(Settings s, Events events, MirrorMetrics metrics, Clock clock,
                        java.util.function.LongSupplier ticker) throws IOException {
        Roots roots = new Roots(s.roots());
        Path cfg = null;
        if (s.configFile() != null) {
            cfg = s.configFile().toAbsolutePath().normalize();
            if (Files.exists(cfg)) {
                cfg = cfg.toRealPath();
            }
        }
        this.configFile = cfg;
        this.scanInterval = s.scanInterval();
        this.state = new EngineState(s.node(), roots, new StateFile(s.stateDir()),
                cfg == null ? null : roots.keyOf(cfg),
                s.validator(), events, metrics, clock, ticker, new RootLimits(s.rootLimits()), s.limits(), s.peers());
        this.threads = new EngineThread(s.flushThreads(), () -> state.closed);
        this.core = new MirrorCore(state, LocalDisk.INSTANCE, s.debounce(), s.mounted());
        this.durability = new Durability(state, threads);
        this.receiver = new Receiver(state, threads);
        this.applier = new Applier(state, core, durability, this::toCore);
        this.receiver.applier(applier);
        this.publisher = new StatusPublisher(state);
        this.sessions = new InboundSessions(state, receiver, applier, publisher);
        this.driver = new CoreDriver(core, threads, applier);
        threads.afterEachTask(this::afterTask);
        publisher.registerGauges(metrics.registry(), s.peers());
    }

    public MirrorMetrics metrics() {
        return state.metrics;
    }

    public Roots roots() {
        return state.roots;
    }

    /** Keeps the certificate and key of each of {@code check}'s pairs one unit (call before {@link #start}). */
    public void certificateCheck(CertificateCheck check) {
        state.certificates = new CertificateFiles<>(
                new CertificatePairs<>(check, state.clock::millis, state.metrics.registry()));
    }

    /** The key of the running config file, or null when it is not mirrored. */
    public EntryKey configKey() {
        return state.configKey;
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Loads the state, removes temporary files a crash left, scans every path (hashing only what changed
     * since the state was written). Completes when done; the links should start after it.
     */
    public CompletableFuture<Void> start() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        threads.exec(() -> {
            boolean lost = durability.load();
            List<Command> started = core.on(new Event.Started(lost));
            if (configFile != null && state.configKey == null) {
                log.info("mirror: the config file {} is not among the mirrored paths: it is not mirrored", configFile);
            }
            durability.persistNow();
            driver.run(started);
            threads.loop.scheduleWithFixedDelay(() -> driver.handle(new Event.Scan()), scanInterval.toMillis(),
                    scanInterval.toMillis(), TimeUnit.MILLISECONDS);
            threads.loop.scheduleWithFixedDelay(() -> threads.exec(publisher::publishIfDirty), PUBLISH_EVERY.toMillis(),
                    PUBLISH_EVERY.toMillis(), TimeUnit.MILLISECONDS);
            f.complete(null);
        });
        return f;
    }

    /** Completes when the first sync at start is over, with how it ended. */
    public CompletableFuture<String> firstSync() {
        return state.firstSync;
    }

    /** Ends the first-sync wait (the bound on it ran out). */
    public void giveUpFirstSync(String why) {
        if (state.firstSync.complete(why)) {
            log.warn("mirror: first sync: {}", why);
            driver.handle(new Event.GiveUp(why));
        }
    }

    /** Stops: pending flushes and the state are written; a file half received is dropped. */
    public void close() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            threads.loop.execute(() -> {
                try {
                    state.closed = true;
                    for (InboundState.Session st : state.sessions.values()) {
                        receiver.dropReceiving(st);
                    }
                    InboundState.Parked p = state.book.unpark();
                    if (p != null) {
                        Receiving.deleteQuietly(p.rx.temp);
                    }
                    threads.flusher.shutdown();
                    threads.flusher.awaitTermination(10, TimeUnit.SECONDS);
                    durability.persistNow();
                    threads.stateWriter.shutdown();
                    threads.stateWriter.awaitTermination(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    log.warn("mirror: stopping: {}", e.toString());
                } finally {
                    done.complete(null);
                }
            });
            done.get(20, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            // already stopped
        } catch (Exception e) {
            log.warn("mirror: stopping: {}", e.toString());
        }
        threads.shutdownNow();
    }

    /** Stops at once, as a crash would: nothing more is written (temporary files stay behind). */
    public void halt() {
        threads.shutdownNow();
        try {
            threads.loop.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An event of a driver's part, handed to the core with its commands carried out at once. */
    private void toCore(Event event) {
        driver.now(event);
    }

    /** After every task: the core's end of it (offers), tell the node what changed on disk, schedule the state. */
    private void afterTask() {
        driver.now(new Event.TaskDone());
        state.deliverChangedFiles();
        if (durability.unsaved()) {
            state.summaryDirty = true;
            state.statusDirty = true;
            durability.schedulePersist();
        }
    }

    // ------------------------------------------------------------------ local changes

    /** From the watcher: paths touched; debounced. */
    public void touched(Set<Path> paths, boolean overflow) {
        driver.handle(new Event.Touched(paths, overflow));
    }

    /**
     * Runs a scan of every path now, as the periodic one does (tests, benchmarks). Completes once what it found
     * is judged and offered (the task after it: tasks run in order on the engine's thread).
     */
    public CompletableFuture<Void> scanNow() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        driver.handle(new Event.Scan());
        threads.exec(() -> f.complete(null));
        return f;
    }

    // ------------------------------------------------------------------ the mass-deletion guard

    /**
     * Lets the held deletion of {@code root} go ahead: the files still gone here are deleted as versions of
     * this node and offered; a peer's held deletion is applied here. Completes with what was done.
     */
    public CompletableFuture<String> confirmDeletion(String root) {
        return driver.operator(new Event.Confirm(root));
    }

    /**
     * Gives up the held deletion of {@code root} and fetches its files back from the peers that hold them: their
     * versions here are forgotten, and every connected peer is asked for them. Completes with how many were asked.
     */
    public CompletableFuture<String> restoreDeletion(String root) {
        return driver.operator(new Event.Restore(root));
    }

    // ------------------------------------------------------------------ offering (for the links)

    /** Every version this node has, in offer order (the config file last). */
    public CompletableFuture<List<Entry>> offerAll() {
        return threads.call(() -> state.ordered(state.table.entries()));
    }

    /** Where to read each wanted version: the file, or the conflict copy of a version that lost here. */
    public CompletableFuture<List<Source>> sources(List<Messages.Wanted> wanted) {
        return threads.call(() -> core.sources(wanted));
    }

    /** Content sent to a peer (for the meters). */
    void sent(long bytes) {
        state.metrics.filesSent.increment();
        state.metrics.bytesSent.increment(bytes);
    }

    // ------------------------------------------------------------------ peers

    public void linkUp(String peer, PeerLink link) {
        threads.exec(() -> {
            state.links.put(peer, link);
            driver.now(new Event.LinkUp(peer));
            Messages.Summary s = publisher.latestSummary;
            if (s != null) {
                link.summary(s);
            }
        });
    }

    public void linkDown(String peer) {
        driver.handle(new Event.LinkDown(peer));
    }

    /** Dialing {@code peer} failed ({@code first}: the first attempt since start). */
    public void linkFailed(String peer, boolean first) {
        driver.handle(new Event.LinkFailed(peer, first));
    }

    /** The peer applied a round this node offered ({@code full}: the full round a connection begins with). */
    public void peerDone(String peer, boolean full) {
        driver.handle(new Event.PeerDone(peer, full));
    }

    public void summary(String peer, Messages.Summary s) {
        driver.handle(new Event.Summary(peer, s));
    }

    public void attachLink(String peer, PeerLink link) {
        threads.exec(() -> state.links.put(peer, link));
    }

    /** Whether this node is behind a reachable peer now (as of the last status publication). */
    public boolean behind() {
        return publisher.behind();
    }

    /** Told (on the engine's thread) each time this node falls behind a reachable peer or catches up. */
    public void onBehind(java.util.function.Consumer<Boolean> listener) {
        publisher.onBehind(listener);
    }

    /** The summary to send on every connection, now and as the heartbeat. */
    public Messages.Summary latestSummary() {
        return publisher.latestSummary;
    }

    // ------------------------------------------------------------------ receiving (from the sessions)

    public void sessionOpened(InboundSession s) {
        threads.exec(() -> sessions.sessionOpened(s));
    }

    public void sessionClosed(InboundSession s) {
        threads.exec(() -> sessions.sessionClosed(s));
    }

    public void offer(InboundSession s, Messages.Offer o) {
        fromSession(s, st -> new Event.Offer(st, o.entries()));
    }

    public void offerEnd(InboundSession s, Messages.OfferEnd end) {
        fromSession(s, st -> new Event.OfferEnd(st, end.round(), end.full()));
    }

    /** The event of an open session's message, handed to the core (none once the session is closed). */
    private void fromSession(InboundSession s, java.util.function.Function<InboundState.Session, Event> event) {
        threads.exec(() -> {
            InboundState.Session st = state.sessions.get(s);
            if (st != null) {
                driver.now(event.apply(st));
            }
        });
    }

    public void fileStart(InboundSession s, Entry e) {
        threads.exec(() -> receiver.fileStart(s, e));
    }

    /** Content of the file under way (released here, on every path). */
    public void fileData(InboundSession s, ByteBuf data) {
        receiver.fileData(s, data);
    }

    public void fileEnd(InboundSession s) {
        threads.exec(() -> receiver.fileEnd(s));
    }

    public void fileAbort(InboundSession s, EntryKey key, String reason) {
        threads.exec(() -> receiver.fileAbort(s, key, reason));
    }

    // ------------------------------------------------------------------ status

    /** The status as of the last change (at most {@link #PUBLISH_EVERY} old); never waits. */
    public MirrorStatus status() {
        MirrorStatus s = publisher.published;
        return s != null ? s : new MirrorStatus(state.node, null, List.of(), List.of(), List.of(), null, null);
    }

    /** Publishes the status now (tests, and the end of a sync); waits for the engine's thread. */
    public MirrorStatus statusNow() {
        try {
            return threads.call(() -> {
                state.summaryDirty = true;
                state.statusDirty = true;
                publisher.publishIfDirty();
                return publisher.published;
            }).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            return status();
        }
    }

    /** The version of {@code key} here (tests). */
    public Entry entry(EntryKey key) {
        try {
            return threads.call(() -> state.table.get(key)).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
