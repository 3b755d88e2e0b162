package dev.tandem.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class StrictRequestDecoderTest {

    /** The request head decoded from {@code wire}, or null when the decoder refused the line. */
    private static String decode(String wire) {
        EmbeddedChannel ch = new EmbeddedChannel(new ClientHttpCodec(new HttpDecoderConfig()));
        try {
            ch.writeInbound(Unpooled.copiedBuffer(wire, StandardCharsets.ISO_8859_1));
            Object msg = ch.readInbound();
            try {
                HttpRequest r = (HttpRequest) msg;
                return r.decoderResult().isFailure() ? null : r.method() + " " + r.uri() + " " + r.protocolVersion();
            } finally {
                ReferenceCountUtil.release(msg);
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET / http/1.1\r\nHost: h\r\n\r\n",
        "GET / Http/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/11\r\nHost: h\r\n\r\n",
        "GET / HTTP/a.b\r\nHost: h\r\n\r\n",
        "GET / HTTP\r\nHost: h\r\n\r\n",
        "GET /\r\nHost: h\r\n\r\n",
        " GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "   GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "\tGET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /  HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /\tHTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a\u000bb HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a\fb HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n",
        "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
        "G\u00c9T / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
    })
    void malformedRequestLinesAreRefused(String wire) {
        assertEquals(null, decode(wire), wire);
    }

    @Test
    void wellFormedLinesDecodeWithEveryOctetOfTheTarget() {
        assertEquals("GET / HTTP/1.1", decode("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
        assertEquals("PURGE /x HTTP/1.0", decode("PURGE /x HTTP/1.0\r\n\r\n"));
        assertEquals("GET /caf\u00c3\u00a9?q=\u00e9 HTTP/1.1", decode("GET /caf\u00c3\u00a9?q=\u00e9 HTTP/1.1\r\nHost: h\r\n\r\n"));
        // RFC 9112 section 2.2: empty lines before a request line are ignored.
        assertEquals("GET / HTTP/1.1", decode("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"));
        // A version the proxy does not serve is well-formed: RequestTarget answers it with 505.
        assertEquals("GET / HTTP/2.0", decode("GET / HTTP/2.0\r\nHost: h\r\n\r\n"));
    }

    @Test
    void theResponseToAHeadHasNoBodyWhateverItsHeadersSay() {
        EmbeddedChannel ch = new EmbeddedChannel(new ClientHttpCodec(new HttpDecoderConfig()));
        ch.writeInbound(Unpooled.copiedBuffer("HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
                StandardCharsets.US_ASCII));
        for (int i = 0; i < 2; i++) {
            DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.copiedBuffer("body", StandardCharsets.US_ASCII));
            r.headers().set(HttpHeaderNames.CONTENT_LENGTH, 4);
            ch.writeOutbound(r);
        }
        StringBuilder out = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            out.append(((ByteBuf) o).toString(StandardCharsets.US_ASCII));
            ReferenceCountUtil.release(o);
        }
        String wire = out.toString();
        assertTrue(wire.startsWith("HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nHTTP/1.1 200 OK"), wire);
        assertTrue(wire.endsWith("\r\n\r\nbody"), wire);
        assertFalse(wire.substring(0, wire.indexOf("\r\n\r\n") + 4).contains("body"));
        ch.finishAndReleaseAll();
    }
}
