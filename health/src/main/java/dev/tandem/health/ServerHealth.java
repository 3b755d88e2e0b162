package dev.tandem.health;

import java.time.Instant;

/**
 * Everything known about one upstream server's health: passive failure accounting from live traffic and
 * the verdict of active checks. Lives as long as the server stays configured, across reloads, so a reload
 * keeps what checks found out.
 *
 * <p>The active verdict is published as one immutable {@link ActiveStatus} behind a volatile field: its
 * checker (confined to one event loop) replaces it on a transition only, and the balancer reads it with one
 * volatile load per candidate. This is the "immutable view, published on change" of the design, kept per
 * server rather than as one map per upstream because no decision on the request path needs several
 * servers' states to be mutually consistent (a pick that sees one server a transition late is as correct
 * as a pick made a moment earlier), while a map would cost a copy per transition and a lookup per
 * candidate on every request.
 */
public final class ServerHealth {

    private final PassiveFailures passive = new PassiveFailures();
    private volatile ActiveStatus active = new ActiveStatus(ActiveState.UNKNOWN, "not checked yet", Instant.now());

    public PassiveFailures passive() {
        return passive;
    }

    /** The active verdict alone. */
    public ActiveState active() {
        return active.state();
    }

    /** The active verdict with its reason and time. */
    public ActiveStatus status() {
        return active;
    }

    /** Publishes a new verdict of the active checks. */
    public void publish(ActiveStatus status) {
        this.active = status;
    }

    /** Publishes {@code state} as set by hand (tests, operators), with no check behind it. */
    public void active(ActiveState state) {
        publish(new ActiveStatus(state, "set", Instant.now()));
    }

    /** True when neither active checks nor passive accounting keep traffic away at {@code nanoTime}. */
    public boolean allowsTraffic(long nanoTime) {
        return active.state().allowsTraffic() && !passive.isDown(nanoTime);
    }
}
