package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands events to the {@link MirrorCore} on the engine's thread and carries out its {@link Command}s: offers on
 * the links, asks on the sessions, received files written and versions applied by the {@link Applier}, timers on
 * the engine's thread, temporary files removed, the node told. The I/O half of the core, so that the core has none.
 */
final class CoreDriver {

    private static final Logger log = LoggerFactory.getLogger(CoreDriver.class);

    private final MirrorCore core;
    private final EngineState state;
    private final EngineThread threads;
    private final Applier applier;
    /** The debounce's timer (one at a time: a new one replaces it). */
    private ScheduledFuture<?> debounceTimer;

    CoreDriver(MirrorCore core, EngineThread threads, Applier applier) {
        this.core = core;
        this.state = core.state();
        this.threads = threads;
        this.applier = applier;
    }

    /** Hands {@code event} to the core as a task of the engine's thread, and carries out what it says. */
    void handle(Event event) {
        threads.exec(() -> run(core.on(event)));
    }

    /** Hands {@code event} to the core now (on the engine's thread), and carries out what it says. */
    void now(Event event) {
        run(core.on(event));
    }

    /** An operator's word on a held deletion: carried out, then the task's end (what it recorded is offered). */
    CompletableFuture<String> operator(Event event) {
        return threads.call(() -> {
            String answer = run(core.on(event));
            threads.afterTask();
            return answer;
        });
    }

    /** Carries out the core's commands, in order; returns the operator's answer among them, if any. */
    String run(List<Command> commands) {
        String answer = null;
        for (Command c : commands) {
            if (c instanceof Command.Offer o) {
                state.links.values().stream().filter(l -> l != null).forEach(l -> l.offer(o.versions()));
            } else if (c instanceof Command.OfferAll o) {
                state.links.values().stream().filter(l -> l != null).forEach(l -> l.offerAll(o.versions()));
            } else if (c instanceof Command.Want w) {
                w.session().session.want(w.wanted());
            } else if (c instanceof Command.Apply a) {
                // now: decided on the disk as the commands before it left it
                now(new Event.Apply(a.from(), a.version()));
            } else if (c instanceof Command.WriteVersion w) {
                applier.write(w);
            } else if (c instanceof Command.RoundReady r) {
                applier.roundReady(r.round());
            } else if (c instanceof Command.Install i) {
                applier.install(i);
            } else if (c instanceof Command.SaveConflict sc) {
                applier.saveConflict(sc);
            } else if (c instanceof Command.DiscardTemp d) {
                Receiving.deleteQuietly(d.temp());
            } else if (c instanceof Command.RetryParked r) {
                // now: the commands before it (a ready round's links) are carried out
                now(new Event.RetryParked(r.due()));
            } else if (c instanceof Command.CertificatesRoundOver) {
                state.certificates.roundOver();
            } else if (c instanceof Command.Adopt a) {
                adopt(a.version());
            } else if (c instanceof Command.NoHistoryMarker m) {
                marker(m);
            } else if (c instanceof Command.ArmTimer t) {
                arm(t);
            } else if (c instanceof Command.RemoveTemp r) {
                Receiving.deleteQuietly(r.file());
                log.info("mirror: removed {}, left by an interrupted write", r.file());
            } else if (c instanceof Command.ConfigEdited e) {
                state.notifyConfig(e.file(), "edited here");
            } else if (c instanceof Command.ConfigReceived r) {
                state.notifyConfig(r.file(), "from " + r.from());
            } else if (c instanceof Command.FirstSyncOver f) {
                state.firstSyncOver(f.outcome());
            } else if (c instanceof Command.Answer a) {
                answer = a.text();
            }
        }
        return answer;
    }

    /** A file takes the mode and owners of the version it adopted; its stat then is the one recorded. */
    private void adopt(Entry e) {
        Path target = state.roots.pathOf(e.key());
        try {
            FileStore.Stat s = FileStore.stat(target);
            if (s == null) {
                return;
            }
            if (s.mode() != e.mode()) {
                FileStore.chmod(target, e.mode());
            }
            state.ownership.apply(target, e);
            state.table.restat(e.key(), FileStore.stat(target), state.clock.millis());
        } catch (IOException ex) {
            log.debug("mirror: cannot set the mode or owners of {}: {}", target, ex.toString());
        }
    }

    private void marker(Command.NoHistoryMarker m) {
        try {
            if (m.present()) {
                Files.createDirectories(m.marker().getParent());
                Files.write(m.marker(), new byte[0]);
            } else {
                Files.deleteIfExists(m.marker());
            }
        } catch (IOException e) {
            log.warn("mirror: cannot {} {}: {}", m.present() ? "write" : "delete", m.marker(), e.toString());
        }
    }

    private void arm(Command.ArmTimer t) {
        try {
            if (t.path() == null) {
                if (debounceTimer != null) {
                    debounceTimer.cancel(false);
                }
                debounceTimer = threads.loop.schedule(() -> handle(new Event.Tick()), t.delayNanos(),
                        TimeUnit.NANOSECONDS);
            } else {
                threads.loop.schedule(() -> handle(new Event.Touched(Set.of(t.path()), false)), t.delayNanos(),
                        TimeUnit.NANOSECONDS);
            }
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }
}
