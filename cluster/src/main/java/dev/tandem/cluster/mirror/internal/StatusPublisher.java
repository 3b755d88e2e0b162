package dev.tandem.cluster.mirror.internal;

import dev.tandem.cluster.mirror.MirrorStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes what the engine knows, at most every {@link MirrorEngine#PUBLISH_EVERY}: the summary the peers
 * compare (sent on every link and connection), the status ({@link StatusView}), whether this node is behind a
 * reachable peer (told to the listener on a change), and the lag the gauges read. The status is read from any
 * thread; everything else runs on the engine's thread.
 */
final class StatusPublisher {

    private static final Logger log = LoggerFactory.getLogger(StatusPublisher.class);

    private final EngineState state;
    private final AtomicInteger generation = new AtomicInteger();
    private volatile boolean behind;
    private volatile java.util.function.Consumer<Boolean> behindListener = b -> { };
    volatile MirrorStatus published;
    volatile Messages.Summary latestSummary;
    /** The held pairs the status published last. */
    private List<CertificatePairs.HeldPair> pairsPublished = List.of();

    StatusPublisher(EngineState state) {
        this.state = state;
    }

    boolean behind() {
        return behind;
    }

    void onBehind(java.util.function.Consumer<Boolean> listener) {
        this.behindListener = listener;
    }

    void publishIfDirty() {
        if (state.summaryDirty) {
            state.summaryDirty = false;
            Map<String, MirrorTable.RootDigest> digests = new LinkedHashMap<>();
            for (Roots.Root r : state.roots.all()) {
                digests.put(r.id(), state.table.digest(r.id()));
            }
            Messages.Summary s = new Messages.Summary(state.boot, generation.incrementAndGet(), digests);
            latestSummary = s;
            for (SyncGate.Peer p : state.gate.peers()) {
                PeerLink link = state.links.get(p.name);
                if (link != null && p.sending) {
                    link.summary(s);
                }
            }
            state.gate.updateAll(digests);
            for (InboundState.Session st : state.sessions.values()) {
                st.session.summary(s);
            }
            state.statusDirty = true;
        }
        if (state.refusals.changedSinceLast()) {
            state.statusDirty = true;
        }
        if (state.certificates != null && !state.certificates.held().equals(pairsPublished)) {
            // (held or let go on a recheck that changed no version)
            state.statusDirty = true;
        }
        if (state.statusDirty) {
            state.statusDirty = false;
            updateBehind();
            published = snapshot();
        }
    }

    MirrorStatus snapshot() {
        pairsPublished = state.certificates == null ? List.of() : state.certificates.held();
        return StatusView.render(new StatusView.Input(state.node, state.firstSync.getNow(null), state.roots, state.table,
                state.gate, state.guard, state.book.progress(), state.configVerdicts.rejected(),
                state.configVerdicts.refused(), state.refusals.list(), pairsPublished, state.clock.millis()));
    }

    /** Whether this node is behind a reachable peer (it then does not preempt); tells the listener of a change. */
    void updateBehind() {
        SyncGate.Behind b = state.gate.catchUp(state.book.wantedByPeer());
        if (b == null) {
            return;
        }
        behind = b.behind();
        if (b.behind()) {
            log.info("mirror: behind {}: {} file(s), {} to receive", b.peers(), b.files(), Receiving.size(b.bytes()));
        } else {
            log.info("mirror: caught up with every reachable peer");
        }
        try {
            behindListener.accept(b.behind());
        } catch (RuntimeException e) {
            log.warn("mirror: behind listener failed", e);
        }
    }

    double lag(String peer) {
        MirrorStatus s = published;
        if (s == null) {
            return 0;
        }
        for (MirrorStatus.PeerStatus p : s.peers()) {
            if (p.node().equals(peer)) {
                return p.inSync() ? 0 : Math.max(0, (state.clock.millis() - (p.lastSync() == null ? state.gate.boot()
                        : p.lastSync().toEpochMilli())) / 1000.0);
            }
        }
        return 0;
    }

    boolean inSync(String peer) {
        MirrorStatus s = published;
        return s != null && s.peers().stream().anyMatch(p -> p.node().equals(peer) && p.inSync());
    }

    /** The gauges read off the status published last. */
    void registerGauges(io.micrometer.core.instrument.MeterRegistry registry, List<String> peers) {
        io.micrometer.core.instrument.Gauge.builder("tandem_mirror_tracked_files", this, p -> {
            MirrorStatus st = p.published;
            return st == null ? 0 : st.paths().stream().mapToInt(MirrorStatus.PathStatus::files).sum();
        }).description("Files this node mirrors").register(registry);
        for (String p : peers) {
            io.micrometer.core.instrument.Gauge.builder("tandem_mirror_lag_seconds", this, e -> e.lag(p))
                    .description("0 while this node holds what the peer holds; else seconds since it last did")
                    .tag("peer", p).register(registry);
            io.micrometer.core.instrument.Gauge.builder("tandem_mirror_in_sync", this, e -> e.inSync(p) ? 1 : 0)
                    .description("1 while this node holds what the peer holds").tag("peer", p).register(registry);
        }
    }
}
