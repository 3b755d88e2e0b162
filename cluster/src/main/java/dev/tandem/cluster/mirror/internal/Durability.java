package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes what was written durable: the directories of renamed files are flushed (a rename is durable only
 * then) before the state file records the new versions, and before a peer is told a round is done. The state
 * file is rendered on the engine's thread and written on the state writer, so that a slow disk does not hold
 * up the edits behind it.
 */
final class Durability {

    private static final Logger log = LoggerFactory.getLogger(Durability.class);

    static final Duration PERSIST_DELAY = Duration.ofSeconds(1);

    private final EngineState state;
    private final EngineThread threads;
    private long savedChanges = -1;
    private ScheduledFuture<?> persistTimer;

    Durability(EngineState state, EngineThread threads) {
        this.state = state;
        this.threads = threads;
    }

    /** Whether the table changed since the state file was last rendered. */
    boolean unsaved() {
        return state.table.changes() != savedChanges;
    }

    /** Flushes the directories of renamed files: a rename is durable only then. */
    void syncDirs() {
        if (state.dirsToSync.isEmpty()) {
            return;
        }
        List<Path> dirs = new ArrayList<>(state.dirsToSync);
        state.dirsToSync.clear();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Path d : dirs) {
            all.add(CompletableFuture.runAsync(() -> {
                try {
                    FileStore.fsyncDirectory(d);
                } catch (IOException e) {
                    log.warn("mirror: cannot flush {}: {}", d, e.toString());
                }
            }, threads.flusher));
        }
        try {
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("mirror: flushing directories: {}", e.toString());
        }
    }

    void schedulePersist() {
        if (persistTimer == null || persistTimer.isDone()) {
            persistTimer = threads.loop.schedule(() -> threads.exec(this::persistNow), PERSIST_DELAY.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Writes the state file, once the renames it records are durable: the table is taken here, the directories
     * are flushed and the file written on the state writer, so that a slow disk (a flush waits for everything
     * else the file system has to write) does not hold up this thread and the edits behind it.
     */
    void persistNow() {
        if (state.table.changes() == savedChanges && state.dirsToSync.isEmpty()) {
            return;
        }
        List<Path> dirs = new ArrayList<>(state.dirsToSync);
        state.dirsToSync.clear();
        byte[] content = state.table.changes() == savedChanges ? null : state.stateFile.render(state.table);
        savedChanges = state.table.changes();
        try {
            threads.stateWriter.execute(() -> {
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
                    state.stateFile.write(content);
                } catch (IOException e) {
                    log.warn("mirror: cannot write {}: {}", state.stateFile.path(), e.toString());
                    threads.exec(() -> {
                        savedChanges = -1;
                        schedulePersist();
                    });
                }
            });
        } catch (RejectedExecutionException e) {
            // halted
        }
    }

    /**
     * Loads the table from the state file. Returns whether this node has no record of versions: no state file,
     * or one it cannot read (kept aside, for a person to look at, and the table starts empty).
     */
    boolean load() {
        StateFile stateFile = state.stateFile;
        boolean lost = !Files.exists(stateFile.path());
        try {
            state.table = stateFile.load();
        } catch (IOException e) {
            lost = true;
            Path aside = stateFile.path().resolveSibling("state.unreadable-" + state.clock.millis());
            log.warn("mirror: {}: starting from an empty state (the file is kept as {})", e.getMessage(), aside);
            try {
                Files.move(stateFile.path(), aside, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException moved) {
                log.warn("mirror: cannot move {} aside: {}", stateFile.path(), moved.toString());
            }
            state.table = new MirrorTable();
        }
        return lost;
    }
}
