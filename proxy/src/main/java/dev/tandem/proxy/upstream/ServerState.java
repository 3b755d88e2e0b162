package dev.tandem.proxy.upstream;

import dev.tandem.health.ServerHealth;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The part of a server that outlives a config reload: health, requests in flight, and what an operator
 * changed at runtime. Shared by every event loop, so every field is atomic or volatile.
 */
public final class ServerState {

    private final ServerKey key;
    private final ServerHealth health = new ServerHealth();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final UpstreamServerMetrics metrics;
    private volatile boolean drained;
    private volatile int weightOverride = -1;
    private volatile int configuredWeight = 1;
    private volatile boolean retired;

    public ServerState(ServerKey key, UpstreamServerMetrics metrics) {
        this.key = key;
        this.metrics = metrics;
    }

    public ServerKey key() {
        return key;
    }

    public ServerHealth health() {
        return health;
    }

    public int inFlight() {
        return inFlight.get();
    }

    public void requestStarted() {
        inFlight.incrementAndGet();
    }

    public void requestEnded() {
        inFlight.decrementAndGet();
    }

    public UpstreamServerMetrics metrics() {
        return metrics;
    }

    /** A drained server takes no new requests; those in flight finish. */
    public boolean drained() {
        return drained;
    }

    public void drained(boolean drained) {
        this.drained = drained;
    }

    /** The weight set at runtime, or -1 when the configured weight applies. */
    public int weightOverride() {
        return weightOverride;
    }

    public void weightOverride(int weight) {
        this.weightOverride = weight;
    }

    /** The weight the config in force gives this server. */
    public int configuredWeight() {
        return configuredWeight;
    }

    public void configuredWeight(int weight) {
        this.configuredWeight = weight;
    }

    /** The weight in force: the runtime override when an operator set one, else the configured weight. */
    public int weight() {
        int w = weightOverride;
        return w >= 0 ? w : configuredWeight;
    }

    /** A retired server was removed from the config: its pooled connections close instead of being reused. */
    public boolean retired() {
        return retired;
    }

    void retire() {
        retired = true;
    }
}
