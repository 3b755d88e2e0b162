package dev.tandem.conf;

import java.time.Duration;

/**
 * @param connect establishing a connection to a server
 * @param read    between two successive reads from a server (the wait for the response head included)
 * @param write   between two successive writes to a server
 */
public record UpstreamTimeouts(Duration connect, Duration read, Duration write) {
}
