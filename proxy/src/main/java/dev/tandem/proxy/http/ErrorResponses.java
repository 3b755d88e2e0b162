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
    private static final int FIRST_CODE = 300;
    private static final int LAST_CODE = 599;
    /**
     * The page of every standard status from 300 to 599, made once: an upstream that is down is answered this way
     * at the rate requests come, and building the page each time was a good part of such an answer. Filled here
     * and never written again; the bodies are wrapped, never written into.
     */
    private static final byte[][] PAGES = standardPages();

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

    /** The page of {@code status}: made once for a standard status, else now. */
    static byte[] page(HttpResponseStatus status) {
        int code = status.code();
        if (code >= FIRST_CODE && code <= LAST_CODE && HttpResponseStatus.valueOf(code) == status) {
            byte[] page = PAGES[code - FIRST_CODE];
            if (page != null) {
                return page;
            }
        }
        return render(status);
    }

    private static byte[][] standardPages() {
        byte[][] pages = new byte[LAST_CODE - FIRST_CODE + 1][];
        for (int code = FIRST_CODE; code <= LAST_CODE; code++) {
            HttpResponseStatus status = HttpResponseStatus.valueOf(code);
            // valueOf makes a new status for a code it has no constant for: only the constants' pages are kept.
            if (status == HttpResponseStatus.valueOf(code)) {
                pages[code - FIRST_CODE] = render(status);
            }
        }
        return pages;
    }

    private static byte[] render(HttpResponseStatus status) {
        String title = status.code() + " " + status.reasonPhrase();
        return ("<!DOCTYPE html>\n<html><head><title>" + title + "</title></head>\n<body><h1>" + title
                + "</h1><hr><p>tandem</p></body></html>\n").getBytes(StandardCharsets.UTF_8);
    }
}
