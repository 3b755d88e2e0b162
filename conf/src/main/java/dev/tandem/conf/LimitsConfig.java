package dev.tandem.conf;

import java.time.Duration;

/**
 * Limits on what a client may send.
 *
 * @param maxHeaderBytes   request line plus headers; more is a 431
 * @param maxBodyBytes     request body; more is a 413, refused before the body is read
 * @param clientTimeout    between two successive reads from a client while a request is being received
 * @param keepaliveTimeout how long an idle keep-alive client connection stays open
 */
public record LimitsConfig(int maxHeaderBytes, long maxBodyBytes, Duration clientTimeout, Duration keepaliveTimeout) {
}
