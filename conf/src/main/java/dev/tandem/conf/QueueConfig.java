package dev.tandem.conf;

import java.time.Duration;

/**
 * Where requests wait when every connection a server may have is in use (HAProxy's server queue with
 * {@code timeout queue}): at most {@code limit} requests per server wait, each for at most {@code timeout};
 * beyond either they are answered 503 with {@code Retry-After}. {@code limit = 0} queues nothing.
 */
public record QueueConfig(int limit, Duration timeout) {
}
