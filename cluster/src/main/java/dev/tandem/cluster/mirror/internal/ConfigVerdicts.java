package dev.tandem.cluster.mirror.internal;

import dev.tandem.cluster.mirror.MirrorStatus;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What this node holds against the config file: an edit made here that does not validate (no version, not
 * sent, reported once per content), and the versions received from peers that did not validate here (refused,
 * and not asked for again until something new is installed). No I/O: the engine validates and tells this what
 * came of it; this says what is news (to log and count) and what the status shows.
 */
final class ConfigVerdicts {

    private final String node;
    private final Clock clock;
    private MirrorStatus.Rejection rejected;
    private String rejectedHash;
    private MirrorStatus.Rejection refused;
    /** Per path, the content hash of the version refused here (the config file, or its size). */
    private final Map<EntryKey, String> refusedHashes = new HashMap<>();

    ConfigVerdicts(String node, Clock clock) {
        this.node = node;
        this.clock = clock;
    }

    /**
     * The config file as edited here ({@code hash}, empty for a deletion or a file too large to read) does not
     * validate. Returns whether that is news: the same content rejected again is not reported twice.
     */
    boolean rejectLocal(String path, String hash, List<String> problems) {
        if (rejected != null && hash.equals(rejectedHash)) {
            return false;
        }
        rejectedHash = hash;
        rejected = new MirrorStatus.Rejection(path, hash, problems, clock.instant(), node);
        return true;
    }

    /** Whether {@code hash} is the content already rejected here (no need to validate it again). */
    boolean rejectedBefore(String hash) {
        return rejected != null && hash.equals(rejectedHash);
    }

    /**
     * The rejected edit is gone: the file is back to its version, a valid edit replaced it, or a peer's version
     * was installed over it (the edit kept as a conflict copy). Returns whether a rejection ended.
     */
    boolean localSettled() {
        boolean was = rejected != null;
        rejected = null;
        rejectedHash = null;
        return was;
    }

    /** A peer's version of {@code key} ({@code hash}) does not validate here: refused, until an install. */
    void refuseReceived(EntryKey key, String path, String hash, List<String> problems, String peer) {
        refusedHashes.put(key, hash);
        refused = new MirrorStatus.Rejection(path, hash, problems, clock.instant(), peer);
    }

    /** The hash of the version of {@code key} refused here, or null. */
    String refusedBefore(EntryKey key) {
        return refusedHashes.get(key);
    }

    /**
     * A received file was installed: what was refused before may validate now (a certificate it names has come),
     * so it is asked for again at the next offer; a config installed ends the refusal shown.
     */
    void installed(boolean config) {
        refusedHashes.clear();
        if (config) {
            refused = null;
        }
    }

    MirrorStatus.Rejection rejected() {
        return rejected;
    }

    MirrorStatus.Rejection refused() {
        return refused;
    }
}
