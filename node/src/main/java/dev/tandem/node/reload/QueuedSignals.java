package dev.tandem.node.reload;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node's signals ask, from the first instant of {@code tandem run} on: before the node runs (the config
 * loading, the listeners binding, the cluster joining), a SIGHUP is queued and a SIGTERM too; both are
 * applied once it runs. Neither is ever the JVM's default action (SIGHUP's is to exit), so that a
 * {@code systemctl reload} right after a start never stops the service, and a stop during a start is a
 * planned stop, not a kill.
 */
public final class QueuedSignals {

    private static final Logger log = LoggerFactory.getLogger(QueuedSignals.class);

    /** The running node, as the signals see it. Called with this object's lock held: hand the work on. */
    public interface Target {
        void reload();

        void stop();
    }

    private Target target;
    private boolean reloadQueued;
    private boolean stopQueued;

    /** SIGHUP. */
    public synchronized void reload() {
        if (target != null) {
            target.reload();
        } else if (!reloadQueued) {
            reloadQueued = true;
            log.info("SIGHUP before the config is in force: the reload waits until the node runs");
        }
    }

    /** SIGTERM, SIGINT. */
    public synchronized void stop() {
        if (target != null) {
            target.stop();
        } else if (!stopQueued) {
            stopQueued = true;
            log.info("stop asked during the start: the node stops as soon as it runs");
        }
    }

    /**
     * The node runs: signals go to {@code running} from now on, and what was queued is applied at once (a stop
     * only, when both were: the reload of a node that stops is moot).
     */
    public synchronized void running(Target running) {
        target = running;
        if (stopQueued) {
            running.stop();
        } else if (reloadQueued) {
            log.info("applying the SIGHUP that came during the start");
            running.reload();
        }
        reloadQueued = false;
        stopQueued = false;
    }
}
