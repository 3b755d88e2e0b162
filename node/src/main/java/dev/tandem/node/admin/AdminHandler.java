package dev.tandem.node.admin;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers admin requests: checks the token, finds the route, runs it and writes its response. Requests on a
 * connection are taken one at a time (the channel reads the next only after the response is written), so
 * that a route answering later cannot reorder pipelined responses.
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);

    private final AdminRoutes routes;
    private final Supplier<Optional<String>> token;
    private final boolean loopback;
    private final CsrfGuard csrf;

    /**
     * @param loopback true when the listener is bound to a loopback address: read-only routes then need no token
     * @param csrf     what keeps other sites' pages from changing something through a browser
     */
    AdminHandler(AdminRoutes routes, Supplier<Optional<String>> token, boolean loopback, CsrfGuard csrf) {
        this.routes = routes;
        this.token = token;
        this.loopback = loopback;
        this.csrf = csrf;
    }

    /** Set while a read() asked for the next request has not delivered it. Touched on the channel's loop only. */
    private static final io.netty.util.AttributeKey<Boolean> READ_PENDING =
            io.netty.util.AttributeKey.valueOf(AdminHandler.class, "readPending");

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        readNext(ctx.channel());
    }

    /**
     * Asks for the next request. The FlowControlHandler forgets a read() whose cycle decoded no whole
     * request (a head or body split over TCP segments) at channelReadComplete, so that is where it is
     * asked for again.
     */
    private static void readNext(io.netty.channel.Channel ch) {
        ch.attr(READ_PENDING).set(Boolean.TRUE);
        ch.read();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (Boolean.TRUE.equals(ctx.channel().attr(READ_PENDING).get())) {
            ctx.read();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        ctx.channel().attr(READ_PENDING).set(Boolean.FALSE);
        super.channelRead(ctx, msg);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        boolean head = request.method().equals(HttpMethod.HEAD);
        if (!request.decoderResult().isSuccess()) {
            respond(ctx, AdminResponse.error(400, "bad request"), false, head);
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        List<String> segments = segments(uri.rawPath());
        AdminRoutes.Match match = routes.match(request.method().name(), segments);
        if (match instanceof AdminRoutes.NotFound) {
            respond(ctx, AdminResponse.error(404, "no such endpoint: " + uri.path()), keepAlive, head);
            return;
        }
        if (match instanceof AdminRoutes.WrongMethod wrong) {
            FullHttpResponse r = response(AdminResponse.error(405, "use " + String.join(" or ", wrong.allowed())), head);
            r.headers().set(HttpHeaderNames.ALLOW, String.join(", ", wrong.allowed()));
            write(ctx, r, keepAlive);
            return;
        }
        AdminRoutes.Found found = (AdminRoutes.Found) match;
        if (!authorized(found.route().access(), request.headers().get(HttpHeaderNames.AUTHORIZATION))) {
            FullHttpResponse r = response(AdminResponse.error(401, "this endpoint needs Authorization: Bearer <admin.token>"), head);
            r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"tandem\"");
            write(ctx, r, keepAlive);
            return;
        }
        if (found.route().access() == AdminRoute.Access.API) {
            Optional<String> refused = csrf.refusal(new CsrfGuard.Request(request.method().name(),
                    request.headers().get(HttpHeaderNames.HOST), request.headers().get(HttpHeaderNames.ORIGIN),
                    request.headers().get("Sec-Fetch-Site"), request.headers().get(CsrfGuard.HEADER)), true);
            if (refused.isPresent()) {
                audit(ctx, request.method().name(), uri.path(), 403);
                respond(ctx, AdminResponse.error(403, refused.get()), keepAlive, head);
                return;
            }
        }
        AdminRequest admin = new AdminRequest(request.method().name(), uri.path(), found.params(), uri.parameters(),
                request.content().toString(StandardCharsets.UTF_8), request.headers().copy());
        CompletionStage<AdminResponse> answer;
        try {
            answer = found.route().handler().handle(admin);
        } catch (RuntimeException e) {
            log.warn("admin {} {} failed", admin.method(), admin.path(), e);
            respond(ctx, AdminResponse.error(500, String.valueOf(e)), keepAlive, head);
            return;
        }
        boolean changes = found.route().access() == AdminRoute.Access.API && !admin.method().equals("GET");
        answer.whenComplete((response, error) -> {
            if (error != null) {
                log.warn("admin {} {} failed", admin.method(), admin.path(), error);
                if (changes) {
                    audit(ctx, admin.method(), admin.path(), 500);
                }
                respond(ctx, AdminResponse.error(500, String.valueOf(error)), keepAlive, head);
            } else {
                if (changes) {
                    audit(ctx, admin.method(), admin.path(), response.status());
                }
                respond(ctx, response, keepAlive, head);
            }
        });
    }

    private void audit(ChannelHandlerContext ctx, String method, String path, int status) {
        try {
            routes.audit().called(method, path, status, String.valueOf(ctx.channel().remoteAddress()));
        } catch (RuntimeException e) {
            log.warn("admin: recording {} {} failed", method, path, e);
        }
    }

    /** The path's segments, each percent-decoded; a trailing slash is ignored. */
    static List<String> segments(String rawPath) {
        List<String> out = new ArrayList<>();
        String p = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
        if (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.isEmpty()) {
            return out;
        }
        for (String s : p.split("/", -1)) {
            out.add(QueryStringDecoder.decodeComponent(s));
        }
        return out;
    }

    private boolean authorized(AdminRoute.Access access, String authorization) {
        Optional<String> expected = token.get();
        if (access == AdminRoute.Access.PUBLIC || expected.isEmpty()) {
            return true;
        }
        if (access == AdminRoute.Access.READ && loopback) {
            return true;
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] given = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        // Constant time: the time to refuse must not tell how much of the token was right.
        return MessageDigest.isEqual(given, expected.get().getBytes(StandardCharsets.UTF_8));
    }

    private void respond(ChannelHandlerContext ctx, AdminResponse response, boolean keepAlive, boolean head) {
        write(ctx, response(response, head), keepAlive);
    }

    private static FullHttpResponse response(AdminResponse response, boolean head) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(response.status()),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(response.body()));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, response.contentType());
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.body().length);
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        r.headers().set("X-Content-Type-Options", "nosniff");
        return r;
    }

    private static void write(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
        if (!keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ctx.writeAndFlush(r).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess() || !keepAlive) {
                f.channel().close();
            } else {
                readNext(f.channel());
            }
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException) && !(cause instanceof ReadTimeoutException)) {
            log.warn("admin connection {} failed", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }
}
