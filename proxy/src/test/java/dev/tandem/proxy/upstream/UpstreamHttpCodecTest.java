package dev.tandem.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.http.ForwardedRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UpstreamHttpCodecTest {

    @Test
    void theTargetGoesOutOctetForOctet() {
        EmbeddedChannel ch = new EmbeddedChannel(new UpstreamHttpCodec(new HttpDecoderConfig()));
        // As the client decoder makes it: one char per octet of /caf\xc3\xa9?q=\xe9.
        ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/caf\u00c3\u00a9?q=\u00e9"));
        ByteBuf out = ch.readOutbound();
        byte[] line = new byte[out.readableBytes()];
        out.readBytes(line);
        out.release();
        byte[] expected = {'G', 'E', 'T', ' ', '/', 'c', 'a', 'f', (byte) 0xc3, (byte) 0xa9, '?', 'q', '=', (byte) 0xe9,
            ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n', '\r', '\n'};
        assertEquals(new String(expected, StandardCharsets.ISO_8859_1), new String(line, StandardCharsets.ISO_8859_1));
        ch.finishAndReleaseAll();
    }

    @Test
    void aResponseToAHeadHasNoBody() {
        EmbeddedChannel ch = new EmbeddedChannel(new UpstreamHttpCodec(new HttpDecoderConfig()));
        ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.HEAD, "/"));
        ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
        ch.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody", StandardCharsets.US_ASCII));
        HttpResponse first = ch.readInbound();
        assertEquals(200, first.status().code());
        LastHttpContent end = ch.readInbound();
        assertEquals(0, end.content().readableBytes());
        end.release();
        HttpResponse second = ch.readInbound();
        assertEquals(200, second.status().code());
        int body = 0;
        for (Object o; (o = ch.readInbound()) != null; ) {
            body += ((HttpContent) o).content().readableBytes();
            ReferenceCountUtil.release(o);
        }
        assertEquals(4, body);
        ch.finishAndReleaseAll();
    }

    private static EmbeddedChannel asLoopResourcesMakesIt() {
        return new EmbeddedChannel(new UpstreamHttpCodec(new HttpDecoderConfig()
                .setHeadersFactory(UpstreamHeaders.RESPONSE).setTrailersFactory(UpstreamHeaders.TRAILER)));
    }

    private static void sendGet(EmbeddedChannel ch) {
        ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
    }

    @Test
    void knownAndUnknownWordsComeThroughAsTheServerSpeltThem() {
        EmbeddedChannel ch = asLoopResourcesMakesIt();
        sendGet(ch);
        ch.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 200 Okay\r\nServer: x\r\ncontent-type: text/plain\r\n"
                + "X-Custom: 1\r\nCONTENT-LENGTH: 2\r\nDate: d\r\n\r\nok", StandardCharsets.US_ASCII));
        HttpResponse r = ch.readInbound();
        assertTrue(r.decoderResult().isSuccess());
        assertEquals(HttpVersion.HTTP_1_1, r.protocolVersion());
        assertEquals(200, r.status().code());
        assertEquals("Okay", r.status().reasonPhrase());
        assertEquals(List.of("Server", "content-type", "X-Custom", "CONTENT-LENGTH", "Date"), namesInOrder(r));
        assertEquals("2", r.headers().get("content-length"));
        ch.finishAndReleaseAll();
    }

    private static List<String> namesInOrder(HttpResponse r) {
        List<String> names = new ArrayList<>();
        r.headers().iteratorCharSequence().forEachRemaining(e -> names.add(e.getKey().toString()));
        return names;
    }

    @Test
    void aFieldNameThatIsNotATokenIsStillRefused() {
        EmbeddedChannel ch = asLoopResourcesMakesIt();
        sendGet(ch);
        ch.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nX(Bad: 1\r\nContent-Length: 0\r\n\r\n",
                StandardCharsets.US_ASCII));
        HttpResponse r = ch.readInbound();
        assertTrue(r.decoderResult().isFailure());
        ch.finishAndReleaseAll();
    }

    @Test
    void trailersStillHoldEveryField() {
        EmbeddedChannel ch = asLoopResourcesMakesIt();
        sendGet(ch);
        ch.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "2\r\nok\r\n0\r\nX-One: 1\r\nX-Two: 2\r\nX-Three: 3\r\n\r\n", StandardCharsets.US_ASCII));
        HttpResponse r = ch.readInbound();
        assertEquals(200, r.status().code());
        LastHttpContent end = null;
        for (Object o; (o = ch.readInbound()) != null; ) {
            if (o instanceof LastHttpContent last) {
                end = last;
            } else {
                ReferenceCountUtil.release(o);
            }
        }
        assertEquals("1", end.trailingHeaders().get("x-one"));
        assertEquals("2", end.trailingHeaders().get("x-two"));
        assertEquals("3", end.trailingHeaders().get("x-three"));
        end.release();
        ch.finishAndReleaseAll();
    }

    @Test
    void aForwardedRequestGoesWithTheProxysFieldsInPlaceOfTheClients() {
        EmbeddedChannel ch = new EmbeddedChannel(new UpstreamHttpCodec(new HttpDecoderConfig()));
        HttpHeaders client = new DefaultHttpHeaders()
                .add("Host", "site.example")
                .add("X-Forwarded-For", "1.2.3.4")
                .add("Accept", "*/*")
                .add("x-real-ip", "1.2.3.4")
                .add("FORWARDED", "for=1.2.3.4")
                .add("X-Forwarded-Proto", "https")
                .add("X-Forwarded-Host", "forged.example")
                .add("X-Forwarded-Port", "443")
                .add("User-Agent", "caf\u00e9");
        byte[] own = "x-forwarded-for: 192.0.2.1\r\nforwarded: for=192.0.2.1;proto=http\r\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        ForwardedRequest request = new ForwardedRequest(HttpMethod.GET, "/a?b", client, null, own, false);
        ch.writeOutbound(request);
        ch.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);
        assertEquals("GET /a?b HTTP/1.1\r\nHost: site.example\r\nAccept: */*\r\nX-Forwarded-Port: 443\r\n"
                + "User-Agent: caf\u00e9\r\nx-forwarded-for: 192.0.2.1\r\nforwarded: for=192.0.2.1;proto=http\r\n\r\n",
                written(ch));
        assertEquals(9, client.size(), "the client's headers are not changed");
        // Sent again (a retry): the same head.
        ch.writeOutbound(request);
        ch.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);
        assertTrue(written(ch).endsWith("for=192.0.2.1;proto=http\r\n\r\n"));
        ch.finishAndReleaseAll();
    }

    @Test
    void theHostRoutedByAndAChunkedBodyGoAfterTheClientsFields() {
        EmbeddedChannel ch = new EmbeddedChannel(new UpstreamHttpCodec(new HttpDecoderConfig()));
        HttpHeaders client = new DefaultHttpHeaders()
                .add("HOST", "other.example")
                .add("Transfer-Encoding", "chunked")
                .add("Accept", "*/*");
        byte[] own = "x-real-ip: 192.0.2.1\r\n".getBytes(StandardCharsets.ISO_8859_1);
        ch.writeOutbound(new ForwardedRequest(HttpMethod.POST, "/", client, "site.example", own, true));
        ch.writeOutbound(new DefaultHttpContent(Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII)));
        ch.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);
        // The body is framed by the Transfer-Encoding the headers hold, written after the forwarding fields.
        assertEquals("POST / HTTP/1.1\r\nAccept: */*\r\nhost: site.example\r\nx-real-ip: 192.0.2.1\r\n"
                + "transfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", written(ch));
        ch.finishAndReleaseAll();
    }

    @Test
    void anotherRequestAndItsTrailersAreWrittenAsNettyWritesThem() {
        EmbeddedChannel ch = new EmbeddedChannel(new UpstreamHttpCodec(new HttpDecoderConfig()));
        DefaultHttpRequest plain = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/");
        plain.headers().add("X-Forwarded-For", "10.0.0.1").add("Transfer-Encoding", "chunked");
        ch.writeOutbound(plain);
        LastHttpContent end = new DefaultLastHttpContent();
        end.trailingHeaders().add("Forwarded", "kept");
        ch.writeOutbound(end);
        assertEquals("POST / HTTP/1.1\r\nX-Forwarded-For: 10.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\nForwarded: kept\r\n\r\n", written(ch));
        ch.finishAndReleaseAll();
    }

    private static String written(EmbeddedChannel ch) {
        StringBuilder s = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            s.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return s.toString();
    }
}
