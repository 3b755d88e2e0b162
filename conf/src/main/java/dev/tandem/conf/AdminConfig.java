package dev.tandem.conf;

import java.util.Optional;

/**
 * The admin listener: metrics, status, dashboard and the API.
 *
 * @param token bearer token the API requires; mandatory when bound to a non-loopback address
 */
public record AdminConfig(HostPort bind, Optional<String> token) {
}
