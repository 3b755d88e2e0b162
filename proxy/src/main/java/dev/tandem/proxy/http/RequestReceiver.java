package dev.tandem.proxy.http;

import dev.tandem.conf.FixedResponse;
import dev.tandem.conf.HttpsRedirect;
import dev.tandem.conf.ListenerConfig;
import dev.tandem.proxy.routing.RoutePath;
import dev.tandem.proxy.runtime.Route;
import dev.tandem.proxy.runtime.RuntimeConfig;
import dev.tandem.proxy.runtime.Site;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes each decoded request of a connection and decides what answers it: the checks on what was asked
 * ({@link RequestTarget}), {@code redirect_https}, the site and its route, the route's guard (maintenance,
 * access rules), a route's own {@code return} or {@code redirect}; then hands it on to the disk or the
 * {@link UpstreamEndpoint}. The request body passes here on its way to the server, to be checked and
 * counted. Nothing of an exchange with a server lives here, so these decisions read apart from it.
 */
final class RequestReceiver {

    /** Logged as the proxy handler, as before its parts were split: operators' filters name it. */
    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);
    /** Headers the HTTP/2 stream codec adds for its own bookkeeping ({@code x-http2-stream-id}, ...). */
    private static final String HTTP2_EXTENSION_PREFIX = "x-http2-";

    private final ConnectionState c;
    private final ExchangeTimers timers;
    private final UpstreamEndpoint endpoint;
    private final ResponseWriter writer;

    RequestReceiver(ConnectionState c, ExchangeTimers timers, UpstreamEndpoint endpoint, ResponseWriter writer) {
        this.c = c;
        this.timers = timers;
        this.endpoint = endpoint;
        this.writer = writer;
    }

    /** A request head: a new exchange, unless one is under way or the connection closes after its answer. */
    void onRequest(HttpRequest request) {
        if (c.ex != null || c.closeAfterResponse) {
            return;
        }
        long now = System.nanoTime();
        RuntimeConfig config = c.listener.config();
        Exchange e = new Exchange(config, config.runtimeListener(c.listener.name()), request, now,
                c.stream ? "HTTP/2.0" : request.protocolVersion().text(), c.listener.accessLog() != null);
        c.ex = e;
        if (c.stream) {
            fromHttp2(request);
        }

        if (request.decoderResult().isFailure()) {
            // Nothing of a request that failed to decode can be trusted, its framing headers least of all.
            Throwable cause = request.decoderResult().cause();
            HttpResponseStatus status = cause instanceof TooLongFrameException
                    ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE : HttpResponseStatus.BAD_REQUEST;
            log.info("client {} sent a bad request ({}): {}", c.remote, status.code(), cause.getMessage());
            writer.respondError(e, status, true);
            return;
        }
        e.clientKeepAlive = !c.stream && HttpUtil.isKeepAlive(request) && !c.draining();
        e.chunked = HttpUtil.isTransferEncodingChunked(request);
        e.bodyExpected = e.chunked || HttpUtil.getContentLength(request, 0L) > 0;
        RequestTarget target = RequestTarget.check(request, config.config().limits(), c.stream ? null : c.defaultHost);
        if (target.status() != 0) {
            log.info("client {} request refused ({}): {}", c.remote, target.status(), target.reason());
            writer.respondError(e, HttpResponseStatus.valueOf(target.status()), true);
            return;
        }
        e.expectContinue = request.headers().contains(HttpHeaderNames.EXPECT)
                && request.protocolVersion().equals(HttpVersion.HTTP_1_1);
        ListenerConfig options = e.listener != null ? e.listener.options() : null;
        if (options != null && options.redirectHttps().isPresent()) {
            redirectToHttps(e, target, options.redirectHttps().get());
            return;
        }
        Site site = config.route(target.host());
        e.site = site;
        serve(e, request, target);
    }

    /** Serves a request: by its site's routes, each request through its route's guard (see {@link #dispatch}). */
    private void serve(Exchange e, HttpRequest request, RequestTarget target) {
        Site site = e.site;
        if (!c.stream) {
            offerUpgrade(e, request, site);
        }
        if (site == null) {
            writer.respondError(e, HttpResponseStatus.NOT_FOUND, e.bodyExpected);
            return;
        }
        dispatch(e, request, target, site);
    }

    // ---- within the site: its routes ----

    /**
     * Chooses the site's route by the request's normalized path (see {@link RoutePath}), lets the route's guard
     * look at it (the site's maintenance, then the access rules in force for the route: so a route's
     * {@code return} is behind them too), and hands it to what the route says: a fixed answer, the disk, or an
     * upstream.
     */
    private void dispatch(Exchange e, HttpRequest request, RequestTarget target, Site site) {
        e.target = target;
        String path = RoutePath.normalize(target.target());
        if (path == null) {
            if (!site.routes().isEmpty()) {
                // Which route such a path belongs to cannot be told; nginx answers it 400 too.
                log.info("client {} {} {}: a path that cannot be normalized (a NUL, or .. above the root)", c.remote,
                        e.method, e.uri);
                writer.respondError(e, HttpResponseStatus.BAD_REQUEST, true);
                return;
            }
            path = RoutePath.pathOf(target.target());
        }
        Route route = site.route(path);
        e.route = route;
        e.path = path;
        if (route.requests() != null) {
            route.requests().increment();
        }
        if (route.guard().guards()) {
            route.guard().admit(new GuardStep(request, c.forwarding, e.config.config().forwarding(), c.ctx.executor(),
                    () -> c.serving(e), () -> answerRoute(e, request, target, site, route),
                    (status, page, extra) -> writer.respond(e, status, page, extra, e.bodyExpected)));
            return;
        }
        answerRoute(e, request, target, site, route);
    }

    /** Hands a request its route's guard let through to what the route says. */
    private void answerRoute(Exchange e, HttpRequest request, RequestTarget target, Site site, Route route) {
        if (route.fixed() != null) {
            respondFixed(e, route.fixed());
            return;
        }
        if (route.files() != null && route.files().wants(request.method(), target.target())) {
            // A route's root serves the path the route was chosen by (nginx looks up $uri), its prefix replaced
            // when it says so (nginx alias); the site's own static path, older than routes, looks up the path as
            // sent and refuses dot segments in it.
            String lookup = route == site.own() ? target.target()
                    : RoutePath.target(route.replacePrefix() == null ? e.path : route.rewrite(e.path), target.target());
            route.files().serve(new StaticCall(c, timers, writer, endpoint, e, request, target), request, lookup);
            return;
        }
        endpoint.toUpstream(e, request, target);
    }

    /** A route's {@code return} or {@code redirect}: answered here, the request body (if any) left unread. */
    private void respondFixed(Exchange e, FixedResponse fixed) {
        timers.clientOwesNothing();
        // A body is not read: the connection cannot carry another request after it.
        boolean close = c.closeAfterResponse || e.bodyExpected || !e.clientKeepAlive || c.draining();
        FullHttpResponse r = FixedResponses.of(fixed, c.headerRules.variables(e), close && !c.stream, e.isHead());
        if (r == null) {
            // $uri decoded a %0d%0a: such a Location would split the response.
            e.site.headerRuleDrops().increment();
            log.info("client {} {} {}: redirect refused, its Location would hold control characters", c.remote,
                    e.method, e.uri);
            writer.respondError(e, HttpResponseStatus.BAD_REQUEST, true);
            return;
        }
        c.closeAfterResponse = close;
        c.headerRules.response(e, r.headers());
        writer.addHsts(e, r.headers());
        e.status = r.status().code();
        e.responseStarted = true;
        e.responseComplete = true;
        e.source = "tandem";
        e.responseBytes = r.content().readableBytes();
        writer.send(r);
    }

    /** {@code redirect_https}: 301 to the same host (without its port) and target over https. */
    private void redirectToHttps(Exchange e, RequestTarget target, HttpsRedirect redirect) {
        timers.clientOwesNothing();
        if (target.host() == null) {
            writer.respondError(e, HttpResponseStatus.BAD_REQUEST, true);
            return;
        }
        String host = hostWithoutPort(target.host());
        String location = "https://" + host + (redirect.port().isPresent() && redirect.port().getAsInt() != 443
                ? ":" + redirect.port().getAsInt() : "") + target.target();
        if (e.bodyExpected || !e.clientKeepAlive || c.draining()) {
            // A body is not read: the connection cannot carry another request after it.
            c.closeAfterResponse = true;
        }
        e.status = 301;
        e.responseStarted = true;
        e.responseComplete = true;
        e.source = "tandem";
        FullHttpResponse r = ErrorResponses.of(HttpResponseStatus.MOVED_PERMANENTLY, c.closeAfterResponse, e.isHead());
        r.headers().set(HttpHeaderNames.LOCATION, location);
        e.responseBytes = r.content().readableBytes();
        writer.send(r);
    }

    private static String hostWithoutPort(String authority) {
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            return authority.substring(0, close + 1);
        }
        int colon = authority.indexOf(':');
        return colon < 0 ? authority : authority.substring(0, colon);
    }

    /**
     * What of the client's upgrade goes upstream (see {@link UpgradeOffer}): {@code e.upgrade} when something
     * does; what was removed is counted. The request's own Upgrade goes with the other hop-by-hop headers.
     */
    private void offerUpgrade(Exchange e, HttpRequest request, Site site) {
        UpgradeOffer offer = UpgradeOffer.of(request.protocolVersion(), request.headers(), e.bodyExpected,
                site == null ? List.of() : site.config().allowUpgrades());
        e.upgrade = offer.upstream() != null ? offer : null;
        if (offer.refusal() != null) {
            log.debug("client {} {} {}: upgrade '{}' not passed on ({}), going on as HTTP/1.1{}", c.remote, e.method,
                    e.uri, request.headers().get(HttpHeaderNames.UPGRADE), offer.refusal().label(),
                    e.upgrade != null ? " or " + offer.upstream() : "");
            c.metrics(e).upgradeRefused(offer.refusal().label());
        }
    }

    /**
     * The request as the stream codec made it, made like one from HTTP/1.1: without the codec's own
     * {@code x-http2-*} headers, and with one Host, {@code :authority}'s (the codec puts it first; RFC 9113
     * section 8.3.1 has it win over a Host header).
     */
    private static void fromHttp2(HttpRequest request) {
        HttpHeaders h = request.headers();
        List<String> drop = new ArrayList<>(3);
        for (Map.Entry<String, String> header : h) {
            if (header.getKey().regionMatches(true, 0, HTTP2_EXTENSION_PREFIX, 0, HTTP2_EXTENSION_PREFIX.length())) {
                drop.add(header.getKey());
            }
        }
        drop.forEach(h::remove);
        List<String> hosts = h.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1) {
            h.set(HttpHeaderNames.HOST, hosts.get(0));
        }
    }

    // ---- the request body ----

    /** A piece of the request body: checked and counted, then on to the server; released on every other way. */
    void onRequestContent(HttpContent content) {
        Exchange e = c.ex;
        if (content.decoderResult().isFailure()) {
            // A broken chunk: the body cannot be delimited, so it must not reach the server as if it had ended.
            content.release();
            log.info("client {} sent a malformed body: {}", c.remote, content.decoderResult().cause().getMessage());
            if (e == null) {
                c.ctx.close();
            } else {
                endpoint.endUpstream(e, false);
                writer.respondError(e, HttpResponseStatus.BAD_REQUEST, true);
            }
            return;
        }
        if (e == null || e.requestComplete || e.responseComplete) {
            // The tail of a request already answered (an error page, or an early response).
            content.release();
            if (e == null && !c.closeAfterResponse) {
                c.ctx.read();
            }
            return;
        }
        boolean last = content instanceof LastHttpContent;
        e.requestBodyBytes += content.content().readableBytes();
        if (e.requestBodyBytes > e.config.config().limits().maxBodyBytes()) {
            content.release();
            log.info("client {} body over max_body_bytes for {} {}", c.remote, e.method, e.uri);
            endpoint.endUpstream(e, false);
            writer.respondError(e, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, true);
            return;
        }
        if (last) {
            e.requestComplete = true;
            TrailerFields.strip(((LastHttpContent) content).trailingHeaders(),
                    e.config.config().forwarding().underscoresInHeaders());
        } else {
            timers.touchClient();
        }
        endpoint.forwardBody(e, content, last);
    }
}
