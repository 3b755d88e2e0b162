package dev.tandem.health.internal;

import dev.tandem.health.ActiveState;
import dev.tandem.health.ServerHealth;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The health meters of every configured server, checked or not: {@code tandem_upstream_server_up} (1 when
 * active checks say up or have not decided, or the upstream has none; 0 when they say down; passive
 * penalties do not show here) and {@code tandem_health_transitions_total{upstream,server,to}}.
 */
public final class ServerMeters {

    private final MeterRegistry registry;
    private final Gauge up;
    private final Map<ActiveState, Counter> transitions = new EnumMap<>(ActiveState.class);

    /** @param health the server's current health (read at each scrape; it may be replaced) */
    public ServerMeters(MeterRegistry registry, String upstream, String server, Supplier<ServerHealth> health) {
        this.registry = registry;
        this.up = Gauge.builder("tandem.upstream.server.up", health, h -> h.get().active() == ActiveState.DOWN ? 0 : 1)
                .description("1 when active health checks count the server as up (or have not decided yet), 0 when down")
                .tag("upstream", upstream).tag("server", server)
                .strongReference(true)
                .register(registry);
        for (ActiveState s : ActiveState.values()) {
            transitions.put(s, Counter.builder("tandem.health.transitions")
                    .description("Changes of an upstream server's active health state, by the state entered")
                    .tag("upstream", upstream).tag("server", server).tag("to", s.name().toLowerCase(Locale.ROOT))
                    .register(registry));
        }
    }

    public void transition(ActiveState to) {
        transitions.get(to).increment();
    }

    public void remove() {
        registry.remove(up);
        transitions.values().forEach(registry::remove);
    }
}
