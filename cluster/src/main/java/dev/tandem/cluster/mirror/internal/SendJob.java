package dev.tandem.cluster.mirror.internal;

/** One thing a {@link SendQueue} sends, resumed on the link's event loop whenever the socket may take more. */
abstract class SendJob {

    boolean finished;

    abstract void resume();

    /** The connection closed: whatever the job holds is let go, and nothing more is written. */
    void cancel() {
    }
}
