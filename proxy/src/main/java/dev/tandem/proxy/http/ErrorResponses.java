package dev.tandem.proxy.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/** The small HTML pages Tandem answers with when it cannot (or must not) pass a request on. */
public final class ErrorResponses {

    private static final AsciiString TEXT_HTML = AsciiString.cached("text/html; charset=utf-8");

    private ErrorResponses() {
    }

    /** A complete response for {@code status}; {@code close} adds {@code Connection: close}. */
    public static FullHttpResponse of(HttpResponseStatus status, boolean close, boolean head) {
        byte[] body = page(status);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        r.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, TEXT_HTML)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        if (close) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return r;
    }

    static byte[] page(HttpResponseStatus status) {
        String title = status.code() + " " + status.reasonPhrase();
        return ("<!DOCTYPE html>\n<html><head><title>" + title + "</title></head>\n<body><h1>" + title
                + "</h1><hr><p>tandem</p></body></html>\n").getBytes(StandardCharsets.UTF_8);
    }
}
