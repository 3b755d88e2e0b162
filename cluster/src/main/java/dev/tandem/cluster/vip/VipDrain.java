package dev.tandem.cluster.vip;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * How a node that gives a VIP up (a handover, a stop, a more preferred peer taking it) lets that VIP's clients
 * go: their connections are told to close once idle, and the address stays until none is left (counting that
 * VIP's connections only, so that another VIP held here in active-active does not hold the drain up), or until
 * the drain limit, read when the drain begins so that a reload of it applies to the next one.
 */
public final class VipDrain {

    private final VipConnections connections;
    private final BooleanSupplier drained;
    private final Supplier<Duration> limit;

    /**
     * @param connections the VIPs' client connections
     * @param drained     an extra condition for every VIP (true when nothing else is in flight); {@code () -> true}
     *                    when the connections say it all
     * @param limit       the longest a drain waits, read as each drain begins
     */
    public VipDrain(VipConnections connections, BooleanSupplier drained, Supplier<Duration> limit) {
        this.connections = Objects.requireNonNull(connections);
        this.drained = Objects.requireNonNull(drained);
        this.limit = Objects.requireNonNull(limit);
    }

    /** The drain limit in force now. */
    public Duration limit() {
        return limit.get();
    }

    /** This node steps down for {@code vip}: its connections are told to close once idle. */
    public void stepDown(String vip) {
        connections.closeWhenIdle(vip);
    }

    /**
     * True once nothing of {@code vip} is left in flight. Each look tells connections accepted since the last one
     * to close once idle too (clients whose neighbour cache still points here keep arriving for a while).
     */
    public BooleanSupplier idle(String vip) {
        return () -> {
            connections.closeWhenIdle(vip);
            return connections.open(vip) == 0 && drained.getAsBoolean();
        };
    }
}
