package dev.tandem.conf;

/**
 * One upstream server.
 *
 * @param weight share of requests relative to the others (at least 1)
 * @param backup used only when no primary server is available
 * @param maxConnections requests at once to this server over every event loop (its own value, else the
 *                       upstream's); 0 = no limit
 */
public record ServerConfig(HostPort address, int weight, boolean backup, int maxConnections) {

    /** With the default connection limit. */
    public ServerConfig(HostPort address, int weight, boolean backup) {
        this(address, weight, backup, Defaults.MAX_CONNECTIONS);
    }
}
