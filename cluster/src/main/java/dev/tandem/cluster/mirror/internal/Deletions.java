package dev.tandem.cluster.mirror.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * The deletions waiting for the guard: those found here in one task, and those of a peer's round (which wait
 * for its end, so that a round split across many offer messages is judged whole). Each batch is judged per
 * root by the {@link DeletionGuard}; what comes out is what to do, for the engine to carry out. No I/O.
 */
final class Deletions {

    /** What to do with the deletions judged. */
    sealed interface Command permits Record, Apply, Held {
    }

    /** A deletion found here passed: record it as a version of this node and offer it. */
    record Record(Entry deletion) implements Command {
    }

    /** A peer's deletion passed: apply it here. */
    record Apply(Entry deletion) implements Command {
    }

    /** The deletions of {@code root} are a mass deletion, newly held: warn, count, show. */
    record Held(String root, String from) implements Command {
    }

    private final DeletionGuard guard;
    private final Map<EntryKey, Entry> found = new LinkedHashMap<>();

    Deletions(DeletionGuard guard) {
        this.guard = guard;
    }

    DeletionGuard guard() {
        return guard;
    }

    /** The file of {@code key} is gone here: {@code deletion} is this node's tombstone for it, once judged. */
    void found(EntryKey key, Entry deletion) {
        found.put(key, deletion);
    }

    /** The file of {@code key} is there after all (a later look in the same task). */
    void notGone(EntryKey key) {
        found.remove(key);
    }

    /**
     * Forgets the deletions found under {@code root} in this task: what was looked at there can no longer be
     * believed (a root that must be a mount point was unmounted while it was read; its files did not go).
     * Returns how many were forgotten.
     */
    int forgetFound(String root) {
        int before = found.size();
        found.keySet().removeIf(k -> k.root().equals(root));
        return before - found.size();
    }

    /** The roots with deletions found in this task. */
    Set<String> foundRoots() {
        Set<String> roots = new java.util.TreeSet<>();
        found.keySet().forEach(k -> roots.add(k.root()));
        return roots;
    }

    /**
     * Whether a peer's deletion of a file waits for the end of its round and the guard: it is of a file live here
     * ({@code local}, or a file with no version while this node waits for the peers' versions) that it would delete.
     */
    static boolean deletesHere(Entry offered, Entry local, boolean waitingWithoutHistory) {
        return local == null ? waitingWithoutHistory
                : !local.deleted() && Resolution.of(local, offered) != Resolution.KEEP;
    }

    /**
     * A peer offers the file of {@code key} again (no deletion): when that peer's deletion of its root is held,
     * the file leaves the hold. A hold of this node's own deletions does not end so (the peer still offers the
     * versions this node's scan found gone: that is the point of the hold). Returns whether a hold changed.
     */
    boolean offeredAgain(EntryKey key, String peer) {
        DeletionGuard.Hold h = guard.hold(key.root());
        if (h != null && h.from.equals(peer) && guard.held(key)) {
            guard.back(key);
            return true;
        }
        return false;
    }

    /** The deletions found here since the last call, judged per root ({@code filesOf}: a root's files now). */
    List<Command> judgeFound(ToIntFunction<String> filesOf) {
        if (found.isEmpty()) {
            return List.of();
        }
        Map<String, Map<EntryKey, Entry>> byRoot = byRoot(found);
        found.clear();
        List<Command> out = new ArrayList<>();
        for (Map.Entry<String, Map<EntryKey, Entry>> r : byRoot.entrySet()) {
            Map<EntryKey, Entry> asked = new LinkedHashMap<>();
            r.getValue().keySet().forEach(k -> asked.put(k, null));
            DeletionGuard.Verdict v = guard.judge(r.getKey(), filesOf.applyAsInt(r.getKey()), asked, "here");
            if (v == DeletionGuard.Verdict.PASS) {
                r.getValue().values().forEach(e -> out.add(new Record(e)));
            } else if (v == DeletionGuard.Verdict.HELD_NEW) {
                out.add(new Held(r.getKey(), "here"));
            }
        }
        return out;
    }

    /**
     * The deletions of {@code peer}'s round, judged per root with this node's own (they count in its window):
     * only those still of a live file here count ({@code localOf} gives the version here now, {@code waiting}
     * whether a file with none waits for the peers' versions); {@code filesOf} gives a root's files now.
     */
    List<Command> judgeRound(Map<EntryKey, Entry> round, String peer, Function<EntryKey, Entry> localOf,
                             java.util.function.Predicate<EntryKey> waiting, ToIntFunction<String> filesOf) {
        if (round.isEmpty()) {
            return List.of();
        }
        List<Command> out = new ArrayList<>();
        for (Map.Entry<String, Map<EntryKey, Entry>> r : byRoot(round).entrySet()) {
            Map<EntryKey, Entry> live = new LinkedHashMap<>();
            r.getValue().forEach((k, e) -> {
                if (deletesHere(e, localOf.apply(k), waiting.test(k))) {
                    live.put(k, e);
                }
            });
            DeletionGuard.Verdict v = guard.judge(r.getKey(), filesOf.applyAsInt(r.getKey()), live, peer);
            if (v == DeletionGuard.Verdict.PASS) {
                live.values().forEach(e -> out.add(new Apply(e)));
            } else if (v == DeletionGuard.Verdict.HELD_NEW) {
                out.add(new Held(r.getKey(), peer));
            }
        }
        return out;
    }

    private static Map<String, Map<EntryKey, Entry>> byRoot(Map<EntryKey, Entry> deletions) {
        Map<String, Map<EntryKey, Entry>> byRoot = new LinkedHashMap<>();
        deletions.forEach((k, e) -> byRoot.computeIfAbsent(k.root(), r -> new LinkedHashMap<>()).put(k, e));
        return byRoot;
    }

    /**
     * What {@code confirm} of the hold {@code h} (released from the guard) does with each of its files: this
     * node's deletion of a file still gone here becomes a confirmed tombstone, recorded and offered (a file back
     * since is left alone); a peer's deletion is applied here while that peer is connected. Files no longer live
     * here, or no longer under a mirrored path, are left.
     *
     * @param local         the version here of a path
     * @param pathHere      the path maps to one under a root mirrored here
     * @param goneHere      its file is not there (asked for this node's own deletions only)
     * @param fromConnected the peer of a peer's hold is connected
     */
    static List<Command> confirmed(DeletionGuard.Hold h, Function<EntryKey, Entry> local, Predicate<EntryKey> pathHere,
                                   Predicate<EntryKey> goneHere, boolean fromConnected, String node, long now) {
        List<Command> out = new ArrayList<>();
        for (Map.Entry<EntryKey, Entry> k : h.keys.entrySet()) {
            Entry l = local.apply(k.getKey());
            if (l == null || l.deleted() || !pathHere.test(k.getKey())) {
                continue;
            }
            if (k.getValue() == null) {
                if (goneHere.test(k.getKey())) {
                    out.add(new Record(Entry.confirmedDeletion(l, node, now)));
                }
            } else if (fromConnected) {
                out.add(new Apply(k.getValue()));
            }
        }
        return out;
    }

    /**
     * What {@code restore} of this node's hold {@code h} asks the peers for: the versions here of its files
     * still live in the table (forgotten here, so that the peers' copies come back), but not those already
     * being fetched.
     */
    static List<Entry> toRestore(DeletionGuard.Hold h, Function<EntryKey, Entry> local, Predicate<EntryKey> fetching) {
        List<Entry> out = new ArrayList<>();
        for (EntryKey k : h.keys.keySet()) {
            Entry l = local.apply(k);
            if (l != null && !l.deleted() && !fetching.test(k)) {
                out.add(l);
            }
        }
        return out;
    }
}
