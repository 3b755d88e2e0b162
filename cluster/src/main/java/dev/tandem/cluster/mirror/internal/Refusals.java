package dev.tandem.cluster.mirror.internal;

import dev.tandem.cluster.mirror.MirrorStatus;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Paths the mirror refuses to send or to apply while they stay as they are: a link out of the mirrored paths,
 * a file over a limit, a file the disk had no room for. Each is logged (WARN) and counted once for as long as
 * the same thing is refused for the same reason (the periodic scan and the peers' offers see it again and
 * again), shown in the status, and forgotten once the path is sent or applied. Owned by the mirror's thread.
 */
public final class Refusals {

    private static final Logger log = LoggerFactory.getLogger(Refusals.class);
    /** More than this and the oldest are dropped from the status (each is counted all the same). */
    static final int MAX_LISTED = 1000;
    /**
     * Refusals of one reason logged at WARN while any stays refused; the rest at DEBUG, after one line saying so
     * (a tree over its file limit refuses thousands of files at once).
     */
    static final int MAX_LOGGED = 20;

    private final MirrorMetrics metrics;
    private final Clock clock;
    private final Map<String, MirrorStatus.Refusal> byPath = new LinkedHashMap<>();
    private final Map<String, Integer> logged = new java.util.HashMap<>();
    private boolean changed;

    public Refusals(MirrorMetrics metrics, Clock clock) {
        this.metrics = metrics;
        this.clock = clock;
    }

    /**
     * Refuses {@code path}: {@code reason} is one of {@link MirrorMetrics}'s, {@code detail} says what and which
     * limit, {@code from} the peer it came from (null: made here, not sent). Returns whether this is new.
     */
    public boolean refuse(String path, String reason, String detail, String from) {
        MirrorStatus.Refusal old = byPath.get(path);
        if (old != null && old.reason().equals(reason) && old.detail().equals(detail) && java.util.Objects.equals(old.from(), from)) {
            return false;
        }
        byPath.remove(path);
        byPath.put(path, new MirrorStatus.Refusal(path, reason, detail, from, clock.instant()));
        if (byPath.size() > MAX_LISTED) {
            byPath.remove(byPath.keySet().iterator().next());
        }
        changed = true;
        metrics.rejected(reason);
        int n = logged.merge(reason, 1, Integer::sum);
        boolean warn = n <= MAX_LOGGED;
        if (n == MAX_LOGGED + 1) {
            log.warn("mirror: more paths refused ({}): counted in tandem_mirror_rejected_total and listed in the "
                    + "status, no longer logged one by one", reason);
        }
        String line = from == null ? path + ": " + detail + ": not sent"
                : path + " from " + from + ": " + detail + ": refused, nothing of it written";
        if (warn) {
            log.warn("mirror: {}", line);
        } else {
            log.debug("mirror: {}", line);
        }
        return true;
    }

    /** {@code path} was sent or applied: no longer refused. */
    public void clear(String path) {
        if (!byPath.isEmpty() && byPath.remove(path) != null) {
            changed = true;
            log.info("mirror: {} is no longer refused", path);
            if (byPath.isEmpty()) {
                logged.clear();
            }
        }
    }

    /** Whether the list changed since the last call (the status is published again). */
    public boolean changedSinceLast() {
        boolean c = changed;
        changed = false;
        return c;
    }

    public List<MirrorStatus.Refusal> list() {
        return new ArrayList<>(byPath.values());
    }
}
