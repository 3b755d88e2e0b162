package dev.tandem.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.runtime.RuntimeConfig;
import dev.tandem.proxy.transport.Transport;
import dev.tandem.proxy.upstream.LoopResources;
import dev.tandem.proxy.upstream.ServerRegistry;
import dev.tandem.proxy.upstream.ServerState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client connection pipeline as {@link ClientChannelInitializer} assembles it, on an {@link EmbeddedChannel}
 * whose clock the test moves: everything the proxy answers by itself, without reaching a server.
 */
class ClientPipelineTest {

    private static final String CONFIG = """
            listeners:
              - name: http
                bind: 127.0.0.1:0
            sites:
              - hosts: [known.example]
                upstream: web
            upstreams:
              web:
                servers: [{ address: "127.0.0.1:9" }]
            limits: { max_header_bytes: 1k, max_body_bytes: 100, client_timeout: 5s, keepalive_timeout: 10s }
            """;

    /** An embedded channel that looks like an accepted TCP connection. */
    private static final class ClientChannel extends EmbeddedChannel {
        ClientChannel() {
            super(false, false);
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return new InetSocketAddress("192.0.2.10", 40_000);
        }

        @Override
        protected SocketAddress localAddress0() {
            return new InetSocketAddress("192.0.2.1", 80);
        }
    }

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ServerRegistry servers = new ServerRegistry(meters);
    private ClientChannel channel;
    private LoopResources loop;
    private ListenerContext listener;

    @BeforeEach
    void setUp() throws Exception {
        Snapshot snapshot = new Snapshot(ConfigLoader.parse("t.yaml", CONFIG, Path.of("/tmp")), "h", 1, "t.yaml");
        RuntimeConfig config = RuntimeConfig.compile(snapshot, servers, meters, 1);
        listener = new ListenerContext("http", false, new AtomicReference<>(config), () -> null);
        channel = new ClientChannel();
        channel.config().setAutoRead(false);
        channel.register();
        channel.freezeTime();
        loop = new LoopResources(0, channel.eventLoop(), Transport.nio());
        Map<EventLoop, LoopResources> loops = Map.of(channel.eventLoop(), loop);
        // Registered first (an embedded channel has no event loop before), so the pipeline is assembled after
        // the channel became active and is told so by hand.
        channel.pipeline().addLast(new ClientChannelInitializer(listener, loops));
        channel.pipeline().fireChannelActive();
    }

    @AfterEach
    void tearDown() {
        loop.close();
        channel.finishAndReleaseAll();
    }

    private void send(String text) {
        channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
    }

    /** Everything written to the client so far. */
    private String written() {
        StringBuilder sb = new StringBuilder();
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            sb.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return sb.toString();
    }

    private void advance(long seconds) {
        channel.advanceTimeBy(seconds, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void garbageIs400AndTheConnectionCloses() {
        send("\u0001\u0002 nonsense\r\n\r\n");
        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 400 Bad Request\r\n"), out);
        assertTrue(out.contains("connection: close\r\n"), out);
        assertFalse(channel.isOpen());
    }

    @Test
    void headersOverTheLimitAre431() {
        send("GET / HTTP/1.1\r\nHost: known.example\r\nX-Big: " + "x".repeat(2000) + "\r\n\r\n");
        assertTrue(written().startsWith("HTTP/1.1 431 "));
        assertFalse(channel.isOpen());
    }

    @Test
    void aDeclaredBodyOverTheLimitIs413() {
        send("POST / HTTP/1.1\r\nHost: known.example\r\nContent-Length: 101\r\n\r\n");
        assertTrue(written().startsWith("HTTP/1.1 413 "));
        assertFalse(channel.isOpen());
    }

    @Test
    void pipelinedRequestsForUnknownHostsAreAnsweredInOrderOnOneConnection() {
        send("GET /1 HTTP/1.1\r\nHost: a.example\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: b.example\r\n\r\n"
                + "GET /3 HTTP/1.1\r\nHost: c.example\r\n\r\n");
        String out = written();
        assertEquals(3, out.split("HTTP/1.1 404 Not Found\r\n", -1).length - 1, out);
        int head = out.indexOf("HTTP/1.1 404", out.indexOf("HTTP/1.1 404") + 1);
        int third = out.indexOf("HTTP/1.1 404", head + 1);
        assertFalse(out.substring(head, third).contains("<html>"), "no body after HEAD");
        assertTrue(channel.isOpen());
    }

    @Test
    void noAvailableServerIs503WithoutTryingToConnect() {
        servers.all().forEach(s -> s.drained(true));
        send("GET / HTTP/1.1\r\nHost: known.example\r\n\r\n");
        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 503 Service Unavailable\r\n"), out);
        assertTrue(out.contains("cache-control: no-store\r\n"), out);
        assertTrue(channel.isOpen(), "a request without a body leaves the connection usable");
        assertEquals(0, servers.all().stream().mapToInt(ServerState::inFlight).sum());
    }

    @Test
    void anIdleConnectionIsClosedAfterTheKeepaliveTimeout() {
        send("GET / HTTP/1.1\r\nHost: nowhere.example\r\n\r\n");
        assertTrue(written().startsWith("HTTP/1.1 404 "));
        advance(9);
        assertTrue(channel.isOpen());
        advance(1);
        assertFalse(channel.isOpen());
    }

    @Test
    void aConnectionWithoutARequestIsClosedAfterTheClientTimeout() {
        advance(4);
        assertTrue(channel.isOpen());
        send("GET / HT");
        advance(1);
        assertFalse(channel.isOpen(), "half a request head does not keep a connection open");
        assertEquals("", written());
    }

    @Test
    void theListenerCountsItsConnections() {
        assertEquals(1, listener.connections());
        channel.close();
        assertEquals(0, listener.connections());
    }

    @Test
    void aDrainingListenerClosesAfterTheNextResponse() {
        listener.drain();
        send("GET / HTTP/1.1\r\nHost: nowhere.example\r\n\r\n");
        assertTrue(written().contains("connection: close\r\n"));
        assertFalse(channel.isOpen());
    }
}
