package dev.tandem.health;

/**
 * Everything known about one upstream server's health: passive failure accounting from live traffic and
 * the verdict of active checks. Lives as long as the server stays configured, across reloads.
 */
public final class ServerHealth {

    private final PassiveFailures passive = new PassiveFailures();
    private volatile ActiveState active = ActiveState.UNKNOWN;

    public PassiveFailures passive() {
        return passive;
    }

    public ActiveState active() {
        return active;
    }

    /** Publishes the verdict of the active checks. */
    public void active(ActiveState state) {
        this.active = state;
    }

    /** True when neither active checks nor passive accounting keep traffic away at {@code nanoTime}. */
    public boolean allowsTraffic(long nanoTime) {
        return active.allowsTraffic() && !passive.isDown(nanoTime);
    }
}
