package dev.tandem.cluster.mirror.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The files found on disk by a node that has no record of versions: its state was lost (the state directory
 * emptied, or unreadable) or it was installed afresh with old files copied back. Such a file has no version:
 * nothing says whether it is older or newer than what the cluster holds, so it is not offered as an edit of
 * this node (a version {@code me:1} would be concurrent with a peer's tombstone and could win it, bringing
 * back a file the cluster deleted). It waits for the peers' versions instead:
 *
 * <ul>
 *   <li>a peer's version of the path wins: a tombstone deletes it (through the deletion guard, as any peer's
 *       deletion), the same content is adopted without a transfer, another content replaces it and the file
 *       here is kept beside it as a conflict copy;</li>
 *   <li>a path no peer offered in a full round (a file a person added) becomes an edit of this node then, and
 *       is offered as usual.</li>
 * </ul>
 *
 * <p>While it waits the file stays on disk and is served; it is only not mirrored. No I/O: the engine asks.
 */
final class NoHistory {

    private boolean active;
    private final Map<EntryKey, Boolean> waiting = new HashMap<>();
    private final Map<String, Integer> perRoot = new HashMap<>();
    private final Set<EntryKey> offered = new HashSet<>();

    /** @param active the node has no record of versions, and has peers to learn them from */
    NoHistory(boolean active) {
        this.active = active;
    }

    /** Whether files found here without a version still wait for a peer's full round. */
    boolean active() {
        return active;
    }

    /**
     * A file found here with no version recorded: true when it is to wait (and is noted as waiting), false when
     * it may become an edit of this node now.
     */
    boolean hold(EntryKey key) {
        if (waiting.containsKey(key)) {
            return true;
        }
        if (!active) {
            return false;
        }
        waiting.put(key, Boolean.TRUE);
        perRoot.merge(key.root(), 1, Integer::sum);
        return true;
    }

    /** Whether {@code key} is a file here that waits for the peers' versions. */
    boolean waiting(EntryKey key) {
        return waiting.containsKey(key);
    }

    /** Files waiting in {@code root} (they count among the root's files for the deletion guard). */
    int waiting(String root) {
        return perRoot.getOrDefault(root, 0);
    }

    /** A peer offered a version of {@code key}: it decides what becomes of the file here. */
    void offered(EntryKey key) {
        if (active) {
            offered.add(key);
        }
    }

    /** {@code key} has a version now (a peer's), or its file is gone: it waits no more. */
    void settled(EntryKey key) {
        if (waiting.remove(key) != null) {
            perRoot.merge(key.root(), -1, Integer::sum);
        }
    }

    /**
     * A peer's full round is over: the files no peer offered a version of are this node's own (a person added
     * them) and are returned, to become edits; the others wait for their versions, which are under way or held.
     * From now on a file found without a version is a new file, as on any node with its state.
     */
    List<EntryKey> fullRoundOver() {
        if (!active) {
            return List.of();
        }
        active = false;
        List<EntryKey> own = new ArrayList<>();
        for (EntryKey k : new ArrayList<>(waiting.keySet())) {
            if (!offered.contains(k)) {
                settled(k);
                own.add(k);
            }
        }
        offered.clear();
        own.sort(null);
        return own;
    }
}
