package dev.tandem.conf;

import java.time.Duration;

/**
 * Limits on what a client may send.
 *
 * @param maxHeaderBytes       request line plus headers; more is a 431 (on HTTP/2: the header list size)
 * @param maxBodyBytes         request body; more is a 413, refused before the body is read
 * @param clientTimeout        between two successive reads from a client while a request is being received
 * @param keepaliveTimeout     how long an idle keep-alive client connection stays open (HTTP/2: with no stream open)
 * @param tunnelIdleTimeout    how long an upgraded connection (WebSocket) stays open with no byte either way
 * @param maxConcurrentStreams HTTP/2 streams one client connection may have open at once
 */
public record LimitsConfig(int maxHeaderBytes, long maxBodyBytes, Duration clientTimeout, Duration keepaliveTimeout,
                           Duration tunnelIdleTimeout, int maxConcurrentStreams) {

    /** Limits with the default tunnel idle timeout and HTTP/2 stream limit. */
    public LimitsConfig(int maxHeaderBytes, long maxBodyBytes, Duration clientTimeout, Duration keepaliveTimeout) {
        this(maxHeaderBytes, maxBodyBytes, clientTimeout, keepaliveTimeout, Defaults.TUNNEL_IDLE_TIMEOUT,
                Defaults.MAX_CONCURRENT_STREAMS);
    }
}
