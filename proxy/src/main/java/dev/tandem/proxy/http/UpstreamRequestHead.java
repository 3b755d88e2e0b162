package dev.tandem.proxy.http;

import dev.tandem.proxy.routing.RoutePath;
import dev.tandem.proxy.runtime.Route;
import dev.tandem.proxy.runtime.RuntimeConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;

/**
 * What of the client's request head goes upstream, made once per request (a retry sends the same head again):
 * the client's hop-by-hop headers out and the proxy's own in, the route's header rules, the forwarding
 * headers (as octets the upstream encoder writes, see {@link ForwardedRequest}), the target the route rewrites
 * to. The client's headers are changed in place and go on in the same object, never copied. Apart from
 * {@link UpstreamEndpoint} because it is the one place that decides what a server is told of a request, and
 * reads best on its own.
 */
final class UpstreamRequestHead {

    private static final AsciiString HTTP2_SETTINGS = AsciiString.cached("http2-settings");

    private UpstreamRequestHead() {
    }

    /** The request head as it goes upstream: HTTP/1.1, origin-form, hop-by-hop headers replaced by ours. */
    static ForwardedRequest of(ConnectionState c, Exchange e, HttpRequest request, RequestTarget target) {
        RuntimeConfig config = e.config;
        HttpHeaders h = request.headers();
        HopByHopHeaders.strip(h);
        UnderscoredHeaders.strip(h, config.config().forwarding().underscoresInHeaders());
        h.remove(HttpHeaderNames.EXPECT);
        // Meaningful only with an h2c upgrade, which never goes upstream (see UpgradeOffer).
        h.remove(HTTP2_SETTINGS);
        if (e.upgrade != null) {
            // Hop-by-hop, but the one case where they must reach the server: the upgrade is its to accept.
            h.set(HttpHeaderNames.UPGRADE, e.upgrade.upstream());
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        }
        Route route = e.route;
        c.headerRules.request(e, h);
        if (e.chunked) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        // Host (the one the request was routed by) and the forwarding fields are written by the upstream encoder
        // in place of the client's, not set here: see ForwardedRequest.
        String host = target.host();
        byte[] forwarding = c.forwarding.fields(h, c.listener.scheme(), host, config.config().forwarding());
        // A rewritten target is built from the normalized path, encoded again, with the query as sent.
        String uri = route.replacePrefix() == null ? target.target()
                : RoutePath.target(route.rewrite(e.path), target.target());
        return new ForwardedRequest(request.method(), uri, h, host, forwarding, e.chunked);
    }
}
