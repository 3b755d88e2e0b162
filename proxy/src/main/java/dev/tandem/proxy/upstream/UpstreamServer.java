package dev.tandem.proxy.upstream;

import dev.tandem.conf.ServerConfig;
import java.net.InetSocketAddress;

/**
 * A server as one config snapshot sees it: its configured weight and role, its resolved address, and the
 * {@link ServerState} it shares with every other snapshot that configures it.
 *
 * @param index position within its group's primaries or backups, used by per-loop balancer state
 */
public record UpstreamServer(ServerConfig config, InetSocketAddress address, ServerState state, int index) {

    /** The weight in force: the runtime override when an operator set one, else the configured weight. */
    public int weight() {
        int w = state.weightOverride();
        return w >= 0 ? w : config.weight();
    }

    /** True when this server may take a new request at {@code nanoTime}. */
    public boolean available(long nanoTime) {
        return !state.drained() && weight() > 0 && state.health().allowsTraffic(nanoTime);
    }

    /** Available but for passive failure accounting, which is a heuristic and gives way when nothing else is left. */
    boolean availableIgnoringPassive() {
        return !state.drained() && weight() > 0 && state.health().active().allowsTraffic();
    }

    /**
     * Available but for passive failure accounting, and when that took it out, its next probe is due: what a
     * selection may pick when every server is out.
     */
    boolean probeable(long nanoTime) {
        return availableIgnoringPassive() && state.health().passive().mayProbe(nanoTime);
    }

    /** True when the server has a connection slot free under its {@code max_connections}. */
    boolean hasRoom() {
        int max = config.maxConnections();
        return max <= 0 || state.inFlight() < max;
    }

    /** The server's address as written in the config (the same address as its state's key). */
    public String label() {
        return state.label();
    }
}
