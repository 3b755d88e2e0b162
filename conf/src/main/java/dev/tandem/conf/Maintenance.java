package dev.tandem.conf;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A site's maintenance mode: while it is on, every request is answered 503 with {@code Retry-After} and the
 * maintenance page, except those from a client address in {@code allow} (the operators, a monitoring host),
 * which are served as usual. {@code tandem maintenance on|off SITE} switches it at run time, over this.
 *
 * @param enabled    on from the config
 * @param page       the maintenance page; absent: the site's 503 page, else the built-in one
 * @param allow      client addresses served as usual while maintenance is on
 * @param retryAfter the {@code Retry-After} of the 503, in whole seconds
 */
public record Maintenance(boolean enabled, Optional<Path> page, List<Cidr> allow, Duration retryAfter) {

    /** No maintenance block: off, with the defaults for a switch at run time. */
    public static final Maintenance OFF = new Maintenance(false, Optional.empty(), List.of(), Defaults.MAINTENANCE_RETRY_AFTER);

    public Maintenance {
        allow = List.copyOf(allow);
    }

    /** Whether {@code client} is let through while maintenance is on. */
    public boolean allows(InetAddress client) {
        for (Cidr c : allow) {
            if (c.contains(client)) {
                return true;
            }
        }
        return false;
    }
}
