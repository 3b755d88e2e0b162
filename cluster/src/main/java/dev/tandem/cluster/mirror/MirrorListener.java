package dev.tandem.cluster.mirror;

import java.nio.file.Path;
import java.util.List;

/** Told of what the mirror changed on this node's disk, so that the node serves it at once. */
public interface MirrorListener {

    /**
     * The config file has a new validated version on disk: edited here (the mirror has taken over from the
     * node's own file watcher) or received from a peer. The node should reload it.
     *
     * @param cause e.g. {@code "edited here"} or {@code "from lb2"}
     */
    default void configChanged(Path file, String cause) {
    }

    /**
     * Files other than the config were written or deleted by the mirror (caches of them are stale). Called as
     * each file is in place, so that a static file is served new at once.
     */
    default void filesChanged(List<Path> files) {
    }

    /**
     * Everything a peer sent in one round is in place, and {@link #filesChanged} has been told of all of it:
     * the moment to read again files that only make sense together, such as a certificate and its key (one
     * without the other does not load). Called only when files changed since the last call.
     */
    default void batchInPlace() {
    }
}
