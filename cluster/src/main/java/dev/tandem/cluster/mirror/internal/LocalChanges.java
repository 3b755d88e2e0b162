package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What changed on this node's disk: the watcher's events and the periodic scans mark paths; once a burst has
 * been quiet for the debounce time (see {@link LocalScan#debounceNanos}), each marked file is looked at. The
 * order of the checks is here ({@link LocalScan} for the stat, then links, limits, the config check and the
 * certificate pairs, then {@link LocalScan#content}); what they decide is in those pure classes. A file whose
 * stat moved while it was read is still being written, and waits for the next turn; a new content becomes a
 * new version of this node in {@link EngineState#outgoing}. Runs on the engine's thread.
 */
final class LocalChanges {

    private static final Logger log = LoggerFactory.getLogger(LocalChanges.class);

    /** A config file larger than this is no config: refused without reading it. */
    static final int MAX_CONFIG_BYTES = 16 * 1024 * 1024;

    private final EngineState state;
    private final EngineThread threads;
    private final Duration debounce;
    private final java.util.function.Predicate<Roots.Root> mounted;
    private final Set<Path> dirty = new HashSet<>();
    private boolean rescanAll;
    private long firstDirtyAt;
    private ScheduledFuture<?> dirtyTimer;
    /** Roots that must be mount points and were found not to be (logged once). */
    private final Set<String> unmountedLogged = new HashSet<>();

    LocalChanges(EngineState state, EngineThread threads, Duration debounce,
                 java.util.function.Predicate<Roots.Root> mounted) {
        this.state = state;
        this.threads = threads;
        this.debounce = debounce;
        this.mounted = mounted;
    }

    enum Refresh { UNCHANGED, CHANGED, CHANGING, REJECTED }

    /** From the watcher: paths touched; debounced here. */
    void touched(Set<Path> paths, boolean overflow) {
        if (dirty.isEmpty() && !rescanAll) {
            firstDirtyAt = System.nanoTime();
        }
        dirty.addAll(paths);
        rescanAll |= overflow;
        armDirty();
    }

    /**
     * Waits for the burst to be quiet for the debounce time, but not longer than ten times that (at least a
     * second) since its first event, so that a path changing all the time does not hold back the others.
     */
    void armDirty() {
        if (dirtyTimer != null) {
            dirtyTimer.cancel(false);
        }
        long wait = LocalScan.debounceNanos(debounce.toNanos(), firstDirtyAt, System.nanoTime());
        dirtyTimer = threads.loop.schedule(() -> threads.exec(this::processDirty), wait, TimeUnit.NANOSECONDS);
    }

    void processDirty() {
        dirtyTimer = null;
        if (!state.started) {
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
            EntryKey key = state.roots.keyOf(p);
            if (key == null || FileStore.isTemp(p.getFileName().toString()) || !mountedNow(state.roots.get(key.root()))) {
                continue;
            }
            try {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    scanTree(key, p, false, again);
                } else if (refreshFile(key, p, true) == Refresh.CHANGING) {
                    again.add(p);
                } else {
                    // a directory that went away: everything that was under it
                    for (MirrorTable.Local l : new ArrayList<>(state.table.under(key).values())) {
                        if (LocalScan.underGone(key, l.entry())) {
                            Path lp = state.roots.pathOf(l.entry().key());
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

    void periodicScan() {
        state.installed.clear();
        scanAll(false);
        for (PeerLink link : state.links.values()) {
            if (link != null) {
                link.offerAll(state.ordered(state.table.entries()));
            }
        }
        // Conflict files the operator removed are no longer reported.
        for (Conflict c : new ArrayList<>(state.table.conflicts())) {
            if (!Files.exists(c.keptAs(), LinkOption.NOFOLLOW_LINKS)) {
                state.table.removeConflict(c);
            }
        }
    }

    void scanAll(boolean removeTemps) {
        for (Roots.Root r : state.roots.all()) {
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
    void scanTree(EntryKey key, Path dir, boolean removeTemps, Set<Path> again) throws IOException {
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
                EntryKey k = visit == LocalScan.Visit.LOOK ? state.roots.keyOf(file) : null;
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
        for (MirrorTable.Local l : new ArrayList<>(state.table.under(key).values())) {
            Entry e = l.entry();
            if (LocalScan.unseen(e, seen)) {
                Path p = state.roots.pathOf(e.key());
                if (p != null) {
                    refreshFile(e.key(), p, false);
                }
            }
        }
    }

    /**
     * Looks at the file of {@code key} and records a local edit if its content (or mode, or existence)
     * differs from the version recorded.
     *
     * @param force hash even when the stat says nothing changed (a file event came for it)
     */
    Refresh refreshFile(EntryKey key, Path path, boolean force) throws IOException {
        FileStore.Stat s = FileStore.stat(path);
        MirrorTable.Local l = state.table.local(key);
        long now = state.clock.millis();
        FileStore.Stat mine = state.installed.remove(path);
        boolean config = key.equals(state.configKey);
        // The root's directory is looked at only when the decision needs it (a recorded file gone).
        boolean rootPresent = s != null || l == null || l.entry().deleted() || key.rel().isEmpty()
                || Files.isDirectory(state.roots.get(key.root()).path());
        LocalScan.Facts facts = new LocalScan.Facts(key, s, mine, l == null ? null : l.entry(),
                l == null ? null : l.stat(), l == null ? 0 : l.hashedAt(), force, rootPresent, config, now);
        switch (LocalScan.look(facts)) {
            case OWN_INSTALL, ROOT_GONE -> {
                return Refresh.UNCHANGED;
            }
            case NOTHING_GONE -> {
                state.noHistory.settled(key);
                return Refresh.UNCHANGED;
            }
            case CONFIG_GONE -> {
                rejectLocal(path, "", List.of(path + ": deleted (expected: the config file; it is not mirrored away)"));
                return Refresh.REJECTED;
            }
            case DELETED -> {
                // Judged with the task's other deletions (see judgeDeletions) before it is recorded or sent.
                state.deletions.found(key, LocalScan.deletion(facts, state.node));
                return Refresh.CHANGED;
            }
            case PRESENT -> {
            }
        }
        state.deletions.notGone(key);
        if (l == null && state.noHistory.hold(key)) {
            // no version, and this node has no history: the peers' versions decide (see NoHistory)
            return Refresh.UNCHANGED;
        }
        if (state.guard.held(key) && state.guard.back(key)) {
            log.info("mirror: every file of the held deletion of {} is back: the hold ends", state.roots.get(key.root()).path());
            state.statusDirty = true;
        }
        if (LocalScan.statUnchanged(facts)) {
            return Refresh.UNCHANGED;
        }
        if (s.link()) {
            Entry e = LocalLinks.look(state.roots, state.refusals, state.ownership, state.table, key, path, s, state.node, now);
            if (e == null) {
                return Refresh.UNCHANGED;
            }
            state.table.put(e, s, now);
            state.outgoing.add(e);
            return Refresh.CHANGED;
        }
        if (LocalLimits.refused(state.limits, state.refusals, state.table, key, path, s)) {
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
        LocalScan.Content seen = LocalScan.content(facts, hash, after, l != null && state.ownership.changed(s, l.stat()));
        if (seen == LocalScan.Content.CHANGING) {
            return Refresh.CHANGING;
        }
        if (seen == LocalScan.Content.SAME) {
            state.table.restat(key, s, now);
            if (config && state.configVerdicts.localSettled()) {
                log.info("mirror: {} is back to config version {}: the rejected edit is gone", path, l.entry().label());
                state.statusDirty = true;
            }
            return Refresh.UNCHANGED;
        }
        if (config) {
            if (state.configVerdicts.rejectedBefore(hash)) {
                return Refresh.REJECTED;
            }
            List<String> problems = validate(path, content);
            if (!problems.isEmpty()) {
                rejectLocal(path, hash, problems);
                return Refresh.REJECTED;
            }
            if (state.configVerdicts.localSettled()) {
                state.statusDirty = true;
            }
        }
        // A certificate or key goes only with a pair that passes the check, and with its other half.
        CertificatePairs.Local pair = state.certificates == null || config ? CertificatePairs.Local.NOT_A_PAIR
                : state.certificates.local(path);
        if (pair.held()) {
            if (pair.recheckIn() != null) {
                recheckLater(path, pair.recheckIn());
            }
            return Refresh.UNCHANGED;
        }
        String[] owners = state.ownership.namesForEdit(path, l == null ? null : l.entry());
        Entry e = LocalScan.edit(facts, state.node, hash, owners[0], owners[1]);
        state.table.put(e, s, now);
        state.outgoing.add(e);
        if (config && state.started) {
            // (At start the node has just loaded the file: nothing to reload.) Asked for once the edit is offered.
            state.configEditedHere = path;
        }
        EntryKey otherHalf = pair.partner() == null ? null : state.roots.keyOf(pair.partner());
        if (otherHalf != null) {
            refreshFile(otherHalf, pair.partner(), true);
        }
        return Refresh.CHANGED;
    }

    /** Looks at {@code path} again after {@code wait} (a certificate half waiting for its other half). */
    void recheckLater(Path path, Duration wait) {
        try {
            threads.loop.schedule(() -> threads.exec(() -> touched(Set.of(path), false)), wait.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException ex) {
            // stopping
        }
    }

    List<String> validate(Path path, byte[] content) {
        try {
            return state.validator == null ? List.of() : state.validator.problems(path, content);
        } catch (RuntimeException e) {
            log.error("mirror: the config check failed on {}", path, e);
            return List.of(path + ": the check failed: " + e);
        }
    }

    void rejectLocal(Path path, String hash, List<String> problems) {
        if (!state.configVerdicts.rejectLocal(path.toString(), hash, problems)) {
            return;
        }
        state.statusDirty = true;
        state.metrics.rejected(MirrorMetrics.INVALID_CONFIG);
        Entry current = state.table.get(state.configKey);
        log.warn("mirror: {} edited here does not validate: not sent, not applied; config version {} stays in force:",
                path, current == null ? "-" : current.label());
        problems.forEach(p -> log.warn("{}", p));
    }

    /**
     * The deletions this task found here, per root, go through the guard: the usual ones are recorded and
     * offered; a mass deletion is held (no version, nothing sent) until an operator confirms it.
     */
    void judgeDeletions() {
        long now = state.clock.millis();
        for (Deletions.Command c : state.deletions.judgeFound(root -> state.table.digest(root).files())) {
            if (c instanceof Deletions.Record r) {
                state.table.put(r.deletion(), null, now);
                state.outgoing.add(r.deletion());
            } else if (c instanceof Deletions.Held h) {
                state.held(h.root(), h.from());
            }
        }
    }

    boolean mountedNow(Roots.Root r) {
        boolean m = r != null && mounted.test(r);
        if (!m && r != null && unmountedLogged.add(r.id())) {
            log.warn("mirror: {} is not a mount point (require_mount): not scanned until it is", r.path());
            state.statusDirty = true;
        } else if (m && r != null && unmountedLogged.remove(r.id())) {
            log.info("mirror: {} is a mount point again: scanned", r.path());
        }
        return m;
    }
}
