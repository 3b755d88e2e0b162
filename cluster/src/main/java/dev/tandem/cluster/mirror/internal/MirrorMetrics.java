package dev.tandem.cluster.mirror.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The mirror's meters. Every refusal is counted under {@code tandem_mirror_rejected_total} with its reason,
 * one of {@link #REASONS}.
 */
public final class MirrorMetrics {

    /** A local config edit that does not validate: not sent, not applied. */
    public static final String INVALID_CONFIG = "invalid_config";
    /** A config received from a peer that does not validate here: not applied. */
    public static final String INVALID_CONFIG_RECEIVED = "invalid_config_received";
    /** A connection that did not prove it holds the cluster key (or spoke no mirror protocol). */
    public static final String UNAUTHENTICATED = "unauthenticated";
    /** A frame that failed to decrypt or a message that did not parse, after authentication. */
    public static final String BAD_FRAME = "bad_frame";
    /** A path that would lead outside its root, or through a link, or into a root not mirrored here. */
    public static final String UNSAFE_PATH = "unsafe_path";
    /** Content whose size or SHA-256 is not what its version said. */
    public static final String HASH_MISMATCH = "hash_mismatch";
    /** A received file that could not be written (disk full, permissions). */
    public static final String WRITE_FAILED = "write_failed";
    /** A symbolic link whose target lies outside every mirrored path (made here: not sent; received: not applied). */
    public static final String LINK_OUTSIDE = "link_outside";
    /** A file over {@code cluster.mirror.limits.file_size}. */
    public static final String FILE_TOO_LARGE = "file_too_large";
    /** A new file in a root that holds {@code cluster.mirror.limits.files} already. */
    public static final String TOO_MANY_FILES = "too_many_files";
    /** A change that would take a root over {@code cluster.mirror.limits.total_bytes}. */
    public static final String TOO_MANY_BYTES = "too_many_bytes";

    static final String[] REASONS = {INVALID_CONFIG, INVALID_CONFIG_RECEIVED, UNAUTHENTICATED, BAD_FRAME, UNSAFE_PATH,
            HASH_MISMATCH, WRITE_FAILED, LINK_OUTSIDE, FILE_TOO_LARGE, TOO_MANY_FILES, TOO_MANY_BYTES};

    private final Map<String, Counter> rejected = new ConcurrentHashMap<>();
    final Counter bytesSent;
    final Counter bytesReceived;
    final Counter filesSent;
    final Counter filesReceived;
    final Counter deletionsReceived;
    final Counter conflicts;
    final Counter deletionsHeld;
    private final MeterRegistry meters;

    public MirrorMetrics(MeterRegistry meters) {
        this.meters = meters;
        for (String r : REASONS) {
            rejected.put(r, Counter.builder("tandem_mirror_rejected_total")
                    .description("Mirror input refused, by reason (nothing of it was sent or applied)")
                    .tag("reason", r).register(meters));
        }
        bytesSent = bytes("sent");
        bytesReceived = bytes("received");
        filesSent = files("sent");
        filesReceived = files("received");
        deletionsReceived = Counter.builder("tandem_mirror_deletions_total")
                .description("Deletions received from peers and applied here").register(meters);
        conflicts = Counter.builder("tandem_mirror_conflicts_total")
                .description("Concurrent edits of one path resolved here; each loser is kept beside its file")
                .register(meters);
        deletionsHeld = Counter.builder("tandem_mirror_deletions_held_total")
                .description("Mass deletions held (here or from a peer) until an operator confirms them").register(meters);
    }

    private Counter bytes(String direction) {
        return Counter.builder("tandem_mirror_bytes_total").description("File content sent to or received from peers")
                .tag("direction", direction).register(meters);
    }

    private Counter files(String direction) {
        return Counter.builder("tandem_mirror_files_total").description("Files sent to or received from peers")
                .tag("direction", direction).register(meters);
    }

    public void rejected(String reason) {
        rejected.get(reason).increment();
    }

    public double rejectedCount(String reason) {
        return rejected.get(reason).count();
    }

    MeterRegistry registry() {
        return meters;
    }
}
