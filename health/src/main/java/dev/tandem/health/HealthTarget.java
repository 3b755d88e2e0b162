package dev.tandem.health;

import dev.tandem.conf.HealthConfig;
import dev.tandem.conf.HostPort;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * One configured upstream server as the health checks see it.
 *
 * @param upstream the upstream's name
 * @param address  the server's address as configured (names the server in logs and metrics; the default
 *                 Host header of HTTP checks)
 * @param resolved where checks connect, resolved off the event loops
 * @param checks   the upstream's active checks; empty when it has none
 * @param health   the server's long-lived health, where verdicts are published
 */
public record HealthTarget(String upstream, HostPort address, InetSocketAddress resolved, Optional<HealthConfig> checks,
                           ServerHealth health) {

    public HealthTarget {
        Objects.requireNonNull(upstream, "upstream");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(resolved, "resolved");
        Objects.requireNonNull(checks, "checks");
        Objects.requireNonNull(health, "health");
    }

    /** {@code upstream/address}, as in logs. */
    public String label() {
        return upstream + "/" + address;
    }
}
