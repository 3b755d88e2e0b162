package dev.tandem.proxy.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.runtime.RuntimeConfig;
import dev.tandem.proxy.statics.StaticFiles;
import dev.tandem.proxy.transport.Transport;
import dev.tandem.proxy.upstream.LoopResources;
import dev.tandem.proxy.upstream.ServerRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelProgressivePromise;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.FileRegion;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Static files through the whole client pipeline as {@link ClientChannelInitializer} assembles it, on an
 * embedded channel: a secure listener gets a ChunkedWriteHandler and its files as bounded chunks (the path
 * TLS will use), a plaintext one gets file regions and no ChunkedWriteHandler.
 */
class StaticPipelineTest {

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
            return new InetSocketAddress("192.0.2.1", 443);
        }
    }

    @TempDir
    Path root;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final StaticFiles files = new StaticFiles(meters);
    private ClientChannel channel;
    private LoopResources loop;

    private void open(boolean secure) throws Exception {
        String yaml = """
                listeners:
                  - name: https
                    bind: 127.0.0.1:0
                sites:
                  - hosts: ["*"]
                    static: {root: '%s', fallback: false}
                limits: {client_timeout: 5s, keepalive_timeout: 30s}
                """.formatted(root);
        Snapshot snapshot = new Snapshot(ConfigLoader.parse("t.yaml", yaml, root), "h", 1, "t.yaml");
        RuntimeConfig config = RuntimeConfig.compile(snapshot, new ServerRegistry(meters), files, meters, 1);
        ListenerContext listener = new ListenerContext("https", secure, new AtomicReference<>(config), () -> null);
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
        files.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> files.openFiles() == 0);
    }

    private void send(String text) {
        channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
    }

    /**
     * Waits for the lookup (on the lookup threads) and the answer (back on the channel's loop) until the whole
     * response is there, and returns it; {@code sizes} gets the size of each buffer that carried it.
     */
    private byte[] response(List<Integer> sizes) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            channel.runPendingTasks();
            for (Object m; (m = channel.readOutbound()) != null; ) {
                ByteBuf buf = (ByteBuf) m;
                sizes.add(buf.readableBytes());
                byte[] chunk = new byte[buf.readableBytes()];
                buf.readBytes(chunk);
                buf.release();
                b.writeBytes(chunk);
            }
            String text = b.toString(StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            int at = text.toLowerCase(java.util.Locale.ROOT).indexOf("content-length: ");
            if (end < 0 || at < 0) {
                return false;
            }
            int length = Integer.parseInt(text.substring(at + 16, text.indexOf("\r\n", at)));
            return text.length() - end - 4 == length;
        });
        return b.toByteArray();
    }

    private static byte[] body(byte[] response) {
        String text = new String(response, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n") + 4;
        byte[] body = new byte[response.length - end];
        System.arraycopy(response, end, body, 0, body.length);
        return body;
    }

    @Test
    void aSecureListenerSendsLargeFilesInBoundedChunksAndKeepsTheConnection() throws Exception {
        byte[] content = new byte[200_000];
        new Random(3).nextBytes(content);
        Files.write(root.resolve("big.bin"), content);
        open(true);
        assertNotNull(channel.pipeline().get(ChunkedWriteHandler.class));

        for (int i = 0; i < 2; i++) {
            send("GET /big.bin HTTP/1.1\r\nHost: files.example\r\n\r\n");
            List<Integer> sizes = new ArrayList<>();
            byte[] response = response(sizes);
            assertTrue(new String(response, 0, 20, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200 OK"));
            assertArrayEquals(content, body(response));
            assertTrue(sizes.size() > 10, "sent in chunks: " + sizes);
            assertTrue(sizes.stream().skip(1).allMatch(n -> n <= 16 * 1024), "chunks of at most 16 KiB: " + sizes);
        }
        assertTrue(channel.isOpen(), "kept alive for the next request");
    }

    @Test
    void aSecureListenerSendsSmallFilesWithTheirHead() throws Exception {
        Files.writeString(root.resolve("small.css"), "a { color: red }");
        open(true);
        send("GET /small.css HTTP/1.1\r\nHost: files.example\r\n\r\n");
        String text = new String(response(new ArrayList<>()), StandardCharsets.ISO_8859_1);
        assertTrue(text.startsWith("HTTP/1.1 200 OK"), text);
        assertTrue(text.endsWith("\r\n\r\na { color: red }"), text);
    }

    /**
     * Stands for a client reading slowly: holds a file region's write (and every write after it) until told,
     * reporting progress on it as the transports do.
     */
    private static final class SlowClient extends ChannelOutboundHandlerAdapter {
        private final List<Object> held = new ArrayList<>();
        private final List<ChannelPromise> promises = new ArrayList<>();
        private ChannelProgressivePromise region;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof FileRegion && region == null) {
                region = (ChannelProgressivePromise) promise;
            }
            if (region != null) {
                held.add(msg);
                promises.add(promise);
            } else {
                ctx.write(msg, promise);
            }
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            if (region == null) {
                ctx.flush();
            }
        }

        void progress(long done) {
            region.tryProgress(done, 100_000);
        }

        /** The connection is gone: what was held is dropped, as the transport would drop it. */
        void discard() {
            region = null;
            held.forEach(io.netty.util.ReferenceCountUtil::release);
            promises.forEach(p -> p.tryFailure(new java.nio.channels.ClosedChannelException()));
            held.clear();
            promises.clear();
        }

        void finish(ChannelHandlerContext ctx) {
            region = null;
            for (int i = 0; i < held.size(); i++) {
                ctx.write(held.get(i), promises.get(i));
            }
            held.clear();
            promises.clear();
            ctx.flush();
        }
    }

    private void advance(long seconds) {
        channel.advanceTimeBy(seconds, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        channel.runPendingTasks();
    }

    @Test
    void aBodyThatKeepsMovingIsNeverCutOneThatStopsIsCutAfterClientTimeout() throws Exception {
        Files.write(root.resolve("big.bin"), new byte[100_000]);
        open(false);
        SlowClient slow = new SlowClient();
        channel.pipeline().addFirst(slow);
        send("GET /big.bin HTTP/1.1\r\nHost: files.example\r\n\r\n");
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            channel.runPendingTasks();
            return slow.region != null;
        });
        // 4 s apart, each time with progress: 12 s in all, over twice client_timeout (5 s).
        for (int i = 1; i <= 3; i++) {
            advance(4);
            assertTrue(channel.isOpen(), "still sending after " + 4 * i + " s");
            slow.progress(i * 1000L);
        }
        slow.finish(channel.pipeline().firstContext());
        channel.runPendingTasks();
        for (Object m; (m = channel.readOutbound()) != null; ) {
            io.netty.util.ReferenceCountUtil.release(m);
        }
        // The response is done: the connection now waits for the next request under keepalive_timeout (30 s).
        advance(10);
        assertTrue(channel.isOpen());

        send("GET /big.bin HTTP/1.1\r\nHost: files.example\r\n\r\n");
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            channel.runPendingTasks();
            return slow.region != null;
        });
        advance(4);
        assertTrue(channel.isOpen());
        advance(2);
        assertFalse(channel.isOpen(), "no progress for client_timeout: cut");
        slow.discard();
    }

    @Test
    void aPlaintextListenerSendsFileRegions() throws Exception {
        Files.write(root.resolve("big.bin"), new byte[100_000]);
        open(false);
        assertNull(channel.pipeline().get(ChunkedWriteHandler.class));
        send("GET /big.bin HTTP/1.1\r\nHost: files.example\r\n\r\n");
        List<Object> out = new ArrayList<>();
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            channel.runPendingTasks();
            for (Object m; (m = channel.readOutbound()) != null; ) {
                out.add(m);
            }
            return out.size() >= 3;
        });
        ByteBuf head = (ByteBuf) out.get(0);
        assertTrue(head.toString(StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200 OK"));
        head.release();
        FileRegion region = (FileRegion) out.get(1);
        assertTrue(region instanceof DefaultFileRegion, "a DefaultFileRegion, so that sendfile/splice apply");
        assertEquals(100_000, region.count());
        region.release();
        ByteBuf end = (ByteBuf) out.get(2);
        assertFalse(end.isReadable());
        end.release();
    }
}
