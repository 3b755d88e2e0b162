package dev.tandem.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ErrorResponsesTest {

    @Test
    void aStandardStatusHasItsPageMadeOnce() {
        byte[] page = ErrorResponses.page(HttpResponseStatus.BAD_GATEWAY);
        assertSame(page, ErrorResponses.page(HttpResponseStatus.BAD_GATEWAY));
        assertTrue(new String(page, StandardCharsets.UTF_8).contains("<title>502 Bad Gateway</title>"));
    }

    @Test
    void aStatusWithAReasonOfItsOwnGetsItsOwnPage() {
        HttpResponseStatus odd = new HttpResponseStatus(502, "Nobody Home");
        byte[] page = ErrorResponses.page(odd);
        assertNotSame(ErrorResponses.page(HttpResponseStatus.BAD_GATEWAY), page);
        assertTrue(new String(page, StandardCharsets.UTF_8).contains("<title>502 Nobody Home</title>"));
        assertTrue(new String(ErrorResponses.page(HttpResponseStatus.valueOf(599)), StandardCharsets.UTF_8)
                .contains("<h1>599 "));
    }

    @Test
    void eachResponseHasItsOwnBufferOverTheSharedPage() {
        FullHttpResponse a = ErrorResponses.of(HttpResponseStatus.BAD_GATEWAY, false, false);
        FullHttpResponse b = ErrorResponses.of(HttpResponseStatus.BAD_GATEWAY, true, false);
        try {
            a.content().skipBytes(a.content().readableBytes());
            assertEquals(ErrorResponses.page(HttpResponseStatus.BAD_GATEWAY).length, b.content().readableBytes());
            assertEquals(String.valueOf(b.content().readableBytes()), b.headers().get(HttpHeaderNames.CONTENT_LENGTH));
            assertEquals("close", b.headers().get(HttpHeaderNames.CONNECTION));
        } finally {
            a.release();
            b.release();
        }
    }
}
