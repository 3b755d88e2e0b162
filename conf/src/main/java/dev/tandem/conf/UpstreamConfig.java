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
        Optional<HealthConfig> health) {

    public UpstreamConfig {
        servers = List.copyOf(servers);
    }
}
