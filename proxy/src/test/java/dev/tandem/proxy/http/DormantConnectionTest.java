package dev.tandem.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.runtime.RuntimeConfig;
import dev.tandem.proxy.transport.Transport;
import dev.tandem.proxy.upstream.LoopResources;
import dev.tandem.proxy.upstream.ServerRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelPipeline;
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
import org.junit.jupiter.api.Test;

/**
 * HTTP/1.1 client connections asleep between requests, on an {@link EmbeddedChannel} whose clock the test
 * moves: the pipeline shrinks once a connection has waited a while, grows back on the client's next bytes, and
 * the timeouts, drains and step-downs of an idle connection still hold while it sleeps.
 */
class DormantConnectionTest {

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
            limits: { client_timeout: 5s, keepalive_timeout: 10s }
            """;
    private static final String REQUEST = "GET / HTTP/1.1\r\nHost: nowhere.example\r\n\r\n";

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

    private ClientChannel channel;
    private LoopResources loop;
    private ListenerContext listener;

    /** A connection accepted on a listener that is plaintext, or ({@code secure}) TLS taken off before. */
    private void connect(boolean secure) throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        Snapshot snapshot = new Snapshot(ConfigLoader.parse("t.yaml", CONFIG, Path.of("/tmp")), "h", 1, "t.yaml");
        RuntimeConfig config = RuntimeConfig.compile(snapshot, new ServerRegistry(meters), meters, 1);
        listener = new ListenerContext("http", secure, new AtomicReference<>(config), () -> null);
        channel = new ClientChannel();
        channel.config().setAutoRead(false);
        channel.register();
        channel.freezeTime();
        loop = new LoopResources(0, channel.eventLoop(), Transport.nio());
        Map<EventLoop, LoopResources> loops = Map.of(channel.eventLoop(), loop);
        channel.pipeline().addLast(new ClientChannelInitializer(listener, loops));
        channel.pipeline().fireChannelActive();
    }

    @AfterEach
    void tearDown() {
        if (channel != null) {
            loop.close();
            channel.finishAndReleaseAll();
        }
    }

    private void send(String text) {
        channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
    }

    private String written() {
        StringBuilder sb = new StringBuilder();
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            sb.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return sb.toString();
    }

    private void advanceMillis(long millis) {
        channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }

    /** Asleep: on plaintext, the connection's first handler hosts the sleeper and nothing follows it. */
    private boolean asleep() {
        ChannelPipeline p = channel.pipeline();
        assertNull(p.get(HandlerNames.DORMANT), "a plaintext sleeper is no handler of its own");
        boolean dormant = p.get(ClientConnection.class).asleep();
        if (dormant) {
            assertEquals(java.util.List.of(HandlerNames.CONNECTION), p.names().subList(0, p.names().size() - 1));
            assertNull(p.get(HandlerNames.HTTP_CODEC));
            assertNull(p.get(HandlerNames.FLOW_CONTROL));
            assertNull(p.get(HandlerNames.CHUNKED_WRITE));
            assertNull(p.get(HandlerNames.PROXY));
            assertNotNull(p.get(HandlerNames.CONNECTION));
        } else {
            assertNotNull(p.get(HandlerNames.HTTP_CODEC));
            assertNotNull(p.get(HandlerNames.PROXY));
        }
        assertEquals(dormant ? 1 : 0, loop.idleSweep().dormantCount());
        return dormant;
    }

    private void answerOneAndSleep() {
        send(REQUEST);
        assertTrue(written().startsWith("HTTP/1.1 404 "));
        assertFalse(asleep());
        advanceMillis(TimeUnit.NANOSECONDS.toMillis(IdleSweep.DORMANCY_DELAY_NANOS));
        assertTrue(asleep());
    }

    @Test
    void aConnectionIdleBetweenRequestsShrinksToOneHandlerAfterTheDelay() throws Exception {
        connect(false);
        send(REQUEST);
        assertTrue(written().startsWith("HTTP/1.1 404 "));
        advanceMillis(TimeUnit.NANOSECONDS.toMillis(IdleSweep.DORMANCY_DELAY_NANOS) - 1);
        assertFalse(asleep(), "a busy client's next request comes sooner than this");
        advanceMillis(1);
        assertTrue(asleep());
        assertEquals(0, loop.idleSweep().waitingCount());
        assertTrue(channel.isOpen());
    }

    @Test
    void theNextRequestWakesItAndIsAnsweredThenItSleepsAgain() throws Exception {
        connect(false);
        answerOneAndSleep();
        send(REQUEST);
        assertTrue(written().startsWith("HTTP/1.1 404 "));
        assertFalse(asleep());
        assertNull(channel.pipeline().get(HandlerNames.DORMANT));
        assertTrue(channel.isOpen());
        advanceMillis(1000);
        assertTrue(asleep());
        send(REQUEST);
        assertTrue(written().startsWith("HTTP/1.1 404 "));
    }

    @Test
    void pipelinedRequestsArrivingInTheReadThatWakesItAreAllAnsweredInOrder() throws Exception {
        connect(false);
        answerOneAndSleep();
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
    void aConnectionHoldingPartOfARequestDoesNotSleep() throws Exception {
        connect(false);
        answerOneAndSleep();
        send("GET / HTTP/1.1\r\nHo");
        assertFalse(asleep());
        advanceMillis(3000);
        assertFalse(asleep(), "the bytes held are part of a request");
        send("st: nowhere.example\r\n\r\n");
        assertTrue(written().startsWith("HTTP/1.1 404 "));
    }

    @Test
    void aConnectionWhoseRequestHeadStopsAtTheEndOfALineDoesNotSleep() throws Exception {
        connect(false);
        answerOneAndSleep();
        // Whole lines: the decoder parses them into its state and holds no byte of them.
        send("GET / HTTP/1.1\r\nHost: nowhere.example\r\nConnection: close\r\n");
        assertFalse(asleep());
        advanceMillis(3000);
        assertFalse(asleep(), "the lines parsed are part of a request");
        send("\r\n");
        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 404 "), out);
    }

    @Test
    void aNewConnectionWhoseFirstRequestHeadStopsAtTheEndOfALineDoesNotSleep() throws Exception {
        connect(false);
        send("GET / HTTP/1.1\r\nHost: nowhere.example\r\n");
        advanceMillis(3000);
        assertFalse(asleep(), "the lines parsed are part of a request");
        send("\r\n");
        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 404 "), out);
    }

    @Test
    void theKeepaliveTimeoutClosesASleepingConnectionOnTime() throws Exception {
        connect(false);
        answerOneAndSleep();
        advanceMillis(8998);
        assertTrue(channel.isOpen());
        assertTrue(asleep());
        // The sweep runs the deadline at most its resolution late.
        advanceMillis(2 + TimeUnit.NANOSECONDS.toMillis(IdleSweep.RESOLUTION_NANOS));
        assertFalse(channel.isOpen());
        assertEquals(0, loop.idleSweep().dormantCount());
        assertEquals(0, listener.connections());
    }

    @Test
    void wakingDoesNotRestartTheKeepaliveTimeout() throws Exception {
        connect(false);
        answerOneAndSleep();
        advanceMillis(8000);
        send("GET / HT");
        assertFalse(asleep());
        advanceMillis(1000);
        assertFalse(channel.isOpen(), "the wait for this request began ten seconds ago");
        assertEquals("", written());
    }

    @Test
    void aNewConnectionThatSendsNothingSleepsAndClosesAtTheClientTimeout() throws Exception {
        connect(false);
        advanceMillis(1000);
        assertTrue(asleep());
        advanceMillis(3999);
        assertTrue(channel.isOpen());
        advanceMillis(1 + TimeUnit.NANOSECONDS.toMillis(IdleSweep.RESOLUTION_NANOS));
        assertFalse(channel.isOpen());
    }

    @Test
    void aDrainClosesASleepingConnection() throws Exception {
        connect(false);
        answerOneAndSleep();
        listener.drain();
        channel.runPendingTasks();
        assertFalse(channel.isOpen());
        assertEquals(0, listener.connections());
    }

    @Test
    void aStepDownClosesASleepingConnectionThatHasAnsweredBefore() throws Exception {
        connect(false);
        answerOneAndSleep();
        channel.pipeline().get(ClientConnection.class).closeWhenIdle();
        channel.runPendingTasks();
        assertFalse(channel.isOpen());
    }

    @Test
    void aStepDownLetsANewSleepingConnectionAskOnceAndClosesAfterTheAnswer() throws Exception {
        connect(false);
        advanceMillis(1000);
        assertTrue(asleep());
        channel.pipeline().get(ClientConnection.class).closeWhenIdle();
        channel.runPendingTasks();
        assertTrue(channel.isOpen(), "its client may be sending its first request now");
        send(REQUEST);
        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 404 "), out);
        assertTrue(out.contains("connection: close\r\n"), out);
        assertFalse(channel.isOpen());
    }

    @Test
    void onASecureListenerTheChunkedWriterLeavesAndComesBackInPlace() throws Exception {
        connect(true);
        assertNotNull(channel.pipeline().get(HandlerNames.CHUNKED_WRITE));
        answerOneAndSleep();
        send(REQUEST);
        assertTrue(written().startsWith("HTTP/1.1 404 "));
        assertEquals(java.util.List.of(HandlerNames.CONNECTION, HandlerNames.HTTP_CODEC, HandlerNames.FLOW_CONTROL,
                HandlerNames.CHUNKED_WRITE, HandlerNames.PROXY), channel.pipeline().names().subList(0, 5));
    }

    @Test
    void aClientClosingWhileAsleepLeavesTheSweep() throws Exception {
        connect(false);
        answerOneAndSleep();
        channel.close();
        assertEquals(0, loop.idleSweep().dormantCount());
        assertEquals(0, listener.connections());
    }
}
