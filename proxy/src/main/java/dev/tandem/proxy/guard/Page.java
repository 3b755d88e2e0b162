package dev.tandem.proxy.guard;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

/**
 * A page of a site's own, in memory: the body of an answer whose status is chosen when it is sent.
 *
 * @param body        the bytes of the page
 * @param contentType its {@code Content-Type}
 * @param upstream    it also replaces the upstream's responses with its status
 */
public record Page(byte[] body, AsciiString contentType, boolean upstream) {

    /** A complete response with this page as its body; {@code close} adds {@code Connection: close}. */
    public FullHttpResponse response(HttpResponseStatus status, boolean close, boolean head) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        r.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        if (close) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return r;
    }
}
