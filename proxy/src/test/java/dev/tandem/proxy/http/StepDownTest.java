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
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A node that gives up one address (a VIP) closes that address's keep-alive connections gently, on one listener
 * that serves two addresses (as one bound to {@code 0.0.0.0} does): the other address's connections keep
 * alive.
 */
class StepDownTest {

    private static final String CONFIG = """
            listeners:
              - name: http
                bind: 0.0.0.0:0
            sites:
              - hosts: [known.example]
                upstream: web
            upstreams:
              web:
                servers: [{ address: "127.0.0.1:9" }]
            limits: { client_timeout: 5s, keepalive_timeout: 10s }
            """;
    private static final String VIP_A = "192.0.2.1";
    private static final String VIP_B = "192.0.2.2";
    private static final String REQUEST = "GET / HTTP/1.1\r\nHost: nowhere.example\r\n\r\n";

    /** An embedded channel that looks like a TCP connection accepted on {@code local}. */
    private static final class ClientChannel extends EmbeddedChannel {
        private final InetSocketAddress local;

        ClientChannel(String local) {
            super(false, false);
            this.local = new InetSocketAddress(local, 80);
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return new InetSocketAddress("198.51.100.7", 40_000);
        }

        @Override
        protected SocketAddress localAddress0() {
            return local;
        }
    }

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ConnectionsByAddress byAddress = new ConnectionsByAddress();
    private final List<ClientChannel> channels = new ArrayList<>();
    private final List<LoopResources> loops = new ArrayList<>();
    private ListenerContext listener;

    @BeforeEach
    void setUp() throws Exception {
        Snapshot snapshot = new Snapshot(ConfigLoader.parse("t.yaml", CONFIG, Path.of("/tmp")), "h", 1, "t.yaml");
        RuntimeConfig config = RuntimeConfig.compile(snapshot, new ServerRegistry(meters), meters, 1);
        listener = new ListenerContext("http", false, new AtomicReference<>(config), () -> null, byAddress);
    }

    @AfterEach
    void tearDown() {
        loops.forEach(LoopResources::close);
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private ClientChannel connect(String local) throws Exception {
        ClientChannel channel = new ClientChannel(local);
        channel.config().setAutoRead(false);
        channel.register();
        LoopResources loop = new LoopResources(0, channel.eventLoop(), Transport.nio());
        Map<EventLoop, LoopResources> byLoop = Map.of(channel.eventLoop(), loop);
        channel.pipeline().addLast(new ClientChannelInitializer(listener, byLoop));
        channel.pipeline().fireChannelActive();
        channels.add(channel);
        loops.add(loop);
        return channel;
    }

    private static void send(EmbeddedChannel channel, String text) {
        channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
    }

    private static String written(EmbeddedChannel channel) {
        StringBuilder sb = new StringBuilder();
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            sb.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return sb.toString();
    }

    private static InetAddress ip(String a) throws Exception {
        return InetAddress.getByName(a);
    }

    @Test
    void idleKeptAliveConnectionsOfTheAddressCloseAtOnceTheOthersStay() throws Exception {
        ClientChannel a = connect(VIP_A);
        ClientChannel b = connect(VIP_B);
        send(a, REQUEST);
        send(b, REQUEST);
        assertFalse(written(a).contains("connection: close"));
        assertFalse(written(b).contains("connection: close"));
        assertEquals(1, byAddress.open(ip(VIP_A)));
        assertEquals(1, byAddress.open(ip(VIP_B)));

        assertEquals(1, byAddress.closeWhenIdle(ip(VIP_A)));
        a.runPendingTasks();
        b.runPendingTasks();

        assertFalse(a.isOpen(), "idle between requests: closed at once");
        assertEquals(0, byAddress.open(ip(VIP_A)));
        assertTrue(b.isOpen());
        assertEquals(1, byAddress.open(ip(VIP_B)));
        send(b, REQUEST);
        String out = written(b);
        assertTrue(out.startsWith("HTTP/1.1 404 "), out);
        assertFalse(out.contains("connection: close"), "the other address keeps alive: " + out);
        assertTrue(b.isOpen());
    }

    @Test
    void aConnectionNotYetAskedAnythingAnswersItsFirstRequestThenCloses() throws Exception {
        ClientChannel a = connect(VIP_A);
        byAddress.closeWhenIdle(ip(VIP_A));
        a.runPendingTasks();
        assertTrue(a.isOpen(), "a client that just connected is about to send: it is answered, not cut");

        send(a, REQUEST);
        String out = written(a);
        assertTrue(out.startsWith("HTTP/1.1 404 "), out);
        assertTrue(out.contains("connection: close\r\n"), out);
        assertFalse(a.isOpen());
        assertEquals(0, byAddress.open(ip(VIP_A)));
    }

    @Test
    void aRequestArrivingWithTheStepDownIsAnsweredWholeThenTheConnectionCloses() throws Exception {
        ClientChannel a = connect(VIP_A);
        send(a, REQUEST);
        written(a);
        // The client's next request is here before the step-down reaches the connection's event loop.
        byAddress.closeWhenIdle(ip(VIP_A));
        send(a, REQUEST.replace("GET", "HEAD"));
        String out = written(a);
        assertTrue(out.startsWith("HTTP/1.1 404 ") && out.endsWith("\r\n\r\n"), "a whole response: " + out);
        a.runPendingTasks();
        assertFalse(a.isOpen(), "idle after it: closed");
    }

    @Test
    void closedConnectionsLeaveNoCount() throws Exception {
        ClientChannel a = connect(VIP_A);
        ClientChannel a2 = connect(VIP_A);
        assertEquals(2, byAddress.open(ip(VIP_A)));
        a.close();
        assertEquals(1, byAddress.open(ip(VIP_A)));
        a2.close();
        assertEquals(0, byAddress.open(ip(VIP_A)));
        assertEquals(0, byAddress.closeWhenIdle(ip(VIP_A)));
    }

    @Test
    void anHttp2ConnectionOfTheAddressGetsGoaway() throws Exception {
        ClientChannel h2 = new ClientChannel(VIP_A);
        h2.config().setAutoRead(false);
        h2.register();
        LoopResources loop = new LoopResources(0, h2.eventLoop(), Transport.nio());
        channels.add(h2);
        loops.add(loop);
        // As ProtocolSelector leaves it once ALPN chose h2 (TLS itself is beside the point here).
        h2.pipeline().addLast(HandlerNames.CONNECTION, new ClientConnection(listener));
        new ClientChannelInitializer(listener, Map.of(h2.eventLoop(), loop)).addHttp2Handlers(h2.pipeline());
        h2.pipeline().fireChannelActive();
        ByteBuf preface = Unpooled.buffer();
        preface.writeBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        preface.writeMedium(0).writeByte(0x4).writeByte(0).writeInt(0); // an empty SETTINGS frame
        h2.writeInbound(preface);
        assertFalse(frameTypes(h2).contains(GOAWAY));

        byAddress.closeWhenIdle(ip(VIP_B)); // another address: nothing happens to this one
        h2.runPendingTasks();
        assertFalse(frameTypes(h2).contains(GOAWAY));
        byAddress.closeWhenIdle(ip(VIP_A));
        h2.runPendingTasks();
        assertTrue(frameTypes(h2).contains(GOAWAY), "GOAWAY sent");
    }

    private static final int GOAWAY = 0x7;

    /** The types of the HTTP/2 frames written to the client so far. */
    private static List<Integer> frameTypes(EmbeddedChannel channel) {
        ByteBuf all = Unpooled.buffer();
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            all.writeBytes(b);
            b.release();
        }
        List<Integer> types = new ArrayList<>();
        while (all.readableBytes() >= 9) {
            int length = all.readUnsignedMedium();
            types.add((int) all.readUnsignedByte());
            all.skipBytes(5 + Math.min(length, all.readableBytes() - 5));
        }
        all.release();
        return types;
    }
}
