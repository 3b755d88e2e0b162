package dev.tandem.cluster.mirror.internal;

import dev.tandem.cluster.mirror.MirrorStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Renders what the engine knows as the {@link MirrorStatus} that status, the CLI and the dashboard show. */
final class StatusView {

    /** Per peer, the progress of the sync being received from it, or none. */
    record Input(String node, String firstSync, Roots roots, MirrorTable table, SyncGate gate, DeletionGuard guard,
                 Map<String, MirrorStatus.Progress> progress, MirrorStatus.Rejection configRejected,
                 MirrorStatus.Rejection configRefused, List<MirrorStatus.Refusal> refused,
                 List<CertificatePairs.HeldPair> heldPairs, long now) {
    }

    private StatusView() {
    }

    static MirrorStatus render(Input in) {
        Roots roots = in.roots();
        MirrorTable table = in.table();
        List<MirrorStatus.PathStatus> paths = new ArrayList<>();
        for (Roots.Root r : roots.all()) {
            paths.add(path(in, r));
        }
        List<MirrorStatus.PeerStatus> ps = new ArrayList<>();
        for (SyncGate.Peer p : in.gate().peers()) {
            double lag = p.inSync ? 0 : (in.now() - (p.lastSync == 0 ? in.gate().boot() : p.lastSync)) / 1000.0;
            ps.add(new MirrorStatus.PeerStatus(p.name, p.sending, p.receiving > 0, p.inSync,
                    p.lastSync == 0 ? null : Instant.ofEpochMilli(p.lastSync), Math.max(0, lag), in.progress().get(p.name)));
        }
        List<MirrorStatus.ConflictStatus> cs = new ArrayList<>();
        for (Conflict c : table.conflicts()) {
            Path p = roots.pathOf(c.key());
            cs.add(new MirrorStatus.ConflictStatus(p == null ? c.key().toString() : p.toString(), c.keptAs().toString(),
                    c.loser().label(), c.winner(), Instant.ofEpochMilli(c.at())));
        }
        List<MirrorStatus.HeldDeletion> held = new ArrayList<>();
        for (DeletionGuard.Hold h : in.guard().holds()) {
            Roots.Root r = roots.get(h.root);
            List<String> sample = h.keys.keySet().stream().limit(5).map(k -> {
                Path p = roots.pathOf(k);
                return p == null ? k.toString() : p.toString();
            }).toList();
            held.add(new MirrorStatus.HeldDeletion(h.root, r == null ? h.root : r.path().toString(), h.keys.size(),
                    h.filesThen, h.from, Instant.ofEpochMilli(h.since), sample));
        }
        List<MirrorStatus.HeldPair> pairs = new ArrayList<>();
        for (CertificatePairs.HeldPair h : in.heldPairs()) {
            pairs.add(new MirrorStatus.HeldPair(h.cert().toString(), h.key().toString(), h.from(),
                    h.since() == 0 ? null : Instant.ofEpochMilli(h.since()), h.errors()));
        }
        SyncGate.Behind b = in.gate().behind();
        return new MirrorStatus(in.node(), in.firstSync(), paths, ps, cs, in.configRejected(), in.configRefused(), held,
                new MirrorStatus.Behind(b.behind(), b.files(), b.bytes(), b.peers()), in.refused(), pairs);
    }

    private static MirrorStatus.PathStatus path(Input in, Roots.Root r) {
        MirrorTable table = in.table();
        EntryKey rootKey = new EntryKey(r.id(), "");
        MirrorTable.RootDigest d = table.digest(r.id());
        Entry single = table.get(rootKey);
        boolean directory = single == null && (r.directory() || Files.isDirectory(r.path()));
        Map<String, MirrorStatus.PathSync> sync = new LinkedHashMap<>();
        for (SyncGate.Peer p : in.gate().peers()) {
            Long last = p.rootLastSync.get(r.id());
            sync.put(p.name, new MirrorStatus.PathSync(Boolean.TRUE.equals(p.rootInSync.get(r.id())),
                    last == null ? null : Instant.ofEpochMilli(last)));
        }
        List<String> conflicts = new ArrayList<>();
        for (Conflict c : table.conflicts()) {
            if (c.key().root().equals(r.id())) {
                conflicts.add(c.keptAs().toString());
            }
        }
        long changedAt = 0;
        String origin = null;
        long version = 0;
        for (MirrorTable.Local l : table.under(rootKey).values()) {
            if (l.entry().version() > version || l.entry().version() == version && l.entry().changedAt() > changedAt) {
                version = l.entry().version();
                origin = l.entry().origin();
                changedAt = l.entry().changedAt();
            }
        }
        String hash = single != null && !directory ? single.hash() : d.digest();
        return new MirrorStatus.PathStatus(r.id(), r.path().toString(), directory, version, origin, hash, d.files(),
                d.bytes(), changedAt == 0 ? null : Instant.ofEpochMilli(changedAt), sync, conflicts);
    }
}
