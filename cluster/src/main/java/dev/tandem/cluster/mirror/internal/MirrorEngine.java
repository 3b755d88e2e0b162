package dev.tandem.cluster.mirror.internal;

import dev.tandem.cluster.mirror.CertificateCheck;
import dev.tandem.cluster.mirror.ConfigValidator;
import dev.tandem.cluster.mirror.MirrorStatus;
import dev.tandem.conf.MirrorLimits;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mirror's decisions and its disk: which version of every path this node has, what changed here, what to
 * ask peers for, and the writing of what they send. Everything here runs on one thread of its own (file I/O
 * blocks; it never runs on an event loop), so the table needs no lock; the network hands messages in through
 * the public methods, which only queue work.
 *
 * <p>Local changes: the watcher's events and the periodic scans mark paths; once a burst has been quiet for
 * the debounce time, each marked file is hashed (a file whose stat moved while it was read is still being
 * written, and waits for the next turn), and a new content becomes a new version of this node, offered to
 * every peer. A config file that does not validate becomes no version at all.
 *
 * <p>Received files: content goes to a temporary file beside its target, is checked against its version's
 * size and SHA-256, flushed to disk (on a small pool, so that many flushes share the file system's journal
 * commits), and only then, back on this thread, renamed into place after the version is decided again
 * against whatever happened meanwhile. Directories are flushed before the state file records the new
 * versions, and before a peer is told a round is done.
 */
public final class MirrorEngine {

    private static final Logger log = LoggerFactory.getLogger(MirrorEngine.class);

    /** A config file larger than this is no config: refused without reading it. */
    static final int MAX_CONFIG_BYTES = 16 * 1024 * 1024;
    static final Duration PERSIST_DELAY = Duration.ofSeconds(1);
    static final Duration PUBLISH_EVERY = Duration.ofMillis(200);
    static final Duration PROGRESS_LOG_EVERY = Duration.ofSeconds(5);
    /** A file modified less than this before it was hashed is hashed again at the next scan (racy stat). */
    static final long RACY_MILLIS = LocalScan.RACY_MILLIS;
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

    private final String node;
    private final Roots roots;
    private final StateFile stateFile;
    private final Path configFile;
    private final EntryKey configKey;
    private final ConfigValidator validator;
    private final Events events;
    private final MirrorMetrics metrics;
    private final Ownership ownership = Ownership.ofThisProcess();
    private final RootLimits limits;
    private final Refusals refusals;
    private final Clock clock;
    private final Duration debounce;
    private final Duration scanInterval;
    private final ScheduledExecutorService thread;
    private final ExecutorService flusher;
    /** Writes the state file (after flushing the directories it vouches for), in order, off {@link #thread}. */
    private final ExecutorService stateWriter;
    private final long boot;
    private final AtomicInteger generation = new AtomicInteger();

    private MirrorTable table = new MirrorTable();
    private long savedChanges = -1;
    private boolean started;
    private final Set<Path> dirty = new HashSet<>();
    private boolean rescanAll;
    private long firstDirtyAt;
    private ScheduledFuture<?> dirtyTimer;
    private ScheduledFuture<?> persistTimer;
    private final List<Entry> outgoing = new ArrayList<>();
    private final List<Path> changedFiles = new ArrayList<>();
    /** The config file, when an edit of it made here became a version in this task (reloaded after the offer). */
    private Path configEditedHere;
    /** Files were reported changed since the last {@link Events#batchInPlace}. */
    private boolean changedSinceBatch;
    private final Set<Path> dirsToSync = new HashSet<>();
    /** Files this engine renamed into place, with their stat then: the watcher's event for them is no edit. */
    private final Map<Path, FileStore.Stat> installed = new HashMap<>();
    private final Map<InboundSession, InboundState.Session> sessions = new LinkedHashMap<>();
    /** What the sessions offered: the versions asked for, the rounds waiting, the parked config, the progress. */
    private final RoundBook book = new RoundBook(System::nanoTime, st -> st.session.isOpen(), PROGRESS_LOG_EVERY.toNanos());
    /** The links this node dials to send to each peer (null until attached). */
    private final Map<String, PeerLink> links = new LinkedHashMap<>();
    private final SyncGate gate;
    private final DeletionGuard guard;
    /** Deletions found here in this task, judged by the guard before any is recorded or sent. */
    private final Deletions deletions;
    private final java.util.function.Predicate<Roots.Root> mounted;
    /** Files found here without a version while this node has no record of versions (see {@link NoHistory}). */
    private NoHistory noHistory = new NoHistory(false);
    private final boolean hasPeers;
    private volatile boolean behind;
    /** Roots that must be mount points and were found not to be (logged once). */
    private final Set<String> unmountedLogged = new HashSet<>();
    private volatile java.util.function.Consumer<Boolean> behindListener = b -> { };
    private final ConfigVerdicts configVerdicts;
    private final CompletableFuture<String> firstSync = new CompletableFuture<>();
    private volatile MirrorStatus published;
    private volatile Messages.Summary latestSummary;
    private boolean summaryDirty = true;
    private boolean statusDirty = true;
    private boolean closed;
    /** Certificates and keys kept one unit; null when no check was given. */
    private CertificatePairs<HeldHalf> certificates;
    /** The held pairs the status published last. */
    private List<CertificatePairs.HeldPair> pairsPublished = List.of();

    /** A received certificate or key held aside until its other half comes. */
    private record HeldHalf(InboundState.Session st, Receiving rx) {
    }

    public MirrorEngine(Settings s, Events events, MirrorMetrics metrics, Clock clock) throws IOException {
        this.node = s.node();
        this.roots = new Roots(s.roots());
        this.stateFile = new StateFile(s.stateDir());
        this.validator = s.validator();
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
        this.limits = new RootLimits(s.rootLimits());
        this.refusals = new Refusals(metrics, clock);
        this.debounce = s.debounce();
        this.scanInterval = s.scanInterval();
        this.boot = clock.millis();
        Path cfg = null;
        if (s.configFile() != null) {
            cfg = s.configFile().toAbsolutePath().normalize();
            if (Files.exists(cfg)) {
                cfg = cfg.toRealPath();
            }
        }
        this.configFile = cfg;
        this.configKey = cfg == null ? null : roots.keyOf(cfg);
        this.gate = new SyncGate(s.peers(), clock::millis);
        this.guard = new DeletionGuard(s.limits(), clock::millis);
        this.deletions = new Deletions(guard);
        this.configVerdicts = new ConfigVerdicts(node, clock);
        this.mounted = s.mounted();
        this.hasPeers = !s.peers().isEmpty();
        s.peers().forEach(p -> links.put(p, null));
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tandem-mirror");
            t.setDaemon(true);
            return t;
        });
        AtomicInteger n = new AtomicInteger();
        this.flusher = Executors.newFixedThreadPool(Math.max(1, s.flushThreads()), r -> {
            Thread t = new Thread(r, "tandem-mirror-flush-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.stateWriter = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tandem-mirror-state");
            t.setDaemon(true);
            return t;
        });
        io.micrometer.core.instrument.Gauge.builder("tandem_mirror_tracked_files", this, e -> {
            MirrorStatus st = e.published;
            return st == null ? 0 : st.paths().stream().mapToInt(MirrorStatus.PathStatus::files).sum();
        }).description("Files this node mirrors").register(metrics.registry());
        for (String p : s.peers()) {
            io.micrometer.core.instrument.Gauge.builder("tandem_mirror_lag_seconds", this, e -> e.lag(p))
                    .description("0 while this node holds what the peer holds; else seconds since it last did")
                    .tag("peer", p).register(metrics.registry());
            io.micrometer.core.instrument.Gauge.builder("tandem_mirror_in_sync", this, e -> e.inSync(p) ? 1 : 0)
                    .description("1 while this node holds what the peer holds").tag("peer", p).register(metrics.registry());
        }
    }

    public MirrorMetrics metrics() {
        return metrics;
    }

    public Roots roots() {
        return roots;
    }

    /** Keeps the certificate and key of each of {@code check}'s pairs one unit (call before {@link #start}). */
    public void certificateCheck(CertificateCheck check) {
        this.certificates = new CertificatePairs<>(check, clock::millis, metrics.registry());
    }

    /** The key of the running config file, or null when it is not mirrored. */
    public EntryKey configKey() {
        return configKey;
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Loads the state, removes temporary files a crash left, scans every path (hashing only what changed
     * since the state was written). Completes when done; the links should start after it.
     */
    public CompletableFuture<Void> start() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        exec(() -> {
            boolean lost = !Files.exists(stateFile.path());
            try {
                table = stateFile.load();
            } catch (IOException e) {
                lost = true;
                Path aside = stateFile.path().resolveSibling("state.unreadable-" + clock.millis());
                log.warn("mirror: {}: starting from an empty state (the file is kept as {})", e.getMessage(), aside);
                try {
                    Files.move(stateFile.path(), aside, StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException moved) {
                    log.warn("mirror: cannot move {} aside: {}", stateFile.path(), moved.toString());
                }
                table = new MirrorTable();
            }
            Path marker = noHistoryMarker();
            if (hasPeers && (lost || Files.exists(marker))) {
                noHistory = new NoHistory(true);
                try {
                    // (a restart before a peer's full round came must still know the files have no version)
                    Files.createDirectories(marker.getParent());
                    Files.write(marker, new byte[0]);
                } catch (IOException e) {
                    log.warn("mirror: cannot write {}: {}", marker, e.toString());
                }
                log.info("mirror: no record of versions here (state lost, or a new node): the files found wait for"
                        + " the peers' versions before any is offered as an edit of this node");
            }
            long t0 = System.nanoTime();
            int before = table.size();
            scanAll(true);
            started = true;
            log.info("mirror: node {}: {} path(s), {} file(s) known ({} before), {} local change(s), scanned in {} ms",
                    node, roots.all().size(), table.size(), before, outgoing.size(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            if (configFile != null && configKey == null) {
                log.info("mirror: the config file {} is not among the mirrored paths: it is not mirrored", configFile);
            }
            outgoing.clear();
            persistNow();
            firstSyncOver(gate.start());
            thread.scheduleWithFixedDelay(() -> exec(this::periodicScan), scanInterval.toMillis(), scanInterval.toMillis(),
                    TimeUnit.MILLISECONDS);
            thread.scheduleWithFixedDelay(() -> exec(this::publishIfDirty), PUBLISH_EVERY.toMillis(),
                    PUBLISH_EVERY.toMillis(), TimeUnit.MILLISECONDS);
            f.complete(null);
        });
        return f;
    }

    /** Completes when the first sync at start is over, with how it ended. */
    public CompletableFuture<String> firstSync() {
        return firstSync;
    }

    /** Ends the first-sync wait (the bound on it ran out). */
    public void giveUpFirstSync(String why) {
        if (firstSync.complete(why)) {
            log.warn("mirror: first sync: {}", why);
            exec(() -> {
                gate.giveUp(why);
                statusDirty = true;
            });
        }
    }

    /** Stops: pending flushes and the state are written; a file half received is dropped. */
    public void close() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                try {
                    closed = true;
                    for (InboundState.Session st : sessions.values()) {
                        dropReceiving(st);
                    }
                    InboundState.Parked p = book.unpark();
                    if (p != null) {
                        Receiving.deleteQuietly(p.rx.temp);
                    }
                    flusher.shutdown();
                    flusher.awaitTermination(10, TimeUnit.SECONDS);
                    persistNow();
                    stateWriter.shutdown();
                    stateWriter.awaitTermination(10, TimeUnit.SECONDS);
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
        thread.shutdownNow();
        flusher.shutdownNow();
        stateWriter.shutdownNow();
    }

    /** Stops at once, as a crash would: nothing more is written (temporary files stay behind). */
    public void halt() {
        thread.shutdownNow();
        flusher.shutdownNow();
        stateWriter.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void exec(Runnable task) {
        try {
            thread.execute(() -> {
                if (closed) {
                    return;
                }
                try {
                    task.run();
                    afterTask();
                } catch (RuntimeException e) {
                    log.error("mirror: unexpected failure", e);
                }
            });
        } catch (RejectedExecutionException e) {
            // stopped
        }
    }

    private <T> CompletableFuture<T> call(java.util.function.Supplier<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                try {
                    f.complete(task.get());
                } catch (RuntimeException e) {
                    f.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new IllegalStateException("the mirror is stopped"));
        }
        return f;
    }

    /** After every task: offer what changed here, tell the node what changed on disk, schedule the state. */
    private void afterTask() {
        judgeDeletions();
        if (!outgoing.isEmpty()) {
            List<Entry> batch = ordered(outgoing);
            outgoing.clear();
            if (batch.size() <= 5) {
                batch.forEach(e -> log.info("mirror: {} {} here: version {}", e.key(), e.deleted() ? "deleted" : "changed",
                        e.label()));
            } else {
                log.info("mirror: {} path(s) changed here", batch.size());
            }
            for (PeerLink link : links.values()) {
                if (link != null) {
                    link.offer(batch);
                }
            }
        }
        if (configEditedHere != null) {
            // after the offer: the reload here does not hold up the peers' copies (they reload it too)
            Path p = configEditedHere;
            configEditedHere = null;
            notifyConfig(p, "edited here");
        }
        deliverChangedFiles();
        if (table.changes() != savedChanges) {
            summaryDirty = true;
            statusDirty = true;
            schedulePersist();
        }
    }

    /** Tells the node of the files written or deleted since it was last told. */
    private void deliverChangedFiles() {
        if (changedFiles.isEmpty()) {
            return;
        }
        List<Path> files = List.copyOf(changedFiles);
        changedFiles.clear();
        changedSinceBatch = true;
        try {
            events.filesChanged(files);
        } catch (RuntimeException e) {
            log.warn("mirror: files-changed listener failed", e);
        }
    }

    /**
     * A round is complete: files that go together (a certificate and its key) are all in place now, and the
     * node may read them again as a whole rather than one at a time.
     */
    private void batchInPlace() {
        deliverChangedFiles();
        if (!changedSinceBatch) {
            return;
        }
        changedSinceBatch = false;
        try {
            events.batchInPlace();
        } catch (RuntimeException e) {
            log.warn("mirror: batch listener failed", e);
        }
    }

    /** Key order, the config file last: the files it names (certificates) arrive before it is validated. */
    private List<Entry> ordered(Collection<Entry> entries) {
        List<Entry> out = new ArrayList<>(entries);
        out.sort((a, b) -> {
            boolean ca = a.key().equals(configKey);
            boolean cb = b.key().equals(configKey);
            return ca != cb ? (ca ? 1 : -1) : a.key().compareTo(b.key());
        });
        return out;
    }

    // ------------------------------------------------------------------ local changes

    /** From the watcher: paths touched; debounced here. */
    public void touched(Set<Path> paths, boolean overflow) {
        exec(() -> {
            if (dirty.isEmpty() && !rescanAll) {
                firstDirtyAt = System.nanoTime();
            }
            dirty.addAll(paths);
            rescanAll |= overflow;
            armDirty();
        });
    }

    /**
     * Waits for the burst to be quiet for the debounce time, but not longer than ten times that (at least a
     * second) since its first event, so that a path changing all the time does not hold back the others.
     */
    private void armDirty() {
        if (dirtyTimer != null) {
            dirtyTimer.cancel(false);
        }
        long wait = LocalScan.debounceNanos(debounce.toNanos(), firstDirtyAt, System.nanoTime());
        dirtyTimer = thread.schedule(() -> exec(this::processDirty), wait, TimeUnit.NANOSECONDS);
    }

    private void processDirty() {
        dirtyTimer = null;
        if (!started) {
            return;
        }
        if (rescanAll) {
            rescanAll = false;
            dirty.clear();
            log.info("mirror: file events were lost: scanning every path");
            scanAll(false);
            return;
        }
        List<Path> paths = new ArrayList<>(new TreeSet<>(dirty));
        dirty.clear();
        Set<Path> again = new HashSet<>();
        for (Path p : paths) {
            EntryKey key = roots.keyOf(p);
            if (key == null || FileStore.isTemp(p.getFileName().toString()) || !mountedNow(roots.get(key.root()))) {
                continue;
            }
            try {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    scanTree(key, p, false, again);
                } else if (refreshFile(key, p, true) == Refresh.CHANGING) {
                    again.add(p);
                } else {
                    // a directory that went away: everything that was under it
                    for (MirrorTable.Local l : new ArrayList<>(table.under(key).values())) {
                        if (LocalScan.underGone(key, l.entry())) {
                            Path lp = roots.pathOf(l.entry().key());
                            if (lp != null) {
                                refreshFile(l.entry().key(), lp, false);
                            }
                        }
                    }
                }
            } catch (IOException e) {
                log.debug("mirror: cannot read {}: {}", p, e.toString());
                again.add(p);
            }
        }
        if (!again.isEmpty()) {
            if (dirty.isEmpty()) {
                firstDirtyAt = System.nanoTime();
            }
            dirty.addAll(again);
            armDirty();
        }
    }

    private void periodicScan() {
        installed.clear();
        scanAll(false);
        for (PeerLink link : links.values()) {
            if (link != null) {
                link.offerAll(ordered(table.entries()));
            }
        }
        // Conflict files the operator removed are no longer reported.
        for (Conflict c : new ArrayList<>(table.conflicts())) {
            if (!Files.exists(c.keptAs(), LinkOption.NOFOLLOW_LINKS)) {
                table.removeConflict(c);
            }
        }
    }

    private void scanAll(boolean removeTemps) {
        for (Roots.Root r : roots.all()) {
            if (!mountedNow(r)) {
                continue;
            }
            Path p = r.path();
            EntryKey key = new EntryKey(r.id(), "");
            try {
                if (Files.isDirectory(p)) {
                    scanTree(key, p, removeTemps, null);
                } else {
                    refreshFile(key, p, false);
                }
            } catch (IOException e) {
                log.warn("mirror: cannot scan {}: {}", p, e.toString());
            }
        }
    }

    /**
     * Scans {@code dir} (the directory of {@code key}): every regular file (links and others are not
     * mirrored), then the paths known under it that are gone.
     */
    private void scanTree(EntryKey key, Path dir, boolean removeTemps, Set<Path> again) throws IOException {
        Set<EntryKey> seen = new HashSet<>();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String name = file.getFileName().toString();
                LocalScan.Visit visit = LocalScan.visit(name, attrs.isRegularFile(), attrs.isSymbolicLink());
                if (visit == LocalScan.Visit.TEMP) {
                    if (removeTemps) {
                        Receiving.deleteQuietly(file);
                        log.info("mirror: removed {}, left by an interrupted write", file);
                    }
                    return FileVisitResult.CONTINUE;
                }
                EntryKey k = visit == LocalScan.Visit.LOOK ? roots.keyOf(file) : null;
                if (k == null) {
                    return FileVisitResult.CONTINUE;
                }
                seen.add(k);
                try {
                    if (refreshFile(k, file, false) == Refresh.CHANGING && again != null) {
                        again.add(file);
                    }
                } catch (IOException e) {
                    log.debug("mirror: cannot read {}: {}", file, e.toString());
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                log.debug("mirror: cannot scan {}: {}", file, e.toString());
                return FileVisitResult.CONTINUE;
            }
        });
        // each entry read as it is when its turn comes (a look before it may have changed it)
        for (MirrorTable.Local l : new ArrayList<>(table.under(key).values())) {
            Entry e = l.entry();
            if (LocalScan.unseen(e, seen)) {
                Path p = roots.pathOf(e.key());
                if (p != null) {
                    refreshFile(e.key(), p, false);
                }
            }
        }
    }

    private enum Refresh { UNCHANGED, CHANGED, CHANGING, REJECTED }

    /**
     * Looks at the file of {@code key} and records a local edit if its content (or mode, or existence)
     * differs from the version recorded.
     *
     * @param force hash even when the stat says nothing changed (a file event came for it)
     */
    private Refresh refreshFile(EntryKey key, Path path, boolean force) throws IOException {
        FileStore.Stat s = FileStore.stat(path);
        MirrorTable.Local l = table.local(key);
        long now = clock.millis();
        FileStore.Stat mine = installed.remove(path);
        boolean config = key.equals(configKey);
        // The root's directory is looked at only when the decision needs it (a recorded file gone).
        boolean rootPresent = s != null || l == null || l.entry().deleted() || key.rel().isEmpty()
                || Files.isDirectory(roots.get(key.root()).path());
        LocalScan.Facts facts = new LocalScan.Facts(key, s, mine, l == null ? null : l.entry(),
                l == null ? null : l.stat(), l == null ? 0 : l.hashedAt(), force, rootPresent, config, now);
        switch (LocalScan.look(facts)) {
            case OWN_INSTALL, ROOT_GONE -> {
                return Refresh.UNCHANGED;
            }
            case NOTHING_GONE -> {
                noHistory.settled(key);
                return Refresh.UNCHANGED;
            }
            case CONFIG_GONE -> {
                rejectLocal(path, "", List.of(path + ": deleted (expected: the config file; it is not mirrored away)"));
                return Refresh.REJECTED;
            }
            case DELETED -> {
                // Judged with the task's other deletions (see judgeDeletions) before it is recorded or sent.
                deletions.found(key, LocalScan.deletion(facts, node));
                return Refresh.CHANGED;
            }
            case PRESENT -> {
            }
        }
        deletions.notGone(key);
        if (l == null && noHistory.hold(key)) {
            // no version, and this node has no history: the peers' versions decide (see NoHistory)
            return Refresh.UNCHANGED;
        }
        if (guard.held(key) && guard.back(key)) {
            log.info("mirror: every file of the held deletion of {} is back: the hold ends", roots.get(key.root()).path());
            statusDirty = true;
        }
        if (LocalScan.statUnchanged(facts)) {
            return Refresh.UNCHANGED;
        }
        if (s.link()) {
            Entry e = LocalLinks.look(roots, refusals, ownership, table, key, path, s, node, now);
            if (e == null) {
                return Refresh.UNCHANGED;
            }
            table.put(e, s, now);
            outgoing.add(e);
            return Refresh.CHANGED;
        }
        if (LocalLimits.refused(limits, refusals, table, key, path, s)) {
            return Refresh.REJECTED;
        }
        byte[] content = null;
        String hash;
        if (config) {
            if (s.size() > MAX_CONFIG_BYTES) {
                rejectLocal(path, "", List.of(path + ": " + s.size() + " bytes (expected: a config file of at most "
                        + MAX_CONFIG_BYTES + " bytes)"));
                return Refresh.REJECTED;
            }
            content = Files.readAllBytes(path);
            hash = FileStore.hex(FileStore.sha256().digest(content));
        } else {
            hash = FileStore.hash(path);
        }
        FileStore.Stat after = FileStore.stat(path);
        LocalScan.Content seen = LocalScan.content(facts, hash, after, l != null && ownership.changed(s, l.stat()));
        if (seen == LocalScan.Content.CHANGING) {
            return Refresh.CHANGING;
        }
        if (seen == LocalScan.Content.SAME) {
            table.restat(key, s, now);
            if (config && configVerdicts.localSettled()) {
                log.info("mirror: {} is back to config version {}: the rejected edit is gone", path, l.entry().label());
                statusDirty = true;
            }
            return Refresh.UNCHANGED;
        }
        if (config) {
            if (configVerdicts.rejectedBefore(hash)) {
                return Refresh.REJECTED;
            }
            List<String> problems = validate(path, content);
            if (!problems.isEmpty()) {
                rejectLocal(path, hash, problems);
                return Refresh.REJECTED;
            }
            if (configVerdicts.localSettled()) {
                statusDirty = true;
            }
        }
        // A certificate or key goes only with a pair that passes the check, and with its other half.
        CertificatePairs.Local pair = certificates == null || config ? CertificatePairs.Local.NOT_A_PAIR
                : certificates.local(path);
        if (pair.held()) {
            if (pair.recheckIn() != null) {
                recheckLater(path, pair.recheckIn());
            }
            return Refresh.UNCHANGED;
        }
        String[] owners = ownership.namesForEdit(path, l == null ? null : l.entry());
        Entry e = LocalScan.edit(facts, node, hash, owners[0], owners[1]);
        table.put(e, s, now);
        outgoing.add(e);
        if (config && started) {
            // (At start the node has just loaded the file: nothing to reload.) Asked for once the edit is offered.
            configEditedHere = path;
        }
        EntryKey otherHalf = pair.partner() == null ? null : roots.keyOf(pair.partner());
        if (otherHalf != null) {
            refreshFile(otherHalf, pair.partner(), true);
        }
        return Refresh.CHANGED;
    }

    /** Looks at {@code path} again after {@code wait} (a certificate half waiting for its other half). */
    private void recheckLater(Path path, Duration wait) {
        try {
            thread.schedule(() -> touched(Set.of(path), false), wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException ex) {
            // stopping
        }
    }

    private List<String> validate(Path path, byte[] content) {
        try {
            return validator == null ? List.of() : validator.problems(path, content);
        } catch (RuntimeException e) {
            log.error("mirror: the config check failed on {}", path, e);
            return List.of(path + ": the check failed: " + e);
        }
    }

    private void rejectLocal(Path path, String hash, List<String> problems) {
        if (!configVerdicts.rejectLocal(path.toString(), hash, problems)) {
            return;
        }
        statusDirty = true;
        metrics.rejected(MirrorMetrics.INVALID_CONFIG);
        Entry current = table.get(configKey);
        log.warn("mirror: {} edited here does not validate: not sent, not applied; config version {} stays in force:",
                path, current == null ? "-" : current.label());
        problems.forEach(p -> log.warn("{}", p));
    }

    private void notifyConfig(Path path, String cause) {
        try {
            events.configChanged(path, cause);
        } catch (RuntimeException e) {
            log.warn("mirror: config-changed listener failed", e);
        }
    }

    // ------------------------------------------------------------------ the mass-deletion guard

    /**
     * The deletions this task found here, per root, go through the guard: the usual ones are recorded and
     * offered; a mass deletion is held (no version, nothing sent) until an operator confirms it.
     */
    private void judgeDeletions() {
        long now = clock.millis();
        for (Deletions.Command c : deletions.judgeFound(root -> table.digest(root).files())) {
            if (c instanceof Deletions.Record r) {
                table.put(r.deletion(), null, now);
                outgoing.add(r.deletion());
            } else if (c instanceof Deletions.Held h) {
                held(h.root(), h.from());
            }
        }
    }

    private void held(String root, String from) {
        DeletionGuard.Hold h = guard.hold(root);
        metrics.deletionsHeld.increment();
        statusDirty = true;
        log.warn("mirror: {} of the {} file(s) of {} deleted at once {}: held, nothing sent or applied (an unmounted"
                        + " disk or a failed restore looks like this); 'tandem mirror confirm {}' lets it go ahead,"
                        + " 'tandem mirror restore {}' fetches the files back from the peers",
                h.keys.size(), h.filesThen, roots.get(root).path(), "here".equals(from) ? "here" : "by " + from,
                roots.get(root).path(), roots.get(root).path());
    }

    private boolean mountedNow(Roots.Root r) {
        boolean m = r != null && mounted.test(r);
        if (!m && r != null && unmountedLogged.add(r.id())) {
            log.warn("mirror: {} is not a mount point (require_mount): not scanned until it is", r.path());
            statusDirty = true;
        } else if (m && r != null && unmountedLogged.remove(r.id())) {
            log.info("mirror: {} is a mount point again: scanned", r.path());
        }
        return m;
    }

    /** The root of {@code name} (its id, or its path as configured). */
    private Roots.Root rootNamed(String name) {
        for (Roots.Root r : roots.all()) {
            if (r.id().equals(name) || r.path().toString().equals(name)
                    || r.path().equals(Path.of(name).toAbsolutePath().normalize())) {
                return r;
            }
        }
        return null;
    }

    /**
     * Lets the held deletion of {@code root} go ahead: the files still gone here are deleted as versions of
     * this node and offered; a peer's held deletion is applied here. Completes with what was done.
     */
    public CompletableFuture<String> confirmDeletion(String root) {
        return call(() -> {
            Roots.Root r = rootNamed(root);
            DeletionGuard.Hold h = r == null ? null : guard.release(r.id());
            if (h == null) {
                throw new IllegalArgumentException(root + ": no deletion is held there");
            }
            long now = clock.millis();
            int done = 0;
            for (Map.Entry<EntryKey, Entry> k : h.keys.entrySet()) {
                MirrorTable.Local l = table.local(k.getKey());
                Path p = roots.pathOf(k.getKey());
                if (l == null || l.entry().deleted() || p == null) {
                    continue;
                }
                if (k.getValue() == null) {
                    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                        Entry e = Entry.confirmedDeletion(l.entry(), node, now);
                        table.put(e, null, now);
                        outgoing.add(e);
                        done++;
                    }
                } else if (sessionOf(h.from) != null) {
                    applyWithoutContent(sessionOf(h.from), k.getValue());
                    done++;
                }
            }
            log.warn("mirror: the held deletion of {} confirmed: {} file(s) deleted", r.path(), done);
            statusDirty = true;
            afterTask();
            return done + " file(s) of " + r.path() + " deleted";
        });
    }

    /**
     * Gives up the held deletion of {@code root} and fetches its files back from the peers that hold them: their
     * versions here are forgotten, and every connected peer is asked for them. Completes with how many were asked.
     */
    public CompletableFuture<String> restoreDeletion(String root) {
        return call(() -> {
            Roots.Root r = rootNamed(root);
            DeletionGuard.Hold h = r == null ? null : guard.hold(r.id());
            if (h == null) {
                throw new IllegalArgumentException(root + ": no deletion is held there");
            }
            if (!"here".equals(h.from)) {
                guard.release(r.id());
                statusDirty = true;
                log.warn("mirror: the deletion of {} by {} is not applied here: the files stay", r.path(), h.from);
                return "the deletion by " + h.from + " is dropped here: the files of " + r.path() + " stay";
            }
            InboundState.Session from = null;
            for (InboundState.Session st : sessions.values()) {
                if (st.session.isOpen()) {
                    from = st;
                    break;
                }
            }
            if (from == null) {
                throw new IllegalStateException("no peer is connected to fetch the files of " + r.path() + " from");
            }
            guard.release(r.id());
            List<Messages.Wanted> want = new ArrayList<>();
            for (EntryKey k : h.keys.keySet()) {
                MirrorTable.Local l = table.local(k);
                if (l == null || l.entry().deleted() || book.fetching(k)) {
                    continue;
                }
                table.forget(k);
                book.restore(from, l.entry());
                want.add(new Messages.Wanted(k, l.entry().version(), l.entry().origin()));
            }
            if (!want.isEmpty()) {
                from.session.want(want);
            }
            log.warn("mirror: restoring {}: {} file(s) asked of {}", r.path(), want.size(), from.peer);
            statusDirty = true;
            summaryDirty = true;
            return want.size() + " file(s) of " + r.path() + " asked of " + from.peer;
        });
    }

    private InboundState.Session sessionOf(String peer) {
        for (InboundState.Session st : sessions.values()) {
            if (st.peer.equals(peer)) {
                return st;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ offering (for the links)

    /** Every version this node has, in offer order (the config file last). */
    public CompletableFuture<List<Entry>> offerAll() {
        return call(() -> ordered(table.entries()));
    }

    /** Where to read each wanted version: the file, or the conflict copy of a version that lost here. */
    public CompletableFuture<List<Source>> sources(List<Messages.Wanted> wanted) {
        return call(() -> {
            List<Source> out = new ArrayList<>(wanted.size());
            for (Messages.Wanted w : wanted) {
                Entry e = table.get(w.key());
                if (e != null && !e.deleted() && e.version() == w.version() && e.origin().equals(w.origin())) {
                    Path p = roots.pathOf(w.key());
                    out.add(p == null ? new Source(w, null, null, "not mirrored here") : new Source(w, e, p, null));
                    continue;
                }
                Source kept = null;
                for (Conflict c : table.conflicts()) {
                    if (c.key().equals(w.key()) && c.loser().version() == w.version() && c.loser().origin().equals(w.origin())) {
                        kept = new Source(w, c.loser(), c.keptAs(), null);
                    }
                }
                out.add(kept != null ? kept : new Source(w, null, null, "superseded"));
            }
            return out;
        });
    }

    /** Content sent to a peer (for the meters). */
    void sent(long bytes) {
        metrics.filesSent.increment();
        metrics.bytesSent.increment(bytes);
    }

    // ------------------------------------------------------------------ peers

    public void linkUp(String peer, PeerLink link) {
        exec(() -> {
            links.put(peer, link);
            gate.linkUp(peer);
            statusDirty = true;
            Messages.Summary s = latestSummary;
            if (s != null) {
                link.summary(s);
            }
        });
    }

    public void linkDown(String peer) {
        exec(() -> {
            gate.linkDown(peer, digests());
            statusDirty = true;
        });
    }

    /** Dialing {@code peer} failed ({@code first}: the first attempt since start). */
    public void linkFailed(String peer, boolean first) {
        exec(() -> firstSyncOver(gate.linkFailed(peer, first)));
    }

    /** The peer applied a round this node offered ({@code full}: the full round a connection begins with). */
    public void peerDone(String peer, boolean full) {
        exec(() -> {
            if (full && !gate.outDone(peer)) {
                log.info("mirror: {} has everything of this node", peer);
                firstSyncOver(gate.peerHasAll(peer));
            }
        });
    }

    public void summary(String peer, Messages.Summary s) {
        exec(() -> {
            if (gate.summary(peer, s, digests())) {
                statusDirty = true;
            }
        });
    }

    public void attachLink(String peer, PeerLink link) {
        exec(() -> links.put(peer, link));
    }

    private void firstSyncOver(String outcome) {
        if (outcome != null && firstSync.complete(outcome)) {
            log.info("mirror: first sync: {}", outcome);
            statusDirty = true;
        }
    }

    /** This node's digest of every root, as the summaries compare them. */
    private Map<String, MirrorTable.RootDigest> digests() {
        Map<String, MirrorTable.RootDigest> d = new LinkedHashMap<>();
        for (Roots.Root r : roots.all()) {
            d.put(r.id(), table.digest(r.id()));
        }
        return d;
    }

    /** Whether this node is behind a reachable peer (it then does not preempt); tells the listener of a change. */
    private void updateBehind() {
        Map<String, long[]> wanted = book.wantedByPeer();
        for (SyncGate.Peer p : gate.peers()) {
            long[] w = wanted.getOrDefault(p.name, new long[2]);
            gate.wanted(p.name, w[0], w[1]);
        }
        boolean now = gate.behind().behind();
        if (now != behind) {
            behind = now;
            SyncGate.Behind b = gate.behind();
            if (now) {
                log.info("mirror: behind {}: {} file(s), {} to receive", b.peers(), b.files(), Receiving.size(b.bytes()));
            } else {
                log.info("mirror: caught up with every reachable peer");
            }
            try {
                behindListener.accept(now);
            } catch (RuntimeException e) {
                log.warn("mirror: behind listener failed", e);
            }
        }
    }

    /** Whether this node is behind a reachable peer now (as of the last status publication). */
    public boolean behind() {
        return behind;
    }

    /** Told (on the engine's thread) each time this node falls behind a reachable peer or catches up. */
    public void onBehind(java.util.function.Consumer<Boolean> listener) {
        this.behindListener = listener;
    }

    private double lag(String peer) {
        MirrorStatus s = published;
        if (s == null) {
            return 0;
        }
        for (MirrorStatus.PeerStatus p : s.peers()) {
            if (p.node().equals(peer)) {
                return p.inSync() ? 0 : Math.max(0, (clock.millis() - (p.lastSync() == null ? gate.boot()
                        : p.lastSync().toEpochMilli())) / 1000.0);
            }
        }
        return 0;
    }

    private boolean inSync(String peer) {
        MirrorStatus s = published;
        return s != null && s.peers().stream().anyMatch(p -> p.node().equals(peer) && p.inSync());
    }

    /** The summary to send on every connection, now and as the heartbeat. */
    public Messages.Summary latestSummary() {
        return latestSummary;
    }

    // ------------------------------------------------------------------ receiving (from the sessions)

    public void sessionOpened(InboundSession s) {
        exec(() -> {
            InboundState.Session opened = new InboundState.Session(s);
            sessions.put(s, opened);
            book.opened(opened);
            gate.sessionOpened(s.peer());
            statusDirty = true;
            PeerLink link = links.get(s.peer());
            if (link != null) {
                link.poke();
            }
            Messages.Summary sum = latestSummary;
            if (sum != null) {
                s.summary(sum);
            }
        });
    }

    public void sessionClosed(InboundSession s) {
        exec(() -> {
            InboundState.Session st = sessions.remove(s);
            if (st == null) {
                return;
            }
            gate.sessionClosed(st.peer, digests());
            statusDirty = true;
            dropReceiving(st);
            for (InboundState.Fetch f : book.closed(st)) {
                fetchEnded(f.entry.key(), f.entry, false);
            }
            if (book.parkedDue(st)) {
                refuseParked();
            }
        });
    }

    public void offer(InboundSession s, Messages.Offer o) {
        exec(() -> {
            InboundState.Session st = sessions.get(s);
            if (st == null) {
                return;
            }
            List<Messages.Wanted> want = new ArrayList<>();
            boolean unsafe = false;
            Set<EntryKey> deferred = deferReceivedDeletions(st, o.entries());
            for (Entry e : o.entries()) {
                noHistory.offered(e.key());
                if (deferred.contains(e.key())) {
                    continue;
                }
                Path target = roots.pathOf(e.key());
                Entry local = table.get(e.key());
                if (local == null && target != null && noHistory.waiting(e.key()) && adoptedWithoutHistory(e, target)) {
                    continue;
                }
                switch (RoundBook.triage(e, false, target != null, roots.get(e.key().root()) != null,
                        local, this::conflictKept, configVerdicts.refusedBefore(e.key()))) {
                    case UNSAFE -> unsafe = true;
                    case NOT_MIRRORED -> log.debug("mirror: {} offers {} of a path not mirrored here", st.peer, e.key());
                    case LINK -> book.link(st, e);
                    case WITHOUT_CONTENT -> applyWithoutContent(st, e);
                    case CONTENT -> {
                        RootLimits.Over over = limits.admit(e, local, table.usage(e.key().root()));
                        if (over != null) {
                            refusals.refuse(target.toString(), over.reason(), over.detail(), st.peer);
                        } else if (book.ask(st, e)) {
                            want.add(new Messages.Wanted(e.key(), e.version(), e.origin()));
                        }
                    }
                    case HELD, HAVE, REFUSED_BEFORE -> {
                        // nothing to do
                    }
                }
            }
            if (unsafe) {
                metrics.rejected(MirrorMetrics.UNSAFE_PATH);
                log.warn("mirror: {} offered a path that would leave its root: ignored", st.peer);
            }
            if (!want.isEmpty()) {
                s.want(want);
                statusDirty = true;
            }
        });
    }

    /**
     * The deletions of live files in a peer's offer wait for the end of its round, where they pass the guard
     * together (see {@link #judgeRoundDeletions}): a round split across many offer messages is judged whole.
     * Returns the keys deferred; a key the peer offers as a file again leaves a hold of that peer's.
     */
    private Set<EntryKey> deferReceivedDeletions(InboundState.Session st, List<Entry> offered) {
        Set<EntryKey> deferred = new HashSet<>();
        for (Entry e : offered) {
            if (e.confirmed()) {
                continue;
            }
            if (!e.deleted()) {
                if (deletions.offeredAgain(e.key(), st.peer)) {
                    statusDirty = true;
                }
                st.roundDeletions.remove(e.key());
                continue;
            }
            if (roots.pathOf(e.key()) != null
                    && Deletions.deletesHere(e, table.get(e.key()), noHistory.waiting(e.key()))) {
                st.roundDeletions.put(e.key(), e);
                deferred.add(e.key());
            }
        }
        return deferred;
    }

    /**
     * The deletions of a peer's round, per root, pass the guard as this node's own do (and count in its window
     * with the others of the root): the usual ones are applied, a mass deletion is held.
     */
    private void judgeRoundDeletions(InboundState.Session st) {
        Map<EntryKey, Entry> round = new LinkedHashMap<>(st.roundDeletions);
        st.roundDeletions.clear();
        for (Deletions.Command c : deletions.judgeRound(round, st.peer, table::get, noHistory::waiting,
                root -> table.digest(root).files() + noHistory.waiting(root))) {
            if (c instanceof Deletions.Apply a) {
                applyWithoutContent(st, a.deletion());
            } else if (c instanceof Deletions.Held h) {
                held(h.root(), h.from());
            }
        }
    }

    /**
     * A peer's version of a file that has none here (see {@link NoHistory}): when the file holds the same content,
     * it takes that version without a transfer. Returns whether it did.
     */
    private boolean adoptedWithoutHistory(Entry e, Path target) {
        try {
            FileStore.Stat s = FileStore.stat(target);
            if (e.deleted() || e.isLink() || s == null || s.link() || s.size() != e.size()
                    || !FileStore.hash(target).equals(e.hash())) {
                return false;
            }
            if (s.mode() != e.mode()) {
                FileStore.chmod(target, e.mode());
            }
            ownership.apply(target, e);
            table.put(e, FileStore.stat(target), clock.millis());
            noHistory.settled(e.key());
            return true;
        } catch (IOException ex) {
            log.debug("mirror: cannot read {}: {}", target, ex.toString());
            return false;
        }
    }

    /**
     * The first full round from a peer is over, with no record of versions here: the files waiting that no peer
     * offered are this node's own (a person added them) and become its edits; the state records versions again.
     */
    private void ownFilesWithoutHistory(String peer) {
        List<EntryKey> own = noHistory.fullRoundOver();
        for (EntryKey k : own) {
            Path p = roots.pathOf(k);
            if (p == null) {
                continue;
            }
            try {
                refreshFile(k, p, true);
            } catch (IOException e) {
                log.debug("mirror: cannot read {}: {}", p, e.toString());
            }
        }
        log.info("mirror: versions learnt from {}: {} file(s) found here that no peer has are offered as this node's",
                peer, own.size());
        try {
            Files.deleteIfExists(noHistoryMarker());
        } catch (IOException e) {
            log.warn("mirror: cannot delete {}: {}", noHistoryMarker(), e.toString());
        }
    }

    /** Present while this node waits, with no record of versions, for a peer's full round (across restarts). */
    private Path noHistoryMarker() {
        return stateFile.path().resolveSibling("no-history");
    }

    private boolean conflictKept(Entry loser) {
        for (Conflict c : table.conflicts()) {
            if (c.key().equals(loser.key()) && c.loser().sameVersion(loser)) {
                return true;
            }
        }
        return false;
    }

    public void offerEnd(InboundSession s, Messages.OfferEnd end) {
        exec(() -> {
            InboundState.Session st = sessions.get(s);
            if (st == null) {
                return;
            }
            judgeRoundDeletions(st);
            book.roundEnded(st, end.round(), end.full()).forEach(this::roundReady);
            if (end.full() && noHistory.active()) {
                ownFilesWithoutHistory(st.peer);
            }
        });
    }

    public void fileStart(InboundSession s, Entry e) {
        exec(() -> {
            InboundState.Session st = sessions.get(s);
            if (st == null) {
                return;
            }
            if (st.rx != null) {
                metrics.rejected(MirrorMetrics.BAD_FRAME);
                log.warn("mirror: {} began a file inside another: closing the connection", st.peer);
                s.close();
                return;
            }
            Receiving rx = new Receiving(e, roots.pathOf(e.key()));
            st.rx = rx;
            Roots.Root root = roots.get(e.key().root());
            if (rx.target == null || root == null || !FileStore.noLinksBetween(root.path(), rx.target)) {
                metrics.rejected(MirrorMetrics.UNSAFE_PATH);
                log.warn("mirror: {} sent {}, which would leave its root or pass through a link: refused", st.peer, e.key());
                rx.discard = MirrorMetrics.UNSAFE_PATH;
                return;
            }
            if (e.size() > limits.limits().fileSize()) {
                // never asked for (see offer): a peer that sends it anyway writes nothing here
                metrics.rejected(MirrorMetrics.FILE_TOO_LARGE);
                rx.discard = MirrorMetrics.FILE_TOO_LARGE;
                return;
            }
            Entry local = table.get(e.key());
            Resolution r = Resolution.of(local, e);
            if (!r.needsContent(local, e) || r == Resolution.KEEP_SAVE_REMOTE && conflictKept(e)) {
                rx.discard = "";
                rx.discardReason = "no longer needed";
                return;
            }
            rx.md = FileStore.sha256();
            rx.temp = FileStore.tempBeside(rx.target);
            if (e.size() <= SMALL_FILE) {
                rx.buffer = new byte[(int) e.size()];
                return;
            }
            try {
                rx.ch = FileStore.createTemp(rx.temp);
            } catch (IOException ex) {
                writeFailed(st, rx, ex);
            }
        });
    }

    public void fileData(InboundSession s, ByteBuf data) {
        int n = data.readableBytes();
        try {
            thread.execute(() -> {
                try {
                    if (closed) {
                        return;
                    }
                    InboundState.Session st = sessions.get(s);
                    Receiving rx = st == null ? null : st.rx;
                    if (rx == null || rx.discard != null) {
                        return;
                    }
                    if (rx.written + n > rx.entry.size()) {
                        mismatch(st, rx, "more bytes than its size, " + rx.entry.size());
                        return;
                    }
                    try {
                        rx.md.update(data.nioBuffer());
                        if (rx.buffer != null) {
                            data.readBytes(rx.buffer, (int) rx.written, n);
                        } else {
                            data.readBytes(rx.ch, rx.written, n);
                        }
                        rx.written += n;
                        progress(st);
                    } catch (IOException ex) {
                        writeFailed(st, rx, ex);
                    }
                } catch (RuntimeException ex) {
                    log.error("mirror: unexpected failure", ex);
                } finally {
                    data.release();
                    s.queued(-n, 0);
                }
            });
        } catch (RejectedExecutionException e) {
            data.release();
        }
    }

    public void fileEnd(InboundSession s) {
        exec(() -> {
            InboundState.Session st = sessions.get(s);
            if (st == null) {
                return;
            }
            Receiving rx = st.rx;
            st.rx = null;
            if (rx == null) {
                metrics.rejected(MirrorMetrics.BAD_FRAME);
                log.warn("mirror: {} ended a file it never began: closing the connection", st.peer);
                s.close();
                return;
            }
            if (rx.discard != null) {
                rx.closeAndDelete();
                fetchEnded(rx.entry.key(), rx.entry, rx.discard.isEmpty());
                return;
            }
            String hash = FileStore.hex(rx.md.digest());
            if (rx.written != rx.entry.size() || !hash.equals(rx.entry.hash())) {
                rx.discard = MirrorMetrics.HASH_MISMATCH;
                metrics.rejected(MirrorMetrics.HASH_MISMATCH);
                log.warn("mirror: {} from {}: {} bytes with SHA-256 {}, not the {} bytes and {} of version {}: dropped",
                        rx.entry.key(), st.peer, rx.written, hash, rx.entry.size(), rx.entry.hash(), rx.entry.label());
                rx.closeAndDelete();
                fetchEnded(rx.entry.key(), rx.entry, false);
                return;
            }
            // Written (small files), flushed and given their mode off this thread, renamed on it (see the class
            // comment): many small files are then written in parallel, and their flushes share journal commits.
            s.queued(0, 1);
            try {
                flusher.execute(() -> {
                    boolean flushed = rx.flush(ownership);
                    try {
                        thread.execute(() -> {
                            s.queued(0, -1);
                            if (closed) {
                                Receiving.deleteQuietly(rx.temp);
                                return;
                            }
                            try {
                                commit(st, rx, flushed);
                                afterTask();
                            } catch (RuntimeException ex) {
                                log.error("mirror: unexpected failure", ex);
                            }
                        });
                    } catch (RejectedExecutionException ex) {
                        Receiving.deleteQuietly(rx.temp);
                    }
                });
            } catch (RejectedExecutionException ex) {
                s.queued(0, -1);
                rx.closeAndDelete();
            }
        });
    }

    public void fileAbort(InboundSession s, EntryKey key, String reason) {
        exec(() -> {
            InboundState.Session st = sessions.get(s);
            if (st == null) {
                return;
            }
            Receiving rx = st.rx;
            if (rx != null && rx.entry.key().equals(key)) {
                st.rx = null;
                rx.closeAndDelete();
                log.debug("mirror: {} from {} not sent after all: {}", key, st.peer, reason);
                fetchEnded(key, rx.entry, false);
                return;
            }
            InboundState.Fetch f = book.fetch(key);
            if (f != null && f.from == st) {
                log.debug("mirror: {} from {} not sent: {}", key, st.peer, reason);
                fetchEnded(key, f.entry, false);
            }
        });
    }

    private void mismatch(InboundState.Session st, Receiving rx, String why) {
        rx.discard = MirrorMetrics.HASH_MISMATCH;
        metrics.rejected(MirrorMetrics.HASH_MISMATCH);
        log.warn("mirror: {} from {}: {}: dropped", rx.entry.key(), st.peer, why);
        rx.closeAndDelete();
    }

    private void writeFailed(InboundState.Session st, Receiving rx, IOException e) {
        rx.discard = MirrorMetrics.WRITE_FAILED;
        rx.closeAndDelete();
        refusals.refuse(String.valueOf(rx.target), MirrorMetrics.WRITE_FAILED, "cannot write it: " + e.getMessage(), st.peer);
    }

    private void dropReceiving(InboundState.Session st) {
        if (st.rx != null) {
            log.info("mirror: {} from {} interrupted: nothing of it is kept", st.rx.entry.key(), st.peer);
            st.rx.closeAndDelete();
            st.rx = null;
        }
    }

    /**
     * Applies a version that needs no content: a deletion, a new mode, the same content under the winning
     * version.
     */
    private void applyWithoutContent(InboundState.Session st, Entry e) {
        Path target = roots.pathOf(e.key());
        Roots.Root root = roots.get(e.key().root());
        boolean withoutHistory = table.get(e.key()) == null && noHistory.waiting(e.key());
        try {
            refreshBeforeApply(e.key(), target);
            Entry local = table.get(e.key());
            Resolution r = Resolution.of(local, e);
            if (r.needsContent(local, e) || r == Resolution.KEEP || r == Resolution.KEEP_SAVE_REMOTE) {
                // The file changed here meanwhile: the next offer decides again.
                return;
            }
            if (r == Resolution.ADOPT) {
                table.put(e, FileStore.stat(target), clock.millis());
                return;
            }
            if (e.deleted()) {
                if (e.key().equals(configKey)) {
                    refuseReceived(st, e, target, List.of(target + ": deleted by " + e.origin()
                            + " (expected: the config file; a config is not mirrored away)"));
                    return;
                }
                if (!FileStore.noLinksBetween(root.path(), target)) {
                    metrics.rejected(MirrorMetrics.UNSAFE_PATH);
                    return;
                }
                if (r == Resolution.TAKE_KEEP_LOCAL) {
                    keepLocalLoser(e.key(), target, local, e);
                }
                FileStore.delete(target, root.path());
                table.put(e, null, clock.millis());
                noHistory.settled(e.key());
                if (withoutHistory) {
                    log.info("mirror: {} has no version here and {} deleted it ({}): deleted", target, e.origin(), e.label());
                }
                metrics.deletionsReceived.increment();
                changedFiles.add(target);
                log.debug("mirror: {} deleted as {} did ({})", e.key(), e.origin(), e.label());
            } else if (e.isLink()) {
                String why = Symlinks.refusal(roots, target, e.link());
                if (why != null) {
                    refusals.refuse(target.toString(), MirrorMetrics.LINK_OUTSIDE, why, st.peer);
                    return;
                }
                if (r == Resolution.TAKE_KEEP_LOCAL) {
                    keepLocalLoser(e.key(), target, local, e);
                }
                Symlinks.apply(target, e.link(), e, ownership);
                FileStore.Stat s = FileStore.stat(target);
                table.put(e, s, clock.millis());
                if (s != null) {
                    installed.put(target, s);
                }
                refusals.clear(target.toString());
                changedFiles.add(target);
            } else {
                FileStore.Stat s = FileStore.stat(target);
                if (s != null && s.mode() != e.mode()) {
                    FileStore.chmod(target, e.mode());
                }
                if (s != null) {
                    ownership.apply(target, e);
                    s = FileStore.stat(target);
                }
                table.put(e, s, clock.millis());
                changedFiles.add(target);
            }
        } catch (IOException ex) {
            metrics.rejected(MirrorMetrics.WRITE_FAILED);
            log.warn("mirror: cannot apply {} from {} to {}: {}", e.label(), st.peer, target, ex.toString());
        }
    }

    /**
     * Before a version from a peer replaces what is on disk: an edit made here that the watcher has not yet
     * reported becomes a version first, so it competes (and is kept if it loses) instead of being overwritten.
     * Returns the content of an invalid config edit made here, which is no version but is not lost either.
     */
    private boolean refreshBeforeApply(EntryKey key, Path target) throws IOException {
        Refresh r = refreshFile(key, target, false);
        if (r == Refresh.CHANGING) {
            r = refreshFile(key, target, true);
        }
        return r == Refresh.REJECTED;
    }

    private void commit(InboundState.Session st, Receiving rx, boolean flushed) {
        Entry e = rx.entry;
        EntryKey key = e.key();
        if (!flushed) {
            refusals.refuse(String.valueOf(rx.target), MirrorMetrics.WRITE_FAILED, String.valueOf(rx.discardReason), st.peer);
            Receiving.deleteQuietly(rx.temp);
            fetchEnded(key, e, false);
            return;
        }
        Path target = rx.target;
        try {
            boolean invalidHere = refreshBeforeApply(key, target);
            Entry local = table.get(key);
            Path keep = target.resolveSibling(e.conflictName(target.getFileName().toString()));
            CommitPlan.Plan plan = CommitPlan.of(Resolution.of(local, e), Files.exists(keep, LinkOption.NOFOLLOW_LINKS),
                    invalidHere, Files.exists(target, LinkOption.NOFOLLOW_LINKS),
                    local == null && noHistory.waiting(key) && Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
                            && !FileStore.hash(target).equals(e.hash()));
            switch (plan.step()) {
                case DISCARD -> Receiving.deleteQuietly(rx.temp);
                case ADOPT -> {
                    Receiving.deleteQuietly(rx.temp);
                    table.put(e, FileStore.stat(target), clock.millis());
                }
                case CONFLICT_ALREADY_KEPT -> {
                    Receiving.deleteQuietly(rx.temp);
                    conflict(key, keep, e, local);
                }
                case SAVE_AS_CONFLICT -> {
                    FileStore.commit(rx.temp, keep, e.mode());
                    conflict(key, keep, e, local);
                }
                case INSTALL -> {
                    if (key.equals(configKey)) {
                        List<String> problems = validate(target, Files.readAllBytes(rx.temp));
                        if (!problems.isEmpty()) {
                            park(st, rx, problems);
                            return;
                        }
                    }
                    // A certificate or key is written only with a pair that passes, both halves together.
                    CertificatePairs.Received<HeldHalf> unit = certificates == null || key.equals(configKey) ? null
                            : certificates.received(target, rx.temp, new HeldHalf(st, rx), st.peer);
                    if (unit != null && unit.action() != CertificatePairs.Action.INSTALL) {
                        if (unit.action() == CertificatePairs.Action.REFUSE) {
                            Receiving.deleteQuietly(rx.temp);
                            Receiving.deleteQuietly(unit.partner().rx().temp);
                        }
                        fetchEnded(key, e, true);
                        return;
                    }
                    switch (plan.keep()) {
                        case INVALID_EDIT -> {
                            // the invalid edit made here is no version, but it is not lost either
                            keepLocalLoser(key, target, Entry.edit(key, local, node, clock.millis(), FileStore.hash(target),
                                    FileStore.stat(target).mode(), Files.size(target)), e);
                            configVerdicts.localSettled();
                        }
                        case LOSER -> keepLocalLoser(key, target, local, e);
                        // a file with no version, another content than the cluster's: the cluster's wins, this is kept
                        case WITHOUT_HISTORY -> keepLocalLoser(key, target, Entry.edit(key, null, node, clock.millis(),
                                FileStore.hash(target), FileStore.stat(target).mode(), Files.size(target)), e);
                        case NONE -> {
                            // nothing here to keep
                        }
                    }
                    install(st, rx, e, target);
                    if (unit != null && unit.partner() != null) {
                        HeldHalf h = unit.partner();
                        install(h.st(), h.rx(), h.rx().entry, h.rx().target);
                    }
                }
            }
            fetchEnded(key, e, true);
        } catch (IOException ex) {
            metrics.rejected(MirrorMetrics.WRITE_FAILED);
            log.warn("mirror: cannot apply {} of {} from {}: {}", e.label(), target, st.peer, ex.toString());
            Receiving.deleteQuietly(rx.temp);
            fetchEnded(key, e, false);
        }
    }

    /** Renames the received file into place and records it. */
    private void install(InboundState.Session st, Receiving rx, Entry e, Path target) throws IOException {
        Files.move(rx.temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        dirsToSync.add(target.getParent());
        FileStore.Stat s = FileStore.stat(target);
        // The content is known (its hash checked as it was written) and the stat taken after the rename: only
        // an edit after that could differ, and it moves the stat (or the watcher reports it). So the file is not
        // "racy" for the next scan, which would otherwise hash every file a sync just wrote once more.
        long known = s == null ? clock.millis() : Math.max(clock.millis(), s.mtimeNanos() / 1_000_000 + RACY_MILLIS + 1);
        table.put(e, s, known);
        if (s != null && installed.size() < 100_000) {
            installed.put(target, s);
        }
        noHistory.settled(e.key());
        metrics.filesReceived.increment();
        metrics.bytesReceived.increment(e.size());
        refusals.clear(target.toString());
        if (guard.held(e.key()) && guard.back(e.key())) {
            log.info("mirror: every file of the held deletion of {} is back: the hold ends", roots.get(e.key().root()).path());
        }
        configVerdicts.installed(e.key().equals(configKey));
        if (e.key().equals(configKey)) {
            InboundState.Parked p = book.parked();
            if (p != null && p.rx.entry.key().equals(e.key())) {
                Receiving.deleteQuietly(book.unpark().rx.temp);
            }
            // (Its directory is flushed with the round's, after the reload is asked for: a reader already sees it.)
            log.info("mirror: {} from {}: config version {} in place", target, st.peer, e.label());
            notifyConfig(target, "from " + st.peer);
        } else {
            changedFiles.add(target);
            log.debug("mirror: {} from {}: version {} in place", target, st.peer, e.label());
            retryParked();
        }
    }

    private void keepLocalLoser(EntryKey key, Path target, Entry loser, Entry winner) throws IOException {
        if (loser == null || loser.deleted() || !Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path keep = target.resolveSibling(loser.conflictName(target.getFileName().toString()));
        FileStore.keepBeside(target, keep);
        conflict(key, keep, loser, winner);
    }

    private void conflict(EntryKey key, Path keptAs, Entry loser, Entry winner) {
        table.addConflict(new Conflict(key, keptAs, loser, winner == null ? "-" : winner.label(), clock.millis()));
        metrics.conflicts.increment();
        log.warn("mirror: concurrent edits of {}: version {} wins, {} is kept as {}", key,
                winner == null ? "-" : winner.label(), loser.label(), keptAs);
        EntryKey k = roots.keyOf(keptAs);
        if (k != null) {
            // A conflict copy inside a mirrored directory is mirrored like any file: record it now.
            try {
                refreshFile(k, keptAs, true);
            } catch (IOException e) {
                log.debug("mirror: cannot read {}: {}", keptAs, e.toString());
            }
        }
        statusDirty = true;
    }

    /** A received config that does not validate waits for the rest of what is being received. */
    private void park(InboundState.Session st, Receiving rx, List<String> problems) {
        InboundState.Parked before = book.park(st, rx, problems);
        if (before != null) {
            Receiving.deleteQuietly(before.rx.temp);
        }
        fetchEnded(rx.entry.key(), rx.entry, true);
    }

    private void retryParked() {
        InboundState.Parked p = book.parked();
        if (p == null) {
            return;
        }
        try {
            List<String> problems = validate(p.rx.target, Files.readAllBytes(p.rx.temp));
            if (problems.isEmpty()) {
                book.unpark();
                commit(p.from, p.rx, true);
            } else {
                p.errors = problems;
            }
        } catch (IOException e) {
            book.unpark();
            Receiving.deleteQuietly(p.rx.temp);
        }
    }

    private void refuseParked() {
        InboundState.Parked p = book.unpark();
        Receiving.deleteQuietly(p.rx.temp);
        refuseReceived(p.from, p.rx.entry, p.rx.target, p.errors);
    }

    private void refuseReceived(InboundState.Session st, Entry e, Path target, List<String> problems) {
        configVerdicts.refuseReceived(e.key(), target.toString(), e.hash(), problems, st.peer);
        metrics.rejected(MirrorMetrics.INVALID_CONFIG_RECEIVED);
        statusDirty = true;
        Entry current = table.get(e.key());
        log.warn("mirror: config version {} from {} does not validate here: refused; version {} stays in force:",
                e.label(), st.peer, current == null ? "-" : current.label());
        problems.forEach(p -> log.warn("{}", p));
    }

    /**
     * A wanted version arrived (or will not): another connection that offered it is asked instead if it
     * failed; the rounds waiting on it move on.
     */
    private void fetchEnded(EntryKey key, Entry entry, boolean ok) {
        RoundBook.Ended ended = book.ended(key, entry, ok);
        if (ended instanceof RoundBook.Retry retry) {
            retry.from().session.want(List.of(new Messages.Wanted(key, entry.version(), entry.origin())));
            return;
        }
        if (!(ended instanceof RoundBook.Settled settled)) {
            return;
        }
        limits.settled(key);
        progress(settled.counted());
        for (InboundState.Session st : new ArrayList<>(book.sessions())) {
            book.ready(st).forEach(this::roundReady);
        }
        if (book.parkedDue(null)) {
            retryParked();
            if (book.parked() != null) {
                refuseParked();
            }
        }
        if (book.idle() && certificates != null && certificates.holding()) {
            certificates.roundOver();
        }
    }

    /** A round whose files have all arrived: its links applied, the directories flushed, then the peer told. */
    private void roundReady(RoundBook.Ready r) {
        InboundState.Session st = r.session();
        r.links().forEach(e -> applyWithoutContent(st, e));
        syncDirs();
        batchInPlace();
        st.session.done(r.round());
        if (r.firstFull()) {
            if (!gate.inDone(st.peer)) {
                log.info("mirror: this node has everything of {}", st.peer);
            }
            firstSyncOver(gate.hasAllOf(st.peer));
        }
        if (r.completeMillis() >= 0) {
            log.info("mirror: sync from {} complete: {} files, {} in {} ms", st.peer, st.filesTotal,
                    Receiving.size(st.bytesTotal), r.completeMillis());
        }
    }

    /** Progress of a sync (files done, and bytes of those plus of the file under way) in the log and status. */
    private void progress(InboundState.Session st) {
        if (book.progressDue(st)) {
            log.info("mirror: receiving from {}: {}/{} files, {}/{}", st.peer, st.filesDone, st.filesTotal,
                    Receiving.size(st.bytesDoneNow()), Receiving.size(st.bytesTotal));
        }
        statusDirty = true;
    }

    // ------------------------------------------------------------------ durability, state, status

    /** Flushes the directories of renamed files: a rename is durable only then. */
    private void syncDirs() {
        if (dirsToSync.isEmpty()) {
            return;
        }
        List<Path> dirs = new ArrayList<>(dirsToSync);
        dirsToSync.clear();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Path d : dirs) {
            all.add(CompletableFuture.runAsync(() -> {
                try {
                    FileStore.fsyncDirectory(d);
                } catch (IOException e) {
                    log.warn("mirror: cannot flush {}: {}", d, e.toString());
                }
            }, flusher));
        }
        try {
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("mirror: flushing directories: {}", e.toString());
        }
    }

    private void schedulePersist() {
        if (persistTimer == null || persistTimer.isDone()) {
            persistTimer = thread.schedule(() -> exec(this::persistNow), PERSIST_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Writes the state file, once the renames it records are durable: the table is taken here, the directories
     * are flushed and the file written on the state writer, so that a slow disk (a flush waits for everything
     * else the file system has to write) does not hold up this thread and the edits behind it.
     */
    private void persistNow() {
        if (table.changes() == savedChanges && dirsToSync.isEmpty()) {
            return;
        }
        List<Path> dirs = new ArrayList<>(dirsToSync);
        dirsToSync.clear();
        byte[] content = table.changes() == savedChanges ? null : stateFile.render(table);
        savedChanges = table.changes();
        try {
            stateWriter.execute(() -> {
                for (Path d : dirs) {
                    try {
                        FileStore.fsyncDirectory(d);
                    } catch (IOException e) {
                        log.warn("mirror: cannot flush {}: {}", d, e.toString());
                    }
                }
                if (content == null) {
                    return;
                }
                try {
                    stateFile.write(content);
                } catch (IOException e) {
                    log.warn("mirror: cannot write {}: {}", stateFile.path(), e.toString());
                    exec(() -> {
                        savedChanges = -1;
                        schedulePersist();
                    });
                }
            });
        } catch (RejectedExecutionException e) {
            // halted
        }
    }

    private void publishIfDirty() {
        if (summaryDirty) {
            summaryDirty = false;
            Map<String, MirrorTable.RootDigest> digests = new LinkedHashMap<>();
            for (Roots.Root r : roots.all()) {
                digests.put(r.id(), table.digest(r.id()));
            }
            Messages.Summary s = new Messages.Summary(boot, generation.incrementAndGet(), digests);
            latestSummary = s;
            for (SyncGate.Peer p : gate.peers()) {
                PeerLink link = links.get(p.name);
                if (link != null && p.sending) {
                    link.summary(s);
                }
            }
            gate.updateAll(digests);
            for (InboundState.Session st : sessions.values()) {
                st.session.summary(s);
            }
            statusDirty = true;
        }
        if (refusals.changedSinceLast()) {
            statusDirty = true;
        }
        if (certificates != null && !certificates.held().equals(pairsPublished)) {
            // (held or let go on a recheck that changed no version)
            statusDirty = true;
        }
        if (statusDirty) {
            statusDirty = false;
            updateBehind();
            published = snapshot();
        }
    }

    /** The status as of the last change (at most {@link #PUBLISH_EVERY} old); never waits. */
    public MirrorStatus status() {
        MirrorStatus s = published;
        return s != null ? s : new MirrorStatus(node, null, List.of(), List.of(), List.of(), null, null);
    }

    /** Publishes the status now (tests, and the end of a sync); waits for the engine's thread. */
    public MirrorStatus statusNow() {
        try {
            return call(() -> {
                summaryDirty = true;
                statusDirty = true;
                publishIfDirty();
                return published;
            }).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            return status();
        }
    }

    private MirrorStatus snapshot() {
        pairsPublished = certificates == null ? List.of() : certificates.held();
        return StatusView.render(new StatusView.Input(node, firstSync.getNow(null), roots, table, gate, guard, book.progress(),
                configVerdicts.rejected(), configVerdicts.refused(), refusals.list(), pairsPublished, clock.millis()));
    }

    /** The version of {@code key} here (tests). */
    public Entry entry(EntryKey key) {
        try {
            return call(() -> table.get(key)).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs a scan of every path now, as the periodic one does (tests, benchmarks). */
    public CompletableFuture<Void> scanNow() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        exec(() -> {
            periodicScan();
            f.complete(null);
        });
        return f;
    }
}
