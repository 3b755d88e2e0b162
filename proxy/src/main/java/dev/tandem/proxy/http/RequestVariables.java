package dev.tandem.proxy.http;

import dev.tandem.conf.ValueTemplate.Variable;
import dev.tandem.proxy.routing.Router;
import java.util.Objects;
import java.util.function.Function;

/**
 * The values of a request's variables ({@code $host}, {@code $uri}, ...) for header rules, returns and
 * redirects, as nginx defines them. Made per request only when a rule needs it.
 */
final class RequestVariables implements Function<Variable, String> {

    private final String host;
    private final String scheme;
    private final String target;
    private final String path;
    private final String remoteAddr;
    private final String node;

    /**
     * @param host      the request's host name as {@link Router#normalize} makes it of the Host or the
     *                  authority of the target, "" when there is none
     * @param target    the origin-form target as sent
     * @param path      the normalized decoded path (see {@link dev.tandem.proxy.routing.RoutePath})
     */
    RequestVariables(String host, String scheme, String target, String path, String remoteAddr, String node) {
        this.host = host;
        this.scheme = scheme;
        this.target = target;
        this.path = path;
        this.remoteAddr = remoteAddr;
        this.node = node;
    }

    /** Whether these are the variables of a request with these values. */
    boolean sameAs(String host, String scheme, String target, String path, String remoteAddr, String node) {
        return Objects.equals(this.target, target) && Objects.equals(this.path, path)
                && Objects.equals(this.host, host) && Objects.equals(this.scheme, scheme)
                && Objects.equals(this.remoteAddr, remoteAddr) && Objects.equals(this.node, node);
    }

    @Override
    public String apply(Variable v) {
        return switch (v) {
            case HOST -> host;
            case SCHEME -> scheme;
            case REQUEST_URI -> target;
            case URI -> path;
            case ARGS -> {
                int q = target.indexOf('?');
                yield q < 0 ? "" : target.substring(q + 1);
            }
            case REMOTE_ADDR -> remoteAddr;
            case NODE -> node;
        };
    }
}
