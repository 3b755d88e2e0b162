package dev.tandem.cluster.mirror.internal;

/**
 * The protocol version a {@link PeerLink}'s next dial offers: the newest, but the oldest right after the peer
 * closed a hello of the newest unanswered (an older release, during a rolling upgrade). Each dial after that
 * offers the newest again, so that the peer's upgrade is noticed at its restart.
 *
 * <p>Pure; on the link's event loop.
 */
final class ProtocolChoice {

    private int offer = Handshake.PROTOCOL;

    /** The version the next dial offers. */
    int offer() {
        return offer;
    }

    /** A connection is up: the next dial offers the newest again. */
    void connected() {
        offer = Handshake.PROTOCOL;
    }

    /**
     * A dial was refused in the handshake, or closed before it completed.
     *
     * @param helloUnanswered whether the peer closed this side's hello without answering it
     * @return true when the next dial falls back to the oldest version (a hello of the newest went unanswered)
     */
    boolean refused(boolean helloUnanswered) {
        if (offer == Handshake.PROTOCOL && helloUnanswered) {
            offer = Handshake.OLDEST;
            return true;
        }
        offer = Handshake.PROTOCOL;
        return false;
    }
}
