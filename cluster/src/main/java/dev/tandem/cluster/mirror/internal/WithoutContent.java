package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of a peer's version that needs no content here ({@link Event.Apply}: a deletion, a mode, a link,
 * the same content under the winning version), decided by {@link CommitPlan#withoutContent} against the version
 * here after a look at the file (an edit not yet reported competes, and is kept beside if it loses): nothing, the
 * version adopted, a deletion refused (the config, or through a link on the way), a link refused, or the file
 * deleted, linked or given its mode and owners ({@link Command.WriteVersion}, the driver's). What the write left
 * comes back as {@link Event.Written} and is recorded then, so a failed write records nothing. Part of the
 * {@link MirrorCore}: the facts come from its {@link Disk}.
 */
final class WithoutContent {

    private static final Logger log = LoggerFactory.getLogger(WithoutContent.class);

    private final EngineState state;
    private final Disk disk;
    private final LocalChanges local;
    private final Arrivals arrivals;
    private final Consumer<Command> out;

    WithoutContent(EngineState state, Disk disk, LocalChanges local, Arrivals arrivals, Consumer<Command> out) {
        this.state = state;
        this.disk = disk;
        this.local = local;
        this.arrivals = arrivals;
        this.out = out;
    }

    /** The version {@code e} of the peer of {@code st}, which needs no content here, is to be applied now. */
    void apply(InboundState.Session st, Entry e) {
        Path target = state.roots.pathOf(e.key());
        Roots.Root root = state.roots.get(e.key().root());
        if (!local.takesFromPeers(root)) {
            return; // unmounted since it was offered: offered again at the peer's next scan
        }
        boolean withoutHistory = state.table.get(e.key()) == null && state.noHistory.waiting(e.key());
        try {
            arrivals.refreshBeforeApply(e.key(), target);
            Entry here = state.table.get(e.key());
            String[] linkRefusal = new String[1];
            CommitPlan.Applying plan = CommitPlan.withoutContent(here, e, e.key().equals(state.configKey),
                    () -> disk.noLinksBetween(root.path(), target),
                    () -> linkRefusal[0] = Symlinks.refusal(state.roots, target, e.link(), disk::realPath));
            Command.KeepLocal keep = plan.keepLoser() ? arrivals.keepLocal(target, here, e) : null;
            switch (plan.step()) {
                case NOTHING -> {
                    // The file changed here meanwhile: the next offer decides again.
                }
                case ADOPT -> state.table.put(e, disk.stat(target), state.clock.millis());
                case REFUSE_CONFIG_DELETION -> arrivals.refuseReceived(st, e, target, List.of(target + ": deleted by "
                        + e.origin() + " (expected: the config file; a config is not mirrored away)"));
                case UNSAFE_PATH -> state.metrics.rejected(MirrorMetrics.UNSAFE_PATH);
                case REFUSE_LINK -> state.refusals.refuse(target.toString(), MirrorMetrics.LINK_OUTSIDE, linkRefusal[0],
                        st.peer);
                case DELETE -> {
                    if (withoutHistory) {
                        log.info("mirror: {} has no version here and {} deleted it ({}): deleted", target, e.origin(),
                                e.label());
                    }
                    out.accept(new Command.WriteVersion(st, e, target, root.path(), keep));
                }
                case LINK, MODE -> out.accept(new Command.WriteVersion(st, e, target, root.path(), keep));
            }
        } catch (IOException ex) {
            state.metrics.rejected(MirrorMetrics.WRITE_FAILED);
            log.warn("mirror: cannot apply {} from {} to {}: {}", e.label(), st.peer, target, ex.toString());
        }
    }

    /** The driver wrote {@code e} ({@link Command.WriteVersion}); {@code s} is the stat of its file then. */
    void written(Entry e, FileStore.Stat s) {
        Path target = state.roots.pathOf(e.key());
        long now = state.clock.millis();
        if (e.deleted()) {
            state.table.put(e, null, now);
            state.noHistory.settled(e.key());
            state.metrics.deletionsReceived.increment();
            log.debug("mirror: {} deleted as {} did ({})", e.key(), e.origin(), e.label());
        } else if (e.isLink()) {
            state.table.put(e, s, now);
            if (s != null) {
                state.installed.put(target, s);
            }
            state.refusals.clear(target.toString());
        } else {
            state.table.put(e, s, now);
        }
        state.changedFiles.add(target);
    }
}
