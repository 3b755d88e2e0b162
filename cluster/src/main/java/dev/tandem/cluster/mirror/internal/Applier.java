package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts what peers send in place: a received file once it is complete ({@link CommitPlan} says whether to
 * discard, adopt, keep as a conflict copy or install, against the version here then), a version that needs no
 * content (a deletion, a mode, a link), the config file (validated, parked until its round is over when it does
 * not validate yet), certificate pairs (installed together or not at all). Then the core is told the fetch
 * ended ({@link Fetches}). Runs on the engine's thread.
 */
final class Applier {

    private static final Logger log = LoggerFactory.getLogger(Applier.class);

    /** A file modified less than this before it was hashed is hashed again at the next scan (racy stat). */
    static final long RACY_MILLIS = LocalScan.RACY_MILLIS;

    /** A received certificate or key held aside until its other half comes. */
    record HeldHalf(InboundState.Session st, Receiving rx) {
    }

    private final EngineState state;
    private final LocalChanges scans;
    private final Fetches fetches;
    private final Durability durability;
    /** Hands an event to the core and carries out its commands at once (the driver's). */
    private final java.util.function.Consumer<Event> toCore;

    Applier(EngineState state, MirrorCore core, Durability durability, java.util.function.Consumer<Event> toCore) {
        this.state = state;
        this.scans = core.local();
        this.fetches = core.fetches();
        this.durability = durability;
        this.toCore = toCore;
    }

    /**
     * Applies a version that needs no content: a deletion, a new mode, the same content under the winning
     * version.
     */
    void applyWithoutContent(InboundState.Session st, Entry e) {
        Path target = state.roots.pathOf(e.key());
        Roots.Root root = state.roots.get(e.key().root());
        if (!scans.takesFromPeers(root)) {
            return; // unmounted since it was offered: offered again at the peer's next scan
        }
        boolean withoutHistory = state.table.get(e.key()) == null && state.noHistory.waiting(e.key());
        try {
            refreshBeforeApply(e.key(), target);
            Entry local = state.table.get(e.key());
            String[] linkRefusal = new String[1];
            CommitPlan.Applying plan = CommitPlan.withoutContent(local, e, e.key().equals(state.configKey),
                    () -> FileStore.noLinksBetween(root.path(), target),
                    () -> linkRefusal[0] = Symlinks.refusal(state.roots, target, e.link(), Symlinks::realPath));
            if (plan.keepLoser()) {
                keepLocalLoser(e.key(), target, local, e);
            }
            switch (plan.step()) {
                case NOTHING -> {
                    // The file changed here meanwhile: the next offer decides again.
                }
                case ADOPT -> state.table.put(e, FileStore.stat(target), state.clock.millis());
                case REFUSE_CONFIG_DELETION -> refuseReceived(st, e, target, List.of(target + ": deleted by " + e.origin()
                        + " (expected: the config file; a config is not mirrored away)"));
                case UNSAFE_PATH -> state.metrics.rejected(MirrorMetrics.UNSAFE_PATH);
                case DELETE -> {
                    FileStore.delete(target, root.path());
                    state.table.put(e, null, state.clock.millis());
                    state.noHistory.settled(e.key());
                    if (withoutHistory) {
                        log.info("mirror: {} has no version here and {} deleted it ({}): deleted", target, e.origin(), e.label());
                    }
                    state.metrics.deletionsReceived.increment();
                    state.changedFiles.add(target);
                    log.debug("mirror: {} deleted as {} did ({})", e.key(), e.origin(), e.label());
                }
                case REFUSE_LINK -> state.refusals.refuse(target.toString(), MirrorMetrics.LINK_OUTSIDE, linkRefusal[0],
                        st.peer);
                case LINK -> {
                    Symlinks.apply(target, e.link(), e, state.ownership);
                    FileStore.Stat s = FileStore.stat(target);
                    state.table.put(e, s, state.clock.millis());
                    if (s != null) {
                        state.installed.put(target, s);
                    }
                    state.refusals.clear(target.toString());
                    state.changedFiles.add(target);
                }
                case MODE -> {
                    FileStore.Stat s = FileStore.stat(target);
                    if (s != null && s.mode() != e.mode()) {
                        FileStore.chmod(target, e.mode());
                    }
                    if (s != null) {
                        state.ownership.apply(target, e);
                        s = FileStore.stat(target);
                    }
                    state.table.put(e, s, state.clock.millis());
                    state.changedFiles.add(target);
                }
            }
        } catch (IOException ex) {
            state.metrics.rejected(MirrorMetrics.WRITE_FAILED);
            log.warn("mirror: cannot apply {} from {} to {}: {}", e.label(), st.peer, target, ex.toString());
        }
    }

    /**
     * Before a version from a peer replaces what is on disk: an edit made here that the watcher has not yet
     * reported becomes a version first, so it competes (and is kept if it loses) instead of being overwritten.
     * Returns the content of an invalid config edit made here, which is no version but is not lost either.
     */
    boolean refreshBeforeApply(EntryKey key, Path target) throws IOException {
        LocalLook.Refresh r = scans.look().refreshFile(key, target, false);
        if (r == LocalLook.Refresh.CHANGING) {
            r = scans.look().refreshFile(key, target, true);
        }
        return r == LocalLook.Refresh.REJECTED;
    }

    void commit(InboundState.Session st, Receiving rx, boolean flushed) {
        Entry e = rx.entry;
        EntryKey key = e.key();
        if (!flushed) {
            state.refusals.refuse(String.valueOf(rx.target), MirrorMetrics.WRITE_FAILED, String.valueOf(rx.discardReason),
                    st.peer);
            Receiving.deleteQuietly(rx.temp);
            fetchEnded(key, e, false);
            return;
        }
        Path target = rx.target;
        Roots.Root root = state.roots.get(key.root());
        if (!scans.takesFromPeers(root)) {
            // unmounted while it came: not written below the mount point; offered again at the peer's next scan
            Receiving.deleteQuietly(rx.temp);
            fetchEnded(key, e, false);
            return;
        }
        try {
            boolean invalidHere = refreshBeforeApply(key, target);
            Entry local = state.table.get(key);
            Path keep = target.resolveSibling(e.conflictName(target.getFileName().toString()));
            CommitPlan.Plan plan = CommitPlan.of(Resolution.of(local, e), Files.exists(keep, LinkOption.NOFOLLOW_LINKS),
                    invalidHere, Files.exists(target, LinkOption.NOFOLLOW_LINKS),
                    local == null && state.noHistory.waiting(key) && Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
                            && !FileStore.hash(target).equals(e.hash()));
            switch (plan.step()) {
                case DISCARD -> Receiving.deleteQuietly(rx.temp);
                case ADOPT -> {
                    Receiving.deleteQuietly(rx.temp);
                    state.table.put(e, FileStore.stat(target), state.clock.millis());
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
                    // A config is written only once it validates; a certificate or key only with a pair that
                    // passes, both halves together.
                    CommitPlan.Installing<HeldHalf> checked = CommitPlan.install(key.equals(state.configKey),
                            () -> scans.look().validate(target, Files.readAllBytes(rx.temp)),
                            () -> state.certificates == null ? null
                                    : state.certificates.received(target, rx.temp, new HeldHalf(st, rx), st.peer));
                    if (checked.step() == CommitPlan.Install.PARK) {
                        park(st, rx, checked.problems());
                        return;
                    }
                    if (checked.step() == CommitPlan.Install.REFUSE_PAIR) {
                        Receiving.deleteQuietly(rx.temp);
                        Receiving.deleteQuietly(checked.partner().rx().temp);
                    }
                    if (checked.step() == CommitPlan.Install.REFUSE_PAIR || checked.step() == CommitPlan.Install.HOLD_HALF) {
                        fetchEnded(key, e, true);
                        return;
                    }
                    switch (plan.keep()) {
                        case INVALID_EDIT -> {
                            // the invalid edit made here is no version, but it is not lost either
                            keepLocalLoser(key, target, Entry.edit(key, local, state.node, state.clock.millis(), FileStore.hash(target),
                                    FileStore.stat(target).mode(), Files.size(target)), e);
                            state.configVerdicts.localSettled();
                        }
                        case LOSER -> keepLocalLoser(key, target, local, e);
                        // a file with no version, another content than the cluster's: the cluster's wins, this is kept
                        case WITHOUT_HISTORY -> keepLocalLoser(key, target, Entry.edit(key, null, state.node, state.clock.millis(),
                                FileStore.hash(target), FileStore.stat(target).mode(), Files.size(target)), e);
                        case NONE -> {
                            // nothing here to keep
                        }
                    }
                    install(st, rx, e, target);
                    if (checked.step() == CommitPlan.Install.INSTALL_WITH_PARTNER) {
                        HeldHalf h = checked.partner();
                        install(h.st(), h.rx(), h.rx().entry, h.rx().target);
                    }
                }
            }
            fetchEnded(key, e, true);
        } catch (IOException ex) {
            state.metrics.rejected(MirrorMetrics.WRITE_FAILED);
            log.warn("mirror: cannot apply {} of {} from {}: {}", e.label(), target, st.peer, ex.toString());
            Receiving.deleteQuietly(rx.temp);
            fetchEnded(key, e, false);
        }
    }

    /** Renames the received file into place and records it. */
    void install(InboundState.Session st, Receiving rx, Entry e, Path target) throws IOException {
        Files.move(rx.temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        state.dirsToSync.add(target.getParent());
        FileStore.Stat s = FileStore.stat(target);
        // The content is known (its hash checked as it was written) and the stat taken after the rename: only
        // an edit after that could differ, and it moves the stat (or the watcher reports it). So the file is not
        // "racy" for the next scan, which would otherwise hash every file a sync just wrote once more.
        long now = state.clock.millis();
        long known = s == null ? now : Math.max(now, s.mtimeNanos() / 1_000_000 + RACY_MILLIS + 1);
        state.table.put(e, s, known);
        if (s != null && state.installed.size() < 100_000) {
            state.installed.put(target, s);
        }
        state.noHistory.settled(e.key());
        state.metrics.filesReceived.increment();
        state.metrics.bytesReceived.increment(e.size());
        state.refusals.clear(target.toString());
        if (state.guard.held(e.key()) && state.guard.back(e.key())) {
            log.info("mirror: every file of the held deletion of {} is back: the hold ends",
                    state.roots.get(e.key().root()).path());
        }
        state.configVerdicts.installed(e.key().equals(state.configKey));
        if (e.key().equals(state.configKey)) {
            InboundState.Parked p = state.book.parked();
            if (p != null && p.rx.entry.key().equals(e.key())) {
                Receiving.deleteQuietly(state.book.unpark().rx.temp);
            }
            // (Its directory is flushed with the round's, after the reload is asked for: a reader already sees it.)
            log.info("mirror: {} from {}: config version {} in place", target, st.peer, e.label());
            state.notifyConfig(target, "from " + st.peer);
        } else {
            state.changedFiles.add(target);
            log.debug("mirror: {} from {}: version {} in place", target, st.peer, e.label());
            retryParked(false);
        }
    }

    void keepLocalLoser(EntryKey key, Path target, Entry loser, Entry winner) throws IOException {
        if (loser == null || loser.deleted() || !Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path keep = target.resolveSibling(loser.conflictName(target.getFileName().toString()));
        FileStore.keepBeside(target, keep);
        conflict(key, keep, loser, winner);
    }

    void conflict(EntryKey key, Path keptAs, Entry loser, Entry winner) {
        String won = winner == null ? "-" : winner.label();
        state.table.addConflict(new Conflict(key, keptAs, loser, won, state.clock.millis()));
        state.metrics.conflicts.increment();
        log.warn("mirror: concurrent edits of {}: version {} wins, {} is kept as {}", key,
                winner == null ? "-" : winner.label(), loser.label(), keptAs);
        EntryKey k = state.roots.keyOf(keptAs);
        if (k != null) {
            // A conflict copy inside a mirrored directory is mirrored like any file: record it now.
            try {
                scans.look().refreshFile(k, keptAs, true);
            } catch (IOException e) {
                log.debug("mirror: cannot read {}: {}", keptAs, e.toString());
            }
        }
        state.statusDirty = true;
    }

    /** A received config that does not validate waits for the rest of what is being received. */
    void park(InboundState.Session st, Receiving rx, List<String> problems) {
        InboundState.Parked before = state.book.park(st, rx, problems);
        if (before != null) {
            Receiving.deleteQuietly(before.rx.temp);
        }
        fetchEnded(rx.entry.key(), rx.entry, true);
    }

    /**
     * The config parked is validated again (a file it names may have come): installed if it validates now;
     * else, when it is {@code due} (nothing else it may wait for is under way), refused.
     */
    void retryParked(boolean due) {
        InboundState.Parked p = state.book.parked();
        if (p == null) {
            return;
        }
        try {
            List<String> problems = scans.look().validate(p.rx.target, Files.readAllBytes(p.rx.temp));
            switch (CommitPlan.parked(problems, due)) {
                case INSTALL -> {
                    state.book.unpark();
                    commit(p.from, p.rx, true);
                }
                case WAIT -> p.errors = problems;
                case REFUSE -> {
                    p.errors = problems;
                    refuseParked();
                }
            }
        } catch (IOException e) {
            state.book.unpark();
            Receiving.deleteQuietly(p.rx.temp);
        }
    }

    void refuseParked() {
        InboundState.Parked p = state.book.unpark();
        Receiving.deleteQuietly(p.rx.temp);
        refuseReceived(p.from, p.rx.entry, p.rx.target, p.errors);
    }

    void refuseReceived(InboundState.Session st, Entry e, Path target, List<String> problems) {
        state.configVerdicts.refuseReceived(e.key(), target.toString(), e.hash(), problems, st.peer);
        state.metrics.rejected(MirrorMetrics.INVALID_CONFIG_RECEIVED);
        state.statusDirty = true;
        Entry current = state.table.get(e.key());
        log.warn("mirror: config version {} from {} does not validate here: refused; version {} stays in force:",
                e.label(), st.peer, current == null ? "-" : current.label());
        problems.forEach(p -> log.warn("{}", p));
    }

    /** A wanted version arrived (or will not): handed to the core ({@link Fetches}), whose commands are carried out now. */
    void fetchEnded(EntryKey key, Entry entry, boolean ok) {
        toCore.accept(new Event.FetchEnded(key, entry, ok));
    }

    /** A round whose files have all arrived: its links applied, the directories flushed, then the peer told. */
    void roundReady(RoundBook.Ready r) {
        InboundState.Session st = r.session();
        r.links().forEach(e -> applyWithoutContent(st, e));
        durability.syncDirs();
        state.batchInPlace();
        st.session.done(r.round());
        if (r.completeMillis() >= 0) {
            log.info("mirror: sync from {} complete: {} files, {} in {} ms", st.peer, st.filesTotal,
                    Receiving.size(st.bytesTotal), r.completeMillis());
        }
    }

    /** Progress of a sync, as the core's {@link Fetches} has it. */
    void progress(InboundState.Session st) {
        fetches.progress(st);
    }
}
