package dev.tandem.proxy.upstream;

import dev.tandem.health.ServerHealth;
import dev.tandem.proxy.log.RateLimitedLog;
import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The part of a server that outlives a config reload: health, requests in flight, and what an operator
 * changed at runtime. Shared by every event loop, so every field is atomic or volatile.
 */
public final class ServerState {

    static final Duration LOG_EVERY = Duration.ofSeconds(10);

    private final ServerKey key;
    /** The server's address as logs and the access log write it: made once, not per request. */
    private final String label;
    private final ServerHealth health = new ServerHealth();
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Requests waiting for a slot, over every event loop. */
    private final AtomicInteger queued = new AtomicInteger();
    /** One per event loop that queues for this server: told when a slot frees while requests wait. */
    private final CopyOnWriteArrayList<Runnable> slotListeners = new CopyOnWriteArrayList<>();
    private final UpstreamServerMetrics metrics;
    /** Failures of this server: at most one line per reason per 10 s, whatever the number of requests. */
    private final RateLimitedLog<String> lines = new RateLimitedLog<>(LOG_EVERY);
    private volatile boolean drained;
    private volatile int weightOverride = -1;
    private volatile int configuredWeight = 1;
    private volatile boolean retired;

    public ServerState(ServerKey key, UpstreamServerMetrics metrics) {
        this.key = key;
        this.label = key.address().toString();
        this.metrics = metrics;
    }

    /** The server's address as written in the config. */
    public String label() {
        return label;
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

    /** Takes a slot whatever the limit (a request that already held one and must start over on this server). */
    public void requestStarted() {
        inFlight.incrementAndGet();
    }

    /**
     * Takes a slot when fewer than {@code maxConnections} are taken.
     *
     * @param maxConnections the server's limit; 0 = none
     */
    public boolean tryStart(int maxConnections) {
        if (maxConnections <= 0) {
            inFlight.incrementAndGet();
            return true;
        }
        for (;;) {
            int n = inFlight.get();
            if (n >= maxConnections) {
                return false;
            }
            if (inFlight.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives a slot back; a request waiting for one, on whichever event loop, is told. */
    public void requestEnded() {
        inFlight.decrementAndGet();
        // Decrement first, then look: a waiter that queues concurrently looks at inFlight after it counted
        // itself in, so one of the two always sees the other.
        if (queued.get() > 0) {
            for (Runnable l : slotListeners) {
                l.run();
            }
        }
    }

    /** Counts a request into the queue when fewer than {@code limit} wait. */
    boolean tryQueue(int limit) {
        for (;;) {
            int n = queued.get();
            if (n >= limit) {
                return false;
            }
            if (queued.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void unqueued() {
        queued.decrementAndGet();
    }

    /** Requests waiting for a slot. */
    public int queued() {
        return queued.get();
    }

    void addSlotListener(Runnable listener) {
        slotListeners.add(listener);
    }

    void removeSlotListener(Runnable listener) {
        slotListeners.remove(listener);
    }

    /**
     * Counts one event of {@code reason} on this server for the log.
     *
     * @return {@link RateLimitedLog#QUIET} when it makes no line, else how many events the line stands for
     */
    public long logLine(String reason, long nanoTime) {
        return lines.record(reason, nanoTime);
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
