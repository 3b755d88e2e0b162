package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What changed on this node's disk: the watcher's events and the periodic scans mark paths; once a burst has
 * been quiet for the debounce time (see {@link LocalScan#debounceNanos}), each marked path is looked at
 * ({@link LocalLook}): a file directly, a directory by a walk, a directory gone through the entries recorded
 * under it. A file still being written waits for the next turn. A root that must be a mount point and is not
 * is not looked at. Part of the {@link MirrorCore}: no I/O of its own (the files are read through the
 * {@link Disk}, the debounce's timer is a {@link Command.ArmTimer}), and the debounce is measured on the engine's
 * clock ({@link EngineState#nanos}), so a test moves it.
 */
final class LocalChanges {

    private static final Logger log = LoggerFactory.getLogger(LocalChanges.class);

    private final EngineState state;
    private final Disk disk;
    private final Consumer<Command> out;
    private final Duration debounce;
    private final java.util.function.Predicate<Roots.Root> mounted;
    private final LocalLook look;
    private final Set<Path> dirty = new HashSet<>();
    private boolean rescanAll;
    private long firstDirtyAt;
    /** Roots that must be mount points and were found not to be (logged once). */
    private final Set<String> unmountedLogged = new HashSet<>();

    LocalChanges(EngineState state, Disk disk, Consumer<Command> out, Duration debounce,
                 java.util.function.Predicate<Roots.Root> mounted) {
        this.state = state;
        this.disk = disk;
        this.out = out;
        this.debounce = debounce;
        this.mounted = mounted;
        this.look = new LocalLook(state, disk, out);
    }

    /** The look at one file (for the parts that need a file's edit recorded before they act on it). */
    LocalLook look() {
        return look;
    }

    /** From the watcher: paths touched; debounced here. */
    void touched(Set<Path> paths, boolean overflow) {
        if (dirty.isEmpty() && !rescanAll) {
            firstDirtyAt = state.nanos();
        }
        dirty.addAll(paths);
        rescanAll |= overflow;
        armDirty();
    }

    /**
     * Waits for the burst to be quiet for the debounce time, but not longer than ten times that (at least a
     * second) since its first event, so that a path changing all the time does not hold back the others. The
     * timer armed replaces the one before; when it fires, {@link #processDirty}.
     */
    void armDirty() {
        out.accept(Command.ArmTimer.debounce(LocalScan.debounceNanos(debounce.toNanos(), firstDirtyAt, state.nanos())));
    }

    void processDirty() {
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
            if (key == null || FileStore.isTemp(p.getFileName().toString())
                    || !mountedNow(state.roots.get(key.root()))) {
                continue;
            }
            try {
                if (disk.directory(p, false)) {
                    scanTree(key, p, false, again);
                } else if (look.refreshFile(key, p, true) == LocalLook.Refresh.CHANGING) {
                    again.add(p);
                } else {
                    // a directory that went away: everything that was under it
                    for (MirrorTable.Local l : new ArrayList<>(state.table.under(key).values())) {
                        if (LocalScan.underGone(key, l.entry())) {
                            Path lp = state.roots.pathOf(l.entry().key());
                            if (lp != null) {
                                look.refreshFile(l.entry().key(), lp, false);
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
                firstDirtyAt = state.nanos();
            }
            dirty.addAll(again);
            armDirty();
        }
    }

    void periodicScan() {
        state.installed.clear();
        scanAll(false);
        out.accept(new Command.OfferAll(state.ordered(state.table.entries())));
        // Conflict files the operator removed are no longer reported.
        for (Conflict c : new ArrayList<>(state.table.conflicts())) {
            if (!disk.exists(c.keptAs())) {
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
                if (disk.directory(p, true)) {
                    scanTree(key, p, removeTemps, null);
                } else {
                    look.refreshFile(key, p, false);
                }
            } catch (IOException e) {
                log.warn("mirror: cannot scan {}: {}", p, e.toString());
            }
        }
    }

    /**
     * Scans {@code dir} (the directory of {@code key}): every regular file and link, then the paths known under
     * it that are gone.
     */
    void scanTree(EntryKey key, Path dir, boolean removeTemps, Set<Path> again) throws IOException {
        Set<EntryKey> seen = new HashSet<>();
        for (Disk.Walked w : disk.walk(dir)) {
            Path file = w.path();
            LocalScan.Visit visit = LocalScan.visit(file.getFileName().toString(), w.regular(), w.link());
            if (visit == LocalScan.Visit.TEMP) {
                if (removeTemps) {
                    out.accept(new Command.RemoveTemp(file));
                }
                continue;
            }
            EntryKey k = visit == LocalScan.Visit.LOOK ? state.roots.keyOf(file) : null;
            if (k == null) {
                continue;
            }
            seen.add(k);
            try {
                if (look.refreshFile(k, file, false) == LocalLook.Refresh.CHANGING && again != null) {
                    again.add(file);
                }
            } catch (IOException e) {
                log.debug("mirror: cannot read {}: {}", file, e.toString());
            }
        }
        // each entry read as it is when its turn comes (a look before it may have changed it)
        for (MirrorTable.Local l : new ArrayList<>(state.table.under(key).values())) {
            Entry e = l.entry();
            if (LocalScan.unseen(e, seen)) {
                Path p = state.roots.pathOf(e.key());
                if (p != null) {
                    look.refreshFile(e.key(), p, false);
                }
            }
        }
    }

    /**
     * The deletions this task found here, per root, go through the guard: the usual ones are recorded and
     * offered; a mass deletion is held (no version, nothing sent) until an operator confirms it.
     */
    void judgeDeletions() {
        long now = state.clock.millis();
        // A root that must be a mount point is asked again now, after the look: unmounted while it was read, its
        // files looked gone but did not go. Asked after the last stat of the task, so a deletion that stands was
        // read on the mounted disk.
        for (String root : state.deletions.foundRoots()) {
            Roots.Root r = state.roots.get(root);
            if (r != null && !mountedNow(r)) {
                int n = state.deletions.forgetFound(root);
                log.warn("mirror: {} was unmounted while it was read: {} file(s) that looked gone are left as they are",
                        r.path(), n);
            }
        }
        for (Deletions.Command c : state.deletions.judgeFound(root -> state.table.digest(root).files())) {
            if (c instanceof Deletions.Record r) {
                state.table.put(r.deletion(), null, now);
                state.outgoing.add(r.deletion());
            } else if (c instanceof Deletions.Held h) {
                state.held(h.root(), h.from());
            }
        }
    }

    /**
     * Whether what the peers offer under {@code r} may be taken now: not while a root that must be a mount point
     * is not one, nor, once it is again, before a scan of this node has looked at it (the disk mounted may be
     * empty or older: a file the peers changed is then first judged with the rest of the root's files, by the
     * deletion guard, not alone). Asks without changing what the scans found.
     */
    boolean takesFromPeers(Roots.Root r) {
        return r == null || !unmountedLogged.contains(r.id()) && mounted.test(r);
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
