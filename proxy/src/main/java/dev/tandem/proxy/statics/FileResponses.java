package dev.tandem.proxy.statics;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;

/**
 * The responses of the static path for one site: a file (200, 206, or 304/412/416 from its validators and
 * the request's conditions), or a redirect to a directory's slash form. Builds the head, then writes it and
 * the body through the {@link StaticExchange}.
 */
final class FileResponses {

    /** Every value set here is ours (config values are checked for CR/LF when the config loads). */
    private static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);
    private static final AsciiString ACCEPT_ENCODING = AsciiString.cached("Accept-Encoding");
    private static final AsciiString ZERO = AsciiString.cached("0");

    private final AsciiString cacheControl;
    private final HttpDates.Clock clock;
    private final StaticMetrics metrics;

    /** @param cacheControl the site's Cache-Control value, or null */
    FileResponses(String cacheControl, HttpDates.Clock clock, StaticMetrics metrics) {
        this.cacheControl = cacheControl == null ? null : AsciiString.cached(cacheControl);
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * Answers {@code request} from {@code found}. False, with nothing written, when the chosen file was closed
     * before a reference could be taken on it (evicted, and its last response finished, since the lookup):
     * the caller looks the path up again.
     */
    boolean serve(StaticExchange ex, HttpRequest request, Lookup.Found found) {
        HttpHeaders in = request.headers();
        OpenFile file = representation(found, in);
        boolean varies = found.varies();
        switch (Preconditions.evaluate(in, file.etag(), file.lastModifiedMillis())) {
            case NOT_MODIFIED -> {
                metrics.hit();
                metrics.notModified();
                bodyless(ex, HttpResponseStatus.NOT_MODIFIED, file, varies, false);
                return true;
            }
            case PRECONDITION_FAILED -> {
                metrics.hit();
                bodyless(ex, HttpResponseStatus.PRECONDITION_FAILED, file, varies, true);
                return true;
            }
            default -> {
            }
        }
        boolean head = HttpMethod.HEAD.equals(request.method());
        long size = file.size();
        // Range is defined for GET only (RFC 9110 section 14.2): a HEAD describes the whole file.
        ByteRange range = head || !in.contains(HttpHeaderNames.RANGE)
                || !Preconditions.ifRange(in, file.etag(), file.lastModifiedMillis())
                ? ByteRange.WHOLE : ByteRange.parse(in.get(HttpHeaderNames.RANGE), size);
        if (range.kind() == ByteRange.Kind.UNSATISFIABLE) {
            metrics.hit();
            HttpResponse r = response(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, file, varies);
            r.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size).set(HttpHeaderNames.CONTENT_LENGTH, ZERO);
            finish(ex, r, 0);
            return true;
        }
        boolean partial = range.kind() == ByteRange.Kind.PARTIAL;
        long offset = partial ? range.first() : 0;
        long count = partial ? range.length() : size;
        boolean body = !head && count > 0;
        if (body && !file.retain()) {
            return false;
        }
        metrics.hit();
        HttpResponse r = response(partial ? HttpResponseStatus.PARTIAL_CONTENT : HttpResponseStatus.OK, file, varies);
        HttpHeaders h = r.headers();
        h.set(HttpHeaderNames.CONTENT_TYPE, file.contentType());
        h.set(HttpHeaderNames.CONTENT_LENGTH, Long.toString(count));
        h.set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
        if (file.encoding() != null) {
            h.set(HttpHeaderNames.CONTENT_ENCODING, file.encoding());
        }
        if (partial) {
            h.set(HttpHeaderNames.CONTENT_RANGE, "bytes " + range.first() + '-' + range.last() + '/' + size);
        }
        ChannelHandlerContext ctx = ex.ctx();
        ex.respond(r, body ? count : 0);
        ctx.write(r, ctx.voidPromise());
        if (!body) {
            ex.written(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
            return true;
        }
        ChannelFuture last = FileBody.write(ctx, file, offset, count, ex.secure(), ex::progressed);
        last.addListener(f -> {
            if (f.isSuccess()) {
                metrics.bytes(count);
            }
        });
        ex.written(last);
        return true;
    }

    /** {@code /docs} is a directory with an index: send the client to {@code /docs/}, keeping the query. */
    void redirect(StaticExchange ex, String target) {
        metrics.hit();
        int q = target.indexOf('?');
        String location = q < 0 ? target + '/' : target.substring(0, q) + '/' + target.substring(q);
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.MOVED_PERMANENTLY, HEADERS);
        r.headers().set(HttpHeaderNames.LOCATION, location)
                .set(HttpHeaderNames.CONTENT_LENGTH, ZERO)
                .set(HttpHeaderNames.DATE, clock.now());
        finish(ex, r, 0);
    }

    /** The precompressed sibling the client accepts, brotli first, else the file itself. */
    private static OpenFile representation(Lookup.Found found, HttpHeaders in) {
        if (!found.varies()) {
            return found.file();
        }
        int accepted = AcceptEncoding.accepted(in.get(HttpHeaderNames.ACCEPT_ENCODING));
        if ((accepted & AcceptEncoding.BROTLI) != 0 && found.brotli() != null) {
            return found.brotli();
        }
        if ((accepted & AcceptEncoding.GZIP) != 0 && found.gzip() != null) {
            return found.gzip();
        }
        return found.file();
    }

    /** A head with what every answer about {@code file} carries: validators, caching, Vary, Date. */
    private HttpResponse response(HttpResponseStatus status, OpenFile file, boolean varies) {
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, HEADERS);
        HttpHeaders h = r.headers();
        h.set(HttpHeaderNames.ETAG, file.etag());
        h.set(HttpHeaderNames.LAST_MODIFIED, file.lastModified());
        if (cacheControl != null) {
            h.set(HttpHeaderNames.CACHE_CONTROL, cacheControl);
        }
        if (varies) {
            h.set(HttpHeaderNames.VARY, ACCEPT_ENCODING);
        }
        h.set(HttpHeaderNames.DATE, clock.now());
        return r;
    }

    /** 304 (which has no body by definition) or 412 (an empty one). */
    private void bodyless(StaticExchange ex, HttpResponseStatus status, OpenFile file, boolean varies, boolean length) {
        HttpResponse r = response(status, file, varies);
        if (length) {
            r.headers().set(HttpHeaderNames.CONTENT_LENGTH, ZERO);
        }
        finish(ex, r, 0);
    }

    private static void finish(StaticExchange ex, HttpResponse r, long bodyBytes) {
        ChannelHandlerContext ctx = ex.ctx();
        ex.respond(r, bodyBytes);
        ctx.write(r, ctx.voidPromise());
        ex.written(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
    }
}
