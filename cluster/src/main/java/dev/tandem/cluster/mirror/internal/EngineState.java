package dev.tandem.cluster.mirror.internal;

import dev.tandem.cluster.mirror.ConfigValidator;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the engine knows, kept on its thread (so it needs no lock): the table of versions, the pure deciders
 * ({@link SyncGate}, {@link DeletionGuard} with {@link Deletions}, {@link RoundBook}, {@link NoHistory},
 * {@link ConfigVerdicts}, {@link RootLimits}, {@link Refusals}), and what one task leaves for the end of it (the
 * versions to offer, the files to report, whether the status is stale). The {@link MirrorCore}'s parts
 * ({@link LocalChanges}, {@link PeerOffers}, {@link HeldDeletions}, {@link Arrivals}) and the driver's ({@link InboundSessions},
 * {@link Receiver}, {@link Applier}, {@link StatusPublisher}, {@link Durability}) share it.
 */
final class EngineState {

    private static final Logger log = LoggerFactory.getLogger(EngineState.class);
    static final java.time.Duration PROGRESS_LOG_EVERY = java.time.Duration.ofSeconds(5);

    final String node;
    final Roots roots;
    final StateFile stateFile;
    /** The key of the running config file, or null when it is not mirrored. */
    final EntryKey configKey;
    final ConfigValidator validator;
    final MirrorEngine.Events events;
    final MirrorMetrics metrics;
    final Ownership ownership = Ownership.ofThisProcess();
    final RootLimits limits;
    final Refusals refusals;
    final Clock clock;
    final long boot;
    final boolean hasPeers;

    MirrorTable table = new MirrorTable();
    boolean started;
    boolean closed;
    /** Versions of this node found in this task, offered to every peer at its end. */
    final List<Entry> outgoing = new ArrayList<>();
    /** Files written or deleted in this task, reported to the node at its end. */
    final List<Path> changedFiles = new ArrayList<>();
    /** The config file, when an edit of it made here became a version in this task (reloaded after the offer). */
    Path configEditedHere;
    /** Files were reported changed since the last {@link MirrorEngine.Events#batchInPlace}. */
    boolean changedSinceBatch;
    /** Directories of files renamed into place, flushed before the state file records them. */
    final Set<Path> dirsToSync = new HashSet<>();
    /** Files this engine renamed into place, with their stat then: the watcher's event for them is no edit. */
    final Map<Path, FileStore.Stat> installed = new HashMap<>();
    final Map<InboundSession, InboundState.Session> sessions = new LinkedHashMap<>();
    /** What the sessions offered: the versions asked for, the rounds waiting, the parked config, the progress. */
    final RoundBook book = new RoundBook(this::nanos, InboundState.Session::open, PROGRESS_LOG_EVERY.toNanos());
    /** The links this node dials to send to each peer (null until attached). */
    final Map<String, PeerLink> links = new LinkedHashMap<>();
    final SyncGate gate;
    final DeletionGuard guard;
    /** Deletions found here in this task, and a peer's round's, judged by the guard before any goes. */
    final Deletions deletions;
    /** Files found here without a version while this node has no record of versions (see {@link NoHistory}). */
    NoHistory noHistory = new NoHistory(false);
    final ConfigVerdicts configVerdicts;
    boolean statusDirty = true;
    boolean summaryDirty = true;
    /** Certificates and keys kept one unit; null when no check was given. */
    CertificateFiles<Arrivals.HeldHalf> certificates;
    final CompletableFuture<String> firstSync = new CompletableFuture<>();
    /** Monotonic nanoseconds for durations: System::nanoTime, or the test's. */
    private final java.util.function.LongSupplier ticker;

    EngineState(String node, Roots roots, StateFile stateFile, EntryKey configKey, ConfigValidator validator,
                MirrorEngine.Events events, MirrorMetrics metrics, Clock clock,
                java.util.function.LongSupplier ticker, RootLimits limits,
                DeletionGuard.Limits guardLimits, List<String> peers) {
        this.ticker = ticker;
        this.node = node;
        this.roots = roots;
        this.stateFile = stateFile;
        this.configKey = configKey;
        this.validator = validator;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
        this.limits = limits;
        this.refusals = new Refusals(metrics, clock);
        this.boot = clock.millis();
        this.hasPeers = !peers.isEmpty();
        this.gate = new SyncGate(peers, clock::millis);
        this.guard = new DeletionGuard(guardLimits, clock::millis);
        this.deletions = new Deletions(guard);
        this.configVerdicts = new ConfigVerdicts(node, clock);
        peers.forEach(p -> links.put(p, null));
    }

    /**
     * The engine's time for durations (the debounce, a sync's progress and its length): a monotonic ticker given
     * beside the wall clock, so a test moves it and a wall clock stepped back or forward never stretches or cuts
     * a debounce.
     */
    long nanos() {
        return ticker.getAsLong();
    }

    void notifyConfig(Path path, String cause) {
        try {
            events.configChanged(path, cause);
        } catch (RuntimeException e) {
            log.warn("mirror: config-changed listener failed", e);
        }
    }

    /**
     * A round is complete: files that go together (a certificate and its key) are all in place now, and the
     * node may read them again as a whole rather than one at a time.
     */
    void batchInPlace() {
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

    /** Tells the node of the files written or deleted since it was last told. */
    void deliverChangedFiles() {
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

    /** Key order, the config file last: the files it names (certificates) arrive before it is validated. */
    List<Entry> ordered(Collection<Entry> entries) {
        List<Entry> out = new ArrayList<>(entries);
        out.sort((a, b) -> {
            boolean ca = a.key().equals(configKey);
            boolean cb = b.key().equals(configKey);
            return ca != cb ? (ca ? 1 : -1) : a.key().compareTo(b.key());
        });
        return out;
    }

    /** This node's digest of every root, as the summaries compare them. */
    Map<String, MirrorTable.RootDigest> digests() {
        Map<String, MirrorTable.RootDigest> d = new LinkedHashMap<>();
        for (Roots.Root r : roots.all()) {
            d.put(r.id(), table.digest(r.id()));
        }
        return d;
    }

    boolean conflictKept(Entry loser) {
        for (Conflict c : table.conflicts()) {
            if (c.key().equals(loser.key()) && c.loser().sameVersion(loser)) {
                return true;
            }
        }
        return false;
    }

    void held(String root, String from) {
        DeletionGuard.Hold h = guard.hold(root);
        metrics.deletionsHeld.increment();
        statusDirty = true;
        log.warn("mirror: {} of the {} file(s) of {} deleted at once {}: held, nothing sent or applied (an unmounted"
                        + " disk or a failed restore looks like this); 'tandem mirror confirm {}' lets it go ahead,"
                        + " 'tandem mirror restore {}' fetches the files back from the peers",
                h.keys.size(), h.filesThen, roots.get(root).path(), "here".equals(from) ? "here" : "by " + from,
                roots.get(root).path(), roots.get(root).path());
    }

    void firstSyncOver(String outcome) {
        if (outcome != null && firstSync.complete(outcome)) {
            log.info("mirror: first sync: {}", outcome);
            statusDirty = true;
        }
    }

    InboundState.Session sessionOf(String peer) {
        for (InboundState.Session st : sessions.values()) {
            if (st.peer.equals(peer)) {
                return st;
            }
        }
        return null;
    }

    /** The root of {@code name} (its id, or its path as configured). */
    Roots.Root rootNamed(String name) {
        for (Roots.Root r : roots.all()) {
            if (r.id().equals(name) || r.path().toString().equals(name)
                    || r.path().equals(Path.of(name).toAbsolutePath().normalize())) {
                return r;
            }
        }
        return null;
    }
}
