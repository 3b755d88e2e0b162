package dev.tandem.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.transport.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The tail of an upstream connection's pipeline, on an EmbeddedChannel. */
class BackendConnectionTest {

    /** Records what the connection hands to the request that owns it. */
    private static final class Recorder implements BackendListener {
        final List<String> events = new ArrayList<>();
        final StringBuilder body = new StringBuilder();
        FailureKind failure;

        @Override
        public void onResponseHead(BackendConnection c, HttpResponse response) {
            events.add("head " + response.status().code());
        }

        @Override
        public void onResponseContent(BackendConnection c, HttpContent content) {
            body.append(content.content().toString(StandardCharsets.UTF_8));
            events.add(content instanceof LastHttpContent ? "last" : "content");
            content.release();
        }

        @Override
        public void onReadComplete(BackendConnection c) {
        }

        @Override
        public void onWritabilityChanged(BackendConnection c) {
        }

        @Override
        public void onFailure(BackendConnection c, FailureKind kind, Throwable cause) {
            failure = kind;
            events.add("failure " + kind);
        }
    }

    private final Recorder recorder = new Recorder();
    private EmbeddedChannel channel;
    private LoopResources loop;
    private BackendPool pool;
    private BackendConnection connection;

    @BeforeEach
    void setUp() {
        channel = new EmbeddedChannel();
        loop = new LoopResources(0, channel.eventLoop(), Transport.nio());
        pool = loop.pool(TestServers.server(1, 1, 0).state());
        // As the proxy does before it opens a connection: the poll tells the pool its keepalive size.
        assertNull(pool.poll(8, Long.MAX_VALUE, System.nanoTime()));
        connection = new BackendConnection(pool);
        channel.pipeline().addLast(new HttpClientCodec(), connection);
    }

    @AfterEach
    void tearDown() {
        loop.close();
        channel.finishAndReleaseAll();
    }

    private void request(HttpMethod method) {
        connection.attach(recorder);
        channel.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, "/"));
        ByteBuf sent;
        while ((sent = channel.readOutbound()) != null) {
            sent.release();
        }
    }

    private void respond(String raw) {
        channel.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    }

    @Test
    void handsTheResponseToItsOwnerHeadThenBody() {
        request(HttpMethod.GET);
        respond("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel");
        respond("lo");
        assertEquals(List.of("head 200", "content", "last"), recorder.events);
        assertEquals("hello", recorder.body.toString());
    }

    @Test
    void aResponseToHeadHasNoBodyWhateverItsLength() {
        request(HttpMethod.HEAD);
        respond("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n");
        assertEquals(List.of("head 200", "last"), recorder.events);
    }

    @Test
    void aCleanExchangeGoesBackToThePoolAndIsHandedOutAgain() {
        request(HttpMethod.GET);
        respond("HTTP/1.1 204 No Content\r\n\r\n");
        connection.release(true);
        assertTrue(connection.reused());
        assertSame(connection, pool.poll(8, Long.MAX_VALUE, System.nanoTime()));
        assertNull(pool.poll(8, Long.MAX_VALUE, System.nanoTime()));
    }

    @Test
    void anythingFromTheServerWhileIdleClosesTheConnection() {
        request(HttpMethod.GET);
        respond("HTTP/1.1 204 No Content\r\n\r\n");
        connection.release(true);
        respond("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nodd");
        assertFalse(channel.isOpen());
        assertNull(pool.poll(8, Long.MAX_VALUE, System.nanoTime()), "a closed connection leaves the pool");
    }

    @Test
    void aResponseThatCannotBeParsedIsAnInvalidResponse() {
        request(HttpMethod.GET);
        respond("HTTP/1.1 two hundred\r\n\r\n");
        assertEquals(FailureKind.INVALID_RESPONSE, recorder.failure);
        assertFalse(channel.isOpen());
        assertEquals(1, recorder.events.size(), "reported once, not again when the connection closes");
    }

    @Test
    void aCloseBeforeTheResponseEndsIsAReset() {
        request(HttpMethod.GET);
        respond("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        channel.close();
        assertEquals(FailureKind.RESET, recorder.failure);
    }

    @Test
    void aConnectionNotReleasedForReuseIsClosed() {
        request(HttpMethod.GET);
        connection.release(false);
        assertFalse(channel.isOpen());
        assertTrue(recorder.events.isEmpty(), "its former owner hears nothing of it");
    }

    @Test
    void aFullPoolClosesTheConnectionOffered() {
        request(HttpMethod.GET);
        respond("HTTP/1.1 204 No Content\r\n\r\n");
        pool.poll(0, Long.MAX_VALUE, System.nanoTime()); // keepalive 0: keep no idle connection
        connection.release(true);
        assertFalse(channel.isOpen());
    }
}
