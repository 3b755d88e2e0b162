package dev.tandem.conf;

import java.time.Duration;

/**
 * How the node stops on {@code SIGTERM}.
 *
 * @param drainTimeout how long requests in flight may take to finish once the listeners stop accepting;
 *                     connections still busy after it are cut
 */
public record ShutdownConfig(Duration drainTimeout) {
}
