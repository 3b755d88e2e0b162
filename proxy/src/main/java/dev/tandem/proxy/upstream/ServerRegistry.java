package dev.tandem.proxy.upstream;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every configured server's long-lived {@link ServerState}, so a reload keeps health, in-flight counts and
 * runtime changes of the servers it keeps. Changed only by reloads (one at a time); read by anyone.
 */
public final class ServerRegistry {

    private final Map<ServerKey, ServerState> states = new ConcurrentHashMap<>();
    private final MeterRegistry meters;

    public ServerRegistry(MeterRegistry meters) {
        this.meters = meters;
    }

    /** The state of {@code key}, created on first sight. */
    public ServerState obtain(ServerKey key) {
        return states.computeIfAbsent(key, k -> {
            ServerState state = new ServerState(k, new UpstreamServerMetrics(meters, k.upstream(), k.address().toString()));
            state.metrics().watch(meters, state);
            return state;
        });
    }

    /**
     * Retires and forgets every server not in {@code live}, and unregisters its meters: requests still in
     * flight to it count on meters no longer scraped.
     */
    public void retainOnly(Set<ServerKey> live) {
        states.values().removeIf(s -> {
            if (live.contains(s.key())) {
                return false;
            }
            s.retire();
            s.metrics().remove(meters);
            return true;
        });
    }

    public ServerState get(ServerKey key) {
        return states.get(key);
    }

    public Collection<ServerState> all() {
        return states.values();
    }
}
