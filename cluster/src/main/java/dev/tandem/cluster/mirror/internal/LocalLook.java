package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A look at one file here, and what it makes of it: the engine's own install, a deletion (left to the guard), or
 * a new version of this node. This gathers the facts (the stat, the link's target, the hash, the config's check,
 * the certificate pair's) and carries the verdicts out; the decisions are {@link LocalScan}'s on the stat and the
 * hash, and {@link EditChecks}'s on links, limits, the config and certificate pairs, in that order. Part of the
 * {@link MirrorCore}: the facts come from its {@link Disk}, a look later is a {@link Command.ArmTimer}.
 */
final class LocalLook {

    private static final Logger log = LoggerFactory.getLogger(LocalLook.class);

    private final EngineState state;
    private final Disk disk;
    private final Consumer<Command> out;

    LocalLook(EngineState state, Disk disk, Consumer<Command> out) {
        this.state = state;
        this.disk = disk;
        this.out = out;
    }

    enum Refresh { UNCHANGED, CHANGED, CHANGING, REJECTED }

    /**
     * Looks at the file of {@code key} and records a local edit if its content (or mode, or existence)
     * differs from the version recorded.
     *
     * @param force hash even when the stat says nothing changed (a file event came for it)
     */
    Refresh refreshFile(EntryKey key, Path path, boolean force) throws IOException {
        FileStore.Stat s = disk.stat(path);
        MirrorTable.Local l = state.table.local(key);
        long now = state.clock.millis();
        FileStore.Stat mine = state.installed.remove(path);
        boolean config = key.equals(state.configKey);
        // The root's directory is looked at only when the decision needs it (a recorded file gone).
        boolean rootPresent = s != null || l == null || l.entry().deleted() || key.rel().isEmpty()
                || disk.directory(state.roots.get(key.root()).path(), true);
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
        RootLimits.Over over = s.link() ? null
                : state.limits.check(key, s.size(), state.table.get(key), state.table.usage(key.root()));
        byte[] content = null;
        String hash;
        switch (EditChecks.beforeRead(s.link(), over != null, config, s.size())) {
            case LINK -> {
                return link(key, path, s, l, now);
            }
            case OVER_LIMIT -> {
                // not even read: a file over the size limit may be huge
                state.refusals.refuse(path.toString(), over.reason(), over.detail(), null);
                return Refresh.REJECTED;
            }
            case CONFIG_TOO_LARGE -> {
                state.refusals.clear(path.toString());
                rejectLocal(path, "", List.of(EditChecks.configTooLarge(path, s.size())));
                return Refresh.REJECTED;
            }
            case READ_CONFIG -> {
                state.refusals.clear(path.toString());
                content = disk.read(path);
                hash = FileStore.hex(FileStore.sha256().digest(content));
            }
            case HASH -> {
                state.refusals.clear(path.toString());
                hash = disk.hash(path);
            }
            default -> throw new IllegalStateException();
        }
        FileStore.Stat after = disk.stat(path);
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
        byte[] read = content;
        EditChecks.Verdict verdict = EditChecks.edited(config, state.configVerdicts.rejectedBefore(hash),
                () -> validate(path, read),
                () -> state.certificates == null ? CertificatePairs.Local.NOT_A_PAIR : state.certificates.local(path, disk),
                state.started);
        if (verdict instanceof EditChecks.AlreadyRejected) {
            return Refresh.REJECTED;
        }
        if (verdict instanceof EditChecks.Rejected r) {
            rejectLocal(path, hash, r.problems());
            return Refresh.REJECTED;
        }
        if (verdict instanceof EditChecks.HeldPair h) {
            // A certificate or key goes only with a pair that passes, and with its other half.
            if (h.recheckIn() != null) {
                recheckLater(path, h.recheckIn());
            }
            return Refresh.UNCHANGED;
        }
        EditChecks.Edit edit = (EditChecks.Edit) verdict;
        if (config && state.configVerdicts.localSettled()) {
            state.statusDirty = true;
        }
        String[] owners = state.ownership.namesForEdit(l == null ? null : l.entry(), () -> disk.owners(path));
        Entry e = LocalScan.edit(facts, state.node, hash, owners[0], owners[1]);
        state.table.put(e, s, now);
        state.outgoing.add(e);
        if (edit.reloadConfig()) {
            // Asked for once the edit is offered.
            state.configEditedHere = path;
        }
        EntryKey otherHalf = edit.partner() == null ? null : state.roots.keyOf(edit.partner());
        if (otherHalf != null) {
            refreshFile(otherHalf, edit.partner(), true);
        }
        return Refresh.CHANGED;
    }

    /** A link here: its target read, and {@link EditChecks#link} carried out. */
    private Refresh link(EntryKey key, Path path, FileStore.Stat s, MirrorTable.Local l, long now) throws IOException {
        String target = disk.linkTarget(path);
        String why = Symlinks.refusal(state.roots, path, target, disk::realPath);
        Entry recorded = l == null ? null : l.entry();
        switch (EditChecks.link(why, recorded, target, l != null && state.ownership.changed(s, l.stat()))) {
            case REFUSED -> {
                // not sent, and reported once
                state.refusals.refuse(path.toString(), MirrorMetrics.LINK_OUTSIDE, why, null);
                return Refresh.UNCHANGED;
            }
            case SAME -> {
                state.refusals.clear(path.toString());
                state.table.restat(key, s, now);
                return Refresh.UNCHANGED;
            }
            default -> {
                state.refusals.clear(path.toString());
                String[] owners = state.ownership.namesForEdit(recorded, () -> disk.owners(path));
                Entry e = Entry.link(key, recorded, state.node, now, target, owners[0], owners[1]);
                state.table.put(e, s, now);
                state.outgoing.add(e);
                return Refresh.CHANGED;
            }
        }
    }

    /** Looks at {@code path} again after {@code wait} (a certificate half waiting for its other half). */
    void recheckLater(Path path, Duration wait) {
        out.accept(new Command.ArmTimer(path, wait.toNanos()));
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
