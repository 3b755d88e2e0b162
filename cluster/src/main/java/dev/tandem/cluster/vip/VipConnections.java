package dev.tandem.cluster.vip;

/**
 * The client connections a node serves on its VIPs, as the cluster needs to see them when it gives a VIP up:
 * the data plane implements it (the cluster does not know about it otherwise). Called off the event loops;
 * neither method may wait.
 */
public interface VipConnections {

    /** No data plane to ask: nothing is ever open. */
    VipConnections NONE = new VipConnections() {
        @Override
        public int open(String vip) {
            return 0;
        }

        @Override
        public void closeWhenIdle(String vip) {
        }
    };

    /** Open client connections whose local address is {@code vip} (an address without prefix length). */
    int open(String vip);

    /**
     * This node gives {@code vip} up: each of its connections is to close once idle (after its next response,
     * at once when idle between requests; HTTP/2 by GOAWAY). Connections accepted after the call are reached by
     * calling it again.
     */
    void closeWhenIdle(String vip);
}
