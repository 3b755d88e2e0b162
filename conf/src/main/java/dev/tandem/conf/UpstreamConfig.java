package dev.tandem.conf;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A group of upstream servers and how requests are spread over them.
 *
 * @param keepalive   idle connections kept per server per event loop
 * @param idleTimeout how long an idle pooled connection is kept before it is closed
 * @param retries     further attempts on other servers, when a retry is safe
 * @param maxConnections requests (connections in use) at once per server, over every event loop, unless the
 *                    server sets its own; 0 = no limit
 * @param queue       where requests wait for a server at its limit
 */
public record UpstreamConfig(
        String name,
        Balance balance,
        List<ServerConfig> servers,
        int keepalive,
        Duration idleTimeout,
        UpstreamTimeouts timeouts,
        PassiveConfig passive,
        int retries,
        Optional<HealthConfig> health,
        int maxConnections,
        QueueConfig queue) {

    public UpstreamConfig {
        servers = List.copyOf(servers);
    }

    /** With the default connection limit and queue. */
    public UpstreamConfig(String name, Balance balance, List<ServerConfig> servers, int keepalive, Duration idleTimeout,
            UpstreamTimeouts timeouts, PassiveConfig passive, int retries, Optional<HealthConfig> health) {
        this(name, balance, servers, keepalive, idleTimeout, timeouts, passive, retries, health,
                Defaults.MAX_CONNECTIONS, new QueueConfig(Defaults.QUEUE_LIMIT, Defaults.QUEUE_TIMEOUT));
    }
}
