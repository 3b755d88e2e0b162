package dev.tandem.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
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
}
