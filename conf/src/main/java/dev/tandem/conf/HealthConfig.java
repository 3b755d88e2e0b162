package dev.tandem.conf;

import java.time.Duration;
import java.util.Optional;

/**
 * Active health checks for every server of an upstream.
 *
 * @param http an HTTP check; empty means a plain TCP connect check
 */
public record HealthConfig(Optional<HttpCheckConfig> http, Duration interval, Duration timeout, int rise, int fall) {
}
