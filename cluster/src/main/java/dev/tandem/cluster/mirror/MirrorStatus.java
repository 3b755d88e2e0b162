package dev.tandem.cluster.mirror;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code tandem status} and {@code /status} show of the mirror, as this node sees it.
 *
 * @param firstSync    how the first sync at start ended ({@code "synced with lb2"}, {@code "no peer reachable"},
 *                     {@code "no complete sync with a peer within 30000 ms: going on without"}), or null while it
 *                     runs: elections wait for it
 * @param configRejected the last edit of the config file made here that did not validate (not sent, not
 *                     applied), or null when the file on disk is the version in force
 * @param configRefused the last config received from a peer that did not validate here, or null
 * @param held         mass deletions held until an operator confirms them ({@code tandem mirror confirm ROOT})
 * @param behind       how far this node is behind a reachable peer (it does not preempt while it is)
 * @param refused      paths refused while they stay as they are: links out of the mirrored paths, files over a
 *                     limit, files the disk had no room for
 * @param heldPairs    certificate and key pairs that do not pass the check: edited here and not sent, or received
 *                     and not written; held until a pair that passes replaces them
 */
public record MirrorStatus(String node, String firstSync, List<PathStatus> paths, List<PeerStatus> peers,
                           List<ConflictStatus> conflicts, Rejection configRejected, Rejection configRefused,
                           List<HeldDeletion> held, Behind behind, List<Refusal> refused, List<HeldPair> heldPairs) {

    public MirrorStatus {
        paths = List.copyOf(paths);
        peers = List.copyOf(peers);
        conflicts = List.copyOf(conflicts);
        held = List.copyOf(held);
        behind = behind == null ? Behind.NONE : behind;
        refused = List.copyOf(refused);
        heldPairs = List.copyOf(heldPairs);
    }

    /** With no certificate pair held. */
    public MirrorStatus(String node, String firstSync, List<PathStatus> paths, List<PeerStatus> peers,
                        List<ConflictStatus> conflicts, Rejection configRejected, Rejection configRefused,
                        List<HeldDeletion> held, Behind behind, List<Refusal> refused) {
        this(node, firstSync, paths, peers, conflicts, configRejected, configRefused, held, behind, refused, List.of());
    }

    /** With nothing held, behind or refused. */
    public MirrorStatus(String node, String firstSync, List<PathStatus> paths, List<PeerStatus> peers,
                        List<ConflictStatus> conflicts, Rejection configRejected, Rejection configRefused) {
        this(node, firstSync, paths, peers, conflicts, configRejected, configRefused, List.of(), Behind.NONE, List.of());
    }

    /** With nothing refused. */
    public MirrorStatus(String node, String firstSync, List<PathStatus> paths, List<PeerStatus> peers,
                        List<ConflictStatus> conflicts, Rejection configRejected, Rejection configRefused,
                        List<HeldDeletion> held, Behind behind) {
        this(node, firstSync, paths, peers, conflicts, configRejected, configRefused, held, behind, List.of());
    }

    /**
     * A mass deletion held: {@code files} of the {@code filesThen} files of root {@code root} ({@code path}) were
     * deleted at once, by this node ({@code from} "here") or by a peer; nothing of it was sent or applied.
     */
    public record HeldDeletion(String root, String path, int files, int filesThen, String from, Instant since,
                               List<String> sample) {
        public HeldDeletion {
            sample = List.copyOf(sample);
        }
    }

    /**
     * A certificate and its key that do not pass the check of {@code tandem check}: edited here ({@code from}
     * "here"), neither is sent; or received from peer {@code from}, neither is written (the pair in place
     * stays). {@code since} is when it was first held, {@code errors} the check's.
     */
    public record HeldPair(String cert, String key, String from, Instant since, List<String> errors) {
        public HeldPair {
            errors = List.copyOf(errors);
        }
    }

    /** Files and bytes this node has asked reachable peers for and not received, and from which peers. */
    public record Behind(boolean behind, long files, long bytes, List<String> peers) {
        public static final Behind NONE = new Behind(false, 0, 0, List.of());

        public Behind {
            peers = List.copyOf(peers);
        }
    }

    /**
     * A path not sent (made here; {@code from} null) or not applied (from a peer): {@code reason} as counted in
     * {@code tandem_mirror_rejected_total}, {@code detail} names the limit or the target.
     */
    public record Refusal(String path, String reason, String detail, String from, Instant at) {
    }

    /**
     * One mirrored path. For a single file, {@code version}, {@code origin} and {@code hash} are the file's;
     * for a directory, {@code version} is the highest of its files and {@code hash} a digest of all of them
     * (paths, contents, modes), equal on two nodes exactly when they hold the same files.
     *
     * @param peers per peer: whether it holds the same content, and when it last did
     */
    public record PathStatus(String id, String path, boolean directory, long version, String origin, String hash,
                             int files, long bytes, Instant changedAt, Map<String, PathSync> peers,
                             List<String> conflicts) {
        public PathStatus {
            peers = Map.copyOf(peers);
            conflicts = List.copyOf(conflicts);
        }
    }

    public record PathSync(boolean inSync, Instant lastSync) {
    }

    /**
     * A peer: the connection this node dials to send to it ({@code sending}), the one it dials to send here
     * ({@code receiving}), whether every path is in sync, since when it is not ({@code lagSeconds}), and how far
     * a sync from it has got.
     */
    public record PeerStatus(String node, boolean sending, boolean receiving, boolean inSync, Instant lastSync,
                             double lagSeconds, Progress receivingProgress) {
    }

    /** Files and bytes of a sync received so far, of those asked for. */
    public record Progress(long filesDone, long filesTotal, long bytesDone, long bytesTotal) {
    }

    /** A losing version kept beside its file. */
    public record ConflictStatus(String path, String keptAs, String loser, String winner, Instant at) {
    }

    /** A config refused: where, its hash, every error as {@code FILE:LINE:COL: message}, when, from whom. */
    public record Rejection(String path, String hash, List<String> errors, Instant at, String from) {
        public Rejection {
            errors = List.copyOf(errors);
        }
    }

    /** The status as a JSON tree (maps, lists, strings, numbers, booleans, null) for the admin endpoint. */
    public Map<String, Object> toTree() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", node);
        m.put("first_sync", firstSync);
        List<Object> ps = new ArrayList<>();
        for (PathStatus p : paths) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("id", p.id());
            o.put("path", p.path());
            o.put("directory", p.directory());
            o.put("version", p.version());
            o.put("origin", p.origin());
            o.put("hash", p.hash());
            o.put("files", p.files());
            o.put("bytes", p.bytes());
            o.put("changed_at", str(p.changedAt()));
            Map<String, Object> peerMap = new LinkedHashMap<>();
            new java.util.TreeMap<>(p.peers()).forEach((peer, s) -> {
                Map<String, Object> so = new LinkedHashMap<>();
                so.put("in_sync", s.inSync());
                so.put("last_sync", str(s.lastSync()));
                peerMap.put(peer, so);
            });
            o.put("peers", peerMap);
            o.put("conflicts", new ArrayList<Object>(p.conflicts()));
            ps.add(o);
        }
        m.put("paths", ps);
        List<Object> peerList = new ArrayList<>();
        for (PeerStatus p : peers) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("node", p.node());
            o.put("sending", p.sending());
            o.put("receiving", p.receiving());
            o.put("in_sync", p.inSync());
            o.put("last_sync", str(p.lastSync()));
            o.put("lag_seconds", p.lagSeconds());
            Progress g = p.receivingProgress();
            if (g == null) {
                o.put("progress", null);
            } else {
                Map<String, Object> go = new LinkedHashMap<>();
                go.put("files_done", g.filesDone());
                go.put("files_total", g.filesTotal());
                go.put("bytes_done", g.bytesDone());
                go.put("bytes_total", g.bytesTotal());
                o.put("progress", go);
            }
            peerList.add(o);
        }
        m.put("peers", peerList);
        List<Object> cs = new ArrayList<>();
        for (ConflictStatus c : conflicts) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("path", c.path());
            o.put("kept_as", c.keptAs());
            o.put("loser", c.loser());
            o.put("winner", c.winner());
            o.put("at", str(c.at()));
            cs.add(o);
        }
        m.put("conflicts", cs);
        m.put("config_rejected", rejection(configRejected));
        m.put("config_refused", rejection(configRefused));
        List<Object> hs = new ArrayList<>();
        for (HeldDeletion h : held) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("root", h.root());
            o.put("path", h.path());
            o.put("files", h.files());
            o.put("files_then", h.filesThen());
            o.put("from", h.from());
            o.put("since", str(h.since()));
            o.put("sample", new ArrayList<Object>(h.sample()));
            hs.add(o);
        }
        m.put("held_deletions", hs);
        List<Object> hp = new ArrayList<>();
        for (HeldPair h : heldPairs) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("cert", h.cert());
            o.put("key", h.key());
            o.put("from", h.from());
            o.put("since", str(h.since()));
            o.put("errors", new ArrayList<Object>(h.errors()));
            hp.add(o);
        }
        m.put("held_pairs", hp);
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("behind", behind.behind());
        b.put("files", behind.files());
        b.put("bytes", behind.bytes());
        b.put("peers", new ArrayList<Object>(behind.peers()));
        m.put("behind", b);
        List<Object> rs = new ArrayList<>();
        for (Refusal r : refused) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("path", r.path());
            o.put("reason", r.reason());
            o.put("detail", r.detail());
            o.put("from", r.from());
            o.put("at", str(r.at()));
            rs.add(o);
        }
        m.put("refused", rs);
        return m;
    }

    private static Object rejection(Rejection r) {
        if (r == null) {
            return null;
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("path", r.path());
        o.put("hash", r.hash());
        o.put("errors", new ArrayList<Object>(r.errors()));
        o.put("at", str(r.at()));
        o.put("from", r.from());
        return o;
    }

    private static String str(Instant t) {
        return t == null ? null : t.toString();
    }
}
