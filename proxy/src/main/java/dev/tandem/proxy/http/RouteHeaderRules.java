package dev.tandem.proxy.http;

import dev.tandem.proxy.runtime.HeaderRuleSet;
import dev.tandem.proxy.runtime.Route;
import dev.tandem.proxy.routing.Router;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Objects;

/**
 * The header rules of a request's route, written on one connection's requests towards the upstream and on
 * every response the client gets for them: the upstream's, the disk's and Tandem's own (error pages, returns
 * and redirects, maintenance, 401 and 403), as nginx's {@code add_header ... always} does, so that security
 * headers such as {@code X-Frame-Options} or {@code Strict-Transport-Security} are on every answer a site
 * gives. Before a route is chosen (a path that cannot be normalized) the site's own rules apply; before a site
 * is known (a request that cannot be read, an unknown host, the redirect to https) none do.
 *
 * <p>The request's variables are made when a rule first needs them, and shared with the connection's next
 * request when that has the same ones (a client asking for the same target again); {@code $host} is worked
 * out once per connection while its requests name the same host.
 */
final class RouteHeaderRules {

    private final ListenerContext listener;
    private final ForwardingHeaders forwarding;
    /** The last authority whose {@code $host} was worked out, and that host: a connection's requests mostly share one. */
    private String authority;
    private String host = "";
    /** The last request's variables: immutable, so the next request asking for the same ones shares them. */
    private RequestVariables last;

    RouteHeaderRules(ListenerContext listener, ForwardingHeaders forwarding) {
        this.listener = listener;
        this.forwarding = forwarding;
    }

    /** The request rules of {@code e}'s route on the head that goes upstream. */
    void request(Exchange e, HttpHeaders h) {
        apply(e, e.route.requestRules(), h);
    }

    /** The response rules in force for {@code e} on a response about to leave. */
    void response(Exchange e, HttpHeaders h) {
        if (e.site == null) {
            return;
        }
        Route route = e.route != null ? e.route : e.site.own();
        apply(e, route.responseRules(), h);
    }

    private void apply(Exchange e, HeaderRuleSet rules, HttpHeaders h) {
        if (rules.isEmpty()) {
            return;
        }
        int dropped = rules.apply(h, variables(e));
        if (dropped > 0) {
            e.site.headerRuleDrops().increment(dropped);
        }
    }

    /** The variables of {@code e}, which has a site and a target. */
    RequestVariables variables(Exchange e) {
        if (e.variables == null) {
            String host = host(e.target.host());
            RequestVariables v = last;
            if (v == null || !v.sameAs(host, listener.scheme(), e.target.target(), e.path, forwarding.client(),
                    listener.node())) {
                v = new RequestVariables(host, listener.scheme(), e.target.target(), e.path, forwarding.client(),
                        listener.node());
                last = v;
            }
            e.variables = v;
        }
        return e.variables;
    }

    /** {@code $host} of {@code authority}: the bare lower-case name, "" when there is none. */
    private String host(String authority) {
        if (!Objects.equals(authority, this.authority)) {
            String h = Router.normalize(authority);
            host = h == null ? "" : h;
            this.authority = authority;
        }
        return host;
    }
}
