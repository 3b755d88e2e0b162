package dev.tandem.conf;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Files and directories kept identical on every node.
 *
 * @param paths        the config file, certificate directories, static roots; none inside another
 * @param scanInterval how often every path is scanned in full, the safety net under the file-system events
 *                     (events can be lost: a queue overflow, a network file system)
 * @param debounce     how long a burst of changes must go quiet before it is sent (an editor's write, rename
 *                     and chmod, a {@code git pull} of many files, become one batch)
 * @param stateDir     where this node keeps its version of every mirrored path, across restarts
 * @param syncWait     how long, at start, the elections wait for the first sync with a reachable peer
 * @param maxDeletions together with {@code maxDeletionPercent}: a scan (or a peer's offer) that deletes more
 *                     than this many files of one path and more than that share of them is held, not mirrored,
 *                     until an operator confirms it; one that deletes every file of a path is held always
 * @param maxDeletionPercent the share, in percent, of {@code maxDeletions}
 * @param requireMount paths (among {@code paths}) that are scanned only while they are mount points: an
 *                     unmounted disk leaves an empty directory, and its emptiness is no edit
 * @param limits       what each path may hold (file size, files, bytes)
 * @param deletionWindow how far back the deletions of a path count together against {@code maxDeletions}: a
 *                     mass deletion cut into pieces within it is held once the pieces add up to one
 */
public record MirrorConfig(List<Path> paths, Duration scanInterval, Duration debounce, Path stateDir, Duration syncWait,
                           int maxDeletions, int maxDeletionPercent, List<Path> requireMount, MirrorLimits limits,
                           Duration deletionWindow) {

    public MirrorConfig {
        paths = List.copyOf(paths);
        requireMount = List.copyOf(requireMount);
        java.util.Objects.requireNonNull(limits);
        java.util.Objects.requireNonNull(deletionWindow);
    }

    /** With the default deletion window. */
    public MirrorConfig(List<Path> paths, Duration scanInterval, Duration debounce, Path stateDir, Duration syncWait,
                        int maxDeletions, int maxDeletionPercent, List<Path> requireMount, MirrorLimits limits) {
        this(paths, scanInterval, debounce, stateDir, syncWait, maxDeletions, maxDeletionPercent, requireMount, limits,
                Defaults.MIRROR_DELETION_WINDOW);
    }

    /** With the default limits. */
    public MirrorConfig(List<Path> paths, Duration scanInterval, Duration debounce, Path stateDir, Duration syncWait,
                        int maxDeletions, int maxDeletionPercent, List<Path> requireMount) {
        this(paths, scanInterval, debounce, stateDir, syncWait, maxDeletions, maxDeletionPercent, requireMount,
                MirrorLimits.DEFAULT);
    }

    /** With the default deletion guard and no path that must be mounted. */
    public MirrorConfig(List<Path> paths, Duration scanInterval, Duration debounce, Path stateDir, Duration syncWait,
                        MirrorLimits limits) {
        this(paths, scanInterval, debounce, stateDir, syncWait, Defaults.MIRROR_MAX_DELETIONS,
                Defaults.MIRROR_MAX_DELETION_PERCENT, List.of(), limits);
    }

    /** With the default deletion guard and limits. */
    public MirrorConfig(List<Path> paths, Duration scanInterval, Duration debounce, Path stateDir, Duration syncWait) {
        this(paths, scanInterval, debounce, stateDir, syncWait, MirrorLimits.DEFAULT);
    }

    /** The paths with every other setting at its default. */
    public MirrorConfig(List<Path> paths) {
        this(paths, Defaults.MIRROR_SCAN_INTERVAL, Defaults.MIRROR_DEBOUNCE, Defaults.MIRROR_STATE_DIR,
                Defaults.MIRROR_SYNC_WAIT);
    }
}
