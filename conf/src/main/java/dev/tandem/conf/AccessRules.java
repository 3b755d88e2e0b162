package dev.tandem.conf;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Who may reach a site: client addresses ({@code deny} first, then {@code allow}: when {@code allow} is
 * given, every address outside it is refused), then HTTP basic auth. The client address is the one the
 * forwarding rules believe ({@code forwarding.trusted_proxies}), as X-Real-IP tells the upstream.
 *
 * @param allow     when not empty, the only addresses let in
 * @param deny      addresses refused, whatever {@code allow} says
 * @param basicAuth credentials asked of every request let in by address
 */
public record AccessRules(List<Cidr> allow, List<Cidr> deny, Optional<BasicAuth> basicAuth) {

    /** No rules: everyone in. */
    public static final AccessRules OPEN = new AccessRules(List.of(), List.of(), Optional.empty());

    public AccessRules {
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
    }

    /**
     * These rules (a route's) over {@code outer} (its site's), as nginx inherits {@code allow}/{@code deny} and
     * {@code auth_basic} into a {@code location}: the address lists, when these have any, replace the outer
     * ones whole (an address the site refuses may be let in by the route, and the other way round); basic auth,
     * when these ask for it, replaces the outer one. What these leave out is the outer rules'.
     */
    public AccessRules over(AccessRules outer) {
        boolean ownAddresses = !allow.isEmpty() || !deny.isEmpty();
        return new AccessRules(ownAddresses ? allow : outer.allow, ownAddresses ? deny : outer.deny,
                basicAuth.isPresent() ? basicAuth : outer.basicAuth);
    }

    public boolean isOpen() {
        return allow.isEmpty() && deny.isEmpty() && basicAuth.isEmpty();
    }

    /** Whether {@code client} passes the address rules (basic auth aside): deny first, then allow. */
    public boolean admits(InetAddress client) {
        for (Cidr c : deny) {
            if (c.contains(client)) {
                return false;
            }
        }
        if (allow.isEmpty()) {
            return true;
        }
        for (Cidr c : allow) {
            if (c.contains(client)) {
                return true;
            }
        }
        return false;
    }

    /**
     * HTTP basic auth (RFC 7617) against an htpasswd file of bcrypt entries ({@code htpasswd -B}). The file is
     * read again when it changes on disk, without a reload.
     *
     * @param realm    shown by browsers in the login prompt
     * @param htpasswd {@code user:$2y$...} lines
     */
    public record BasicAuth(String realm, Path htpasswd) {
    }
}
