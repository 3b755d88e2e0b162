package dev.tandem.conf;

/**
 * One upstream server.
 *
 * @param weight share of requests relative to the others (at least 1)
 * @param backup used only when no primary server is available
 */
public record ServerConfig(HostPort address, int weight, boolean backup) {
}
