package dev.tandem.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.LimitsConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client codec on an EmbeddedChannel with AUTO_READ off, behind a counter of socket reads. */
class ClientHttpCodecTest {

    /** Counts the read() calls that reach the socket. */
    private static final class SocketReads extends ChannelOutboundHandlerAdapter {
        int count;

        @Override
        public void read(ChannelHandlerContext ctx) {
            count++;
            ctx.read();
        }
    }

    /** Takes the messages the codec hands on, as the proxy handler would, and can answer from inside a read. */
    private static final class Collector extends ChannelInboundHandlerAdapter {
        final List<Object> messages = new ArrayList<>();
        /** Answer each request at once and ask for the next (a static file served from inside the read). */
        boolean answerAtOnce;
        int depth;
        int maxDepth;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            depth++;
            maxDepth = Math.max(maxDepth, depth);
            try {
                if (answerAtOnce) {
                    if (msg instanceof HttpRequest request) {
                        messages.add(request.uri());
                        ctx.writeAndFlush(ok(request.uri()));
                    }
                    ReferenceCountUtil.release(msg);
                    ctx.read();
                } else {
                    messages.add(msg);
                }
            } finally {
                depth--;
            }
        }
    }

    private final SocketReads socketReads = new SocketReads();
    private final Collector collector = new Collector();
    private ClientHttpCodec codec;
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        channel = new EmbeddedChannel();
        channel.config().setAutoRead(false);
        codec = new ClientHttpCodec(Http1Handlers.requestDecoder(
                new LimitsConfig(16384, 1 << 20, Duration.ofSeconds(60), Duration.ofSeconds(75))));
        channel.pipeline().addLast(socketReads, codec, new OneMessagePerRead(), collector);
    }

    @AfterEach
    void tearDown() {
        collector.messages.forEach(ReferenceCountUtil::release);
        channel.finishAndReleaseAll();
    }

    private static FullHttpResponseBuilder ok(String body) {
        return new FullHttpResponseBuilder(body);
    }

    /** A 200 with a small body, as a full response. */
    private static final class FullHttpResponseBuilder extends DefaultFullHttpResponse {
        FullHttpResponseBuilder(String body) {
            super(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.copiedBuffer(body, StandardCharsets.US_ASCII));
            headers().set(HttpHeaderNames.CONTENT_LENGTH, content().readableBytes());
        }
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    private static String pipelined(int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append("GET /").append(i).append(" HTTP/1.1\r\nHost: h\r\n\r\n");
        }
        return s.toString();
    }

    private String outbound() {
        StringBuilder s = new StringBuilder();
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            s.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return s.toString();
    }

    @Test
    void aDeepPipelineIsDecodedOneRequestAtATimeAsAnswersLeave() {
        channel.read();
        channel.writeInbound(bytes(pipelined(1000)));
        // One request decoded (its head handed on, its end waiting), the other 999 still bytes.
        assertEquals(1, collector.messages.size());
        assertEquals(1, codec.unanswered());
        assertTrue(codec.bufferedBytes() > 0);
        for (int i = 0; i < 1000; i++) {
            HttpRequest request = assertInstanceOf(HttpRequest.class, collector.messages.remove(0));
            assertEquals("/" + i, request.uri());
            channel.read();
            assertInstanceOf(LastHttpContent.class, collector.messages.remove(0));
            assertTrue(collector.messages.isEmpty());
            channel.writeAndFlush(ok("r" + i));
            assertEquals(0, codec.unanswered());
            channel.read();
        }
        assertEquals(0, codec.bufferedBytes());
        assertTrue(collector.messages.isEmpty(), "the read after the last answer waits for the socket");
        String out = outbound();
        assertEquals(1000, out.split("HTTP/1.1 200 OK", -1).length - 1);
        assertTrue(out.indexOf("r998") < out.indexOf("r999"));
        // The socket was read for the first bytes and once more after they were all answered: not per request.
        assertEquals(2, socketReads.count);
    }

    @Test
    void requestsAnsweredFromInsideTheReadAreDecodedInALoopNotByRecursion() {
        collector.answerAtOnce = true;
        channel.read();
        channel.writeInbound(bytes(pipelined(5000)));
        assertEquals(5000, collector.messages.size());
        assertEquals("/4999", collector.messages.get(4999));
        assertEquals(1, collector.maxDepth, "each request is handed on after the previous hand-off returned");
        assertEquals(5000, outbound().split("HTTP/1.1 200 OK", -1).length - 1);
        collector.messages.clear();
    }

    @Test
    void aHeadSplitOverSocketReadsIsReadOnUntilWhole() {
        channel.read();
        channel.writeInbound(bytes("GET /a HTTP/1.1\r\nHo"));
        assertTrue(collector.messages.isEmpty());
        int reads = socketReads.count;
        assertTrue(reads >= 2, "a read that brought no whole request reads on");
        channel.writeInbound(bytes("st: h\r\n\r\nGET /b HT"));
        assertEquals("/a", ((HttpRequest) collector.messages.get(0)).uri());
        channel.read();
        assertInstanceOf(LastHttpContent.class, collector.messages.get(1));
        channel.writeAndFlush(ok("a"));
        int before = socketReads.count;
        channel.read();
        assertTrue(socketReads.count > before, "the part of /b held is not whole: the socket is read");
        channel.writeInbound(bytes("TP/1.1\r\nHost: h\r\n\r\n"));
        assertEquals("/b", ((HttpRequest) collector.messages.get(2)).uri());
        outbound();
    }

    @Test
    void aBodyIsHandedOnInPiecesAsLargeAsTheyCame() {
        channel.read();
        String body = "x".repeat(40_000);
        channel.writeInbound(bytes("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 40000\r\n\r\n" + body));
        assertInstanceOf(HttpRequest.class, collector.messages.get(0));
        channel.read();
        HttpContent piece = assertInstanceOf(HttpContent.class, collector.messages.get(1));
        assertEquals(40_000, piece.content().readableBytes());
        assertInstanceOf(LastHttpContent.class, piece);
    }

    @Test
    void aResponseToHeadHasNoBodyEvenWhenChunked() {
        channel.read();
        channel.writeInbound(bytes("HEAD /h HTTP/1.1\r\nHost: h\r\n\r\nGET /g HTTP/1.1\r\nHost: h\r\n\r\n"));
        channel.read();
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        channel.write(head);
        channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        String out = outbound();
        assertTrue(out.endsWith("\r\n\r\n"));
        assertFalse(out.contains("0\r\n\r\n"), "no last chunk after a response to HEAD: " + out);
        channel.read();
        channel.read();
        channel.write(head.setStatus(HttpResponseStatus.OK));
        channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        assertTrue(outbound().endsWith("0\r\n\r\n"), "the GET after it has its body");
    }

    @Test
    void theBytesLeftWhenTheCodecIsRemovedGoOnUndecoded() {
        channel.read();
        channel.writeInbound(bytes("GET /up HTTP/1.1\r\nHost: h\r\n\r\nraw bytes"));
        channel.read();
        channel.pipeline().remove(OneMessagePerRead.class);
        channel.pipeline().remove(codec);
        ByteBuf rest = (ByteBuf) collector.messages.remove(2);
        assertEquals("raw bytes", rest.toString(StandardCharsets.US_ASCII));
        rest.release();
        assertNull(channel.readOutbound());
    }
}
