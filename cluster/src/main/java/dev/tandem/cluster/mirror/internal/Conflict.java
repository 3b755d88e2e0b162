package dev.tandem.cluster.mirror.internal;

import java.nio.file.Path;

/**
 * A losing version kept beside its file: which path, where the loser was kept and which version it was (so
 * that a peer that asks for it can still get it), which version won, and when this node decided it.
 */
public record Conflict(EntryKey key, Path keptAs, Entry loser, String winner, long at) {
}
