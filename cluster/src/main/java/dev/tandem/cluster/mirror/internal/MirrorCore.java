package dev.tandem.cluster.mirror.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mirror's decisions as a state machine, as {@code VipElection} is the election's: {@link Event}s in,
 * {@link Command}s out, on the clock of its {@link EngineState} (a test moves it), with no I/O of its own (files
 * are read through the {@link Disk}; peers, timers and writes are the driver's, {@link MirrorEngine}, told by
 * the commands). Runs on the engine's thread, one event at a time.
 *
 * <p>Here so far: local changes ({@link LocalChanges}: the debounce, the scans, each file's look), the
 * mass-deletion guard on them and on a peer's rounds, and its holds ({@link Deletions}, {@link HeldDeletions}:
 * confirm, restore), the offers of peers and their rounds ({@link PeerOffers}, with a start without a record of
 * versions), the fetches' ends and the rounds they complete ({@link Fetches}), and the first-sync gate
 * ({@link SyncGate}), and what becomes of a file a peer sent once it has arrived ({@link Arrivals}: discarded,
 * adopted, kept as a conflict copy, installed, the config parked, a certificate half held) and of a version that
 * needs no content ({@link WithoutContent}: a deletion, a mode, a link), the writes it asks for coming back as
 * events with what they left. The driver's parts receive the content ({@link Receiver}: a fetch it drops is a
 * {@link Event.FetchEnded}) and write ({@link Applier}).
 */
final class MirrorCore {

    private static final Logger log = LoggerFactory.getLogger(MirrorCore.class);

    private final EngineState state;
    private final LocalChanges local;
    private final PeerOffers offers;
    private final Fetches fetches;
    private final HeldDeletions holds;
    private final Arrivals arrivals;
    private final WithoutContent withoutContent;
    /** The commands of the event under way (and those the driver's parts left since the last one). */
    private final List<Command> out = new ArrayList<>();

    MirrorCore(EngineState state, Disk disk, Duration debounce, Predicate<Roots.Root> mounted) {
        this.state = state;
        this.local = new LocalChanges(state, disk, out::add, debounce, mounted);
        this.fetches = new Fetches(state, out::add);
        this.offers = new PeerOffers(state, disk, local, fetches, out::add);
        this.holds = new HeldDeletions(state, disk, out::add);
        this.arrivals = new Arrivals(state, disk, local, fetches, out::add);
        this.withoutContent = new WithoutContent(state, disk, local, arrivals, out::add);
    }

    /** The local changes, for the driver's parts that need a file's edit recorded before they act on it. */
    LocalChanges local() {
        return local;
    }

    /** The fetches, for the progress of a file under way (no command comes of it). */
    Fetches fetches() {
        return fetches;
    }

    EngineState state() {
        return state;
    }

    /**
     * Hands in one event; returns what to do, in order. {@link Event.Confirm} and {@link Event.Restore} throw
     * {@link IllegalArgumentException} or {@link IllegalStateException} when the operator's word cannot be done.
     */
    List<Command> on(Event event) {
        if (event instanceof Event.Touched t) {
            local.touched(t.paths(), t.overflow());
        } else if (event instanceof Event.Tick) {
            local.processDirty();
        } else if (event instanceof Event.Scan) {
            local.periodicScan();
        } else if (event instanceof Event.TaskDone) {
            taskDone();
        } else if (event instanceof Event.Offer o) {
            offers.offer(o.from(), o.entries());
        } else if (event instanceof Event.OfferEnd e) {
            offers.offerEnd(e.from(), e.round(), e.full());
        } else if (event instanceof Event.FetchEnded f) {
            fetches.ended(f.key(), f.entry(), f.ok());
        } else if (event instanceof Event.Started s) {
            offers.startWithoutHistory(s.stateLost());
            started();
        } else if (event instanceof Event.Confirm c) {
            out.add(new Command.Answer(holds.confirmDeletion(c.root())));
        } else if (event instanceof Event.Restore r) {
            out.add(new Command.Answer(holds.restoreDeletion(r.root())));
        } else if (!arrival(event)) {
            gate(event);
        }
        List<Command> done = List.copyOf(out);
        out.clear();
        return done;
    }

    /** The first scan: what changed while the node was down is recorded, not offered (every link offers all). */
    private void started() {
        long t0 = state.nanos();
        int before = state.table.size();
        local.scanAll(true);
        state.started = true;
        log.info("mirror: node {}: {} path(s), {} file(s) known ({} before), {} local change(s), scanned in {} ms",
                state.node, state.roots.all().size(), state.table.size(), before, state.outgoing.size(),
                TimeUnit.NANOSECONDS.toMillis(state.nanos() - t0));
        state.outgoing.clear();
        firstSyncOver(state.gate.start());
    }

    /** The end of a task: its deletions judged, what changed here offered, an edit of the config reloaded. */
    private void taskDone() {
        local.judgeDeletions();
        if (!state.outgoing.isEmpty()) {
            List<Entry> batch = state.ordered(state.outgoing);
            state.outgoing.clear();
            if (batch.size() <= 5) {
                batch.forEach(e -> log.info("mirror: {} {} here: version {}", e.key(), e.deleted() ? "deleted" : "changed",
                        e.label()));
            } else {
                log.info("mirror: {} path(s) changed here", batch.size());
            }
            out.add(new Command.Offer(batch));
        }
        if (state.configEditedHere != null) {
            // after the offer: the reload here does not hold up the peers' copies (they reload it too)
            out.add(new Command.ConfigEdited(state.configEditedHere));
            state.configEditedHere = null;
        }
    }

    /** The events of a peer's version and of what the driver wrote for it; false for any other event. */
    private boolean arrival(Event event) {
        if (event instanceof Event.Arrived a) {
            arrivals.arrived(a.from(), a.rx());
        } else if (event instanceof Event.Installed i) {
            arrivals.installed(i.from(), i.rx(), i.stat());
        } else if (event instanceof Event.KeptAside k) {
            arrivals.conflict(k.key(), k.keptAs(), k.loser(), k.winner());
        } else if (event instanceof Event.RetryParked r) {
            arrivals.retryParked(r.due());
        } else if (event instanceof Event.RefuseParked) {
            arrivals.refuseParked();
        } else if (event instanceof Event.Apply a) {
            withoutContent.apply(a.from(), a.version());
        } else if (event instanceof Event.Written w) {
            withoutContent.written(w.version(), w.stat());
        } else {
            return false;
        }
        return true;
    }

    /** The links' events, for the first-sync gate and the catch-up status. */
    private void gate(Event event) {
        if (event instanceof Event.LinkUp u) {
            state.gate.linkUp(u.peer());
            state.statusDirty = true;
        } else if (event instanceof Event.LinkDown d) {
            state.gate.linkDown(d.peer(), state.digests());
            state.statusDirty = true;
        } else if (event instanceof Event.LinkFailed f) {
            firstSyncOver(state.gate.linkFailed(f.peer(), f.first()));
        } else if (event instanceof Event.PeerDone d) {
            if (d.full() && !state.gate.outDone(d.peer())) {
                log.info("mirror: {} has everything of this node", d.peer());
                firstSyncOver(state.gate.peerHasAll(d.peer()));
            }
        } else if (event instanceof Event.Summary s) {
            if (state.gate.summary(s.peer(), s.summary(), state.digests())) {
                state.statusDirty = true;
            }
        } else if (event instanceof Event.GiveUp g) {
            state.gate.giveUp(g.why());
            state.statusDirty = true;
        } else {
            throw new IllegalArgumentException("not an event of the mirror's core: " + event);
        }
    }

    private void firstSyncOver(String outcome) {
        if (outcome != null) {
            out.add(new Command.FirstSyncOver(outcome));
        }
    }

    /** Where to read each wanted version: the file, or the conflict copy of a version that lost here. */
    List<MirrorEngine.Source> sources(List<Messages.Wanted> wanted) {
        List<MirrorEngine.Source> out = new ArrayList<>(wanted.size());
        for (Messages.Wanted w : wanted) {
            Entry e = state.table.get(w.key());
            if (e != null && !e.deleted() && e.version() == w.version() && e.origin().equals(w.origin())) {
                java.nio.file.Path p = state.roots.pathOf(w.key());
                out.add(p == null ? new MirrorEngine.Source(w, null, null, "not mirrored here")
                        : new MirrorEngine.Source(w, e, p, null));
                continue;
            }
            MirrorEngine.Source kept = null;
            for (Conflict c : state.table.conflicts()) {
                if (c.key().equals(w.key()) && c.loser().version() == w.version() && c.loser().origin().equals(w.origin())) {
                    kept = new MirrorEngine.Source(w, c.loser(), c.keptAs(), null);
                }
            }
            out.add(kept != null ? kept : new MirrorEngine.Source(w, null, null, "superseded"));
        }
        return out;
    }
}
