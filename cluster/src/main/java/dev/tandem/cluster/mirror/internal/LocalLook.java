package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A look at one file here, and what it makes of it: the engine's own install, a deletion (left to the guard), or
 * a new version of this node. The order of the checks is here: {@link LocalScan#look} on the stat, then links
 * ({@link LocalLinks}), limits ({@link LocalLimits}), the config check ({@link ConfigVerdicts}), certificate pairs
 * ({@link CertificatePairs}), and {@link LocalScan#content} on the hash; what each decides is in those classes.
 * Runs on the engine's thread.
 */
final class LocalLook {

    private static final Logger log = LoggerFactory.getLogger(LocalLook.class);

    /** A config file larger than this is no config: refused without reading it. */
    static final int MAX_CONFIG_BYTES = 16 * 1024 * 1024;

    private final EngineState state;
    private final EngineThread threads;
    /** Looks at a path again, as a file event would (a certificate half waiting for its other half). */
    private final Consumer<Path> recheck;

    LocalLook(EngineState state, EngineThread threads, Consumer<Path> recheck) {
        this.state = state;
        this.threads = threads;
        this.recheck = recheck;
    }

    enum Refresh { UNCHANGED, CHANGED, CHANGING, REJECTED }

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
            log.info("mirror: every file of the held deletion of {} is back: the hold ends",
                    state.roots.get(key.root()).path());
            state.statusDirty = true;
        }
        if (LocalScan.statUnchanged(facts)) {
            return Refresh.UNCHANGED;
        }
        if (s.link()) {
            Entry e = LocalLinks.look(state.roots, state.refusals, state.ownership, state.table, key, path, s,
                    state.node, now);
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
        boolean ownersMoved = l != null && state.ownership.changed(s, l.stat());
        LocalScan.Content seen = LocalScan.content(facts, hash, after, ownersMoved);
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
            threads.loop.schedule(() -> recheck.accept(path), wait.toMillis(), TimeUnit.MILLISECONDS);
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
}
