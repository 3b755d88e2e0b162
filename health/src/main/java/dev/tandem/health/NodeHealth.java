package dev.tandem.health;

/**
 * Whether this node can serve its sites: the signal the cluster tracks to give its VIPs away when it
 * cannot, and to take them back when it can again.
 */
public interface NodeHealth {

    /**
     * The reason given while the node stops on purpose. A planned stop is no fault: it is logged at INFO, so
     * that {@code journalctl -p warning} shows only what went wrong.
     */
    String STOPPING = "stopping";

    /** True when this node can serve traffic now. */
    boolean canServe();

    /** Why the node cannot serve (for logs and status), or an empty string when it can. */
    String reason();

    /** Calls {@code onChange} (on any thread) whenever {@link #canServe()} may have changed. */
    void addListener(Runnable onChange);
}
