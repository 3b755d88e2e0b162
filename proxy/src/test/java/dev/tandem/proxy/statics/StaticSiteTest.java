package dev.tandem.proxy.statics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.OpenFileCacheConfig;
import dev.tandem.conf.StaticConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.FileRegion;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The static path on an {@link EmbeddedChannel}, with a lookup executor the test runs by hand: the chunked
 * body of secure connections (TLS listeners do not exist yet), the file region of plaintext ones, and what
 * happens when a client leaves, a file closes, or the cache is retired while a lookup is pending.
 */
class StaticSiteTest {

    /** Runs nothing until the test says so. */
    static final class ManualExecutor implements Executor {
        final Queue<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
        }

        void runAll() {
            for (Runnable r; (r = tasks.poll()) != null; ) {
                r.run();
            }
        }
    }

    /** A connection as the static path sees it, recording what it was asked to do. */
    static final class FakeExchange implements StaticExchange {
        final ChannelHandlerContext ctx;
        final boolean secure;
        boolean active = true;
        HttpResponse head;
        ChannelFuture last;
        int fallbacks;
        int progress;
        HttpResponseStatus error;

        FakeExchange(ChannelHandlerContext ctx, boolean secure) {
            this.ctx = ctx;
            this.secure = secure;
        }

        @Override
        public ChannelHandlerContext ctx() {
            return ctx;
        }

        @Override
        public boolean active() {
            return active;
        }

        @Override
        public boolean secure() {
            return secure;
        }

        @Override
        public void fallback() {
            fallbacks++;
        }

        @Override
        public void error(HttpResponseStatus status, String reason) {
            error = status;
        }

        @Override
        public void respond(HttpResponse head, long bodyBytes) {
            this.head = head;
        }

        @Override
        public void written(ChannelFuture last) {
            this.last = last;
        }

        @Override
        public void progressed() {
            progress++;
        }
    }

    @TempDir
    Path root;
    final ManualExecutor executor = new ManualExecutor();
    final AtomicInteger openFiles = new AtomicInteger();
    final InlineMemory inlineMemory = new InlineMemory(64 * 1024);
    OpenFileCache cache;
    StaticSite site;
    EmbeddedChannel channel;
    byte[] content;

    @BeforeEach
    void setUp() throws IOException {
        content = new byte[100_000];
        new Random(1).nextBytes(content);
        Files.write(root.resolve("f.bin"), content);
        FileLookup lookup = new FileLookup(root, List.of("index.html"), false, false, new MimeTypes(Map.of()), executor,
                openFiles, 16 * 1024, inlineMemory);
        cache = new OpenFileCache(new OpenFileCacheConfig(100, Duration.ofMinutes(5), 16 * 1024), lookup, executor);
        StaticMetrics metrics = new StaticMetrics(new SimpleMeterRegistry(), "t");
        site = new StaticSite(new StaticConfig(root, Optional.empty(), false), cache, metrics,
                new FileResponses(null, new HttpDates.Clock(), metrics));
        channel = new EmbeddedChannel(new HttpResponseEncoder(), new ChunkedWriteHandler(), new ChannelInboundHandlerAdapter());
    }

    @AfterEach
    void tearDown() {
        cache.close();
        executor.runAll();
        assertEquals(0, openFiles.get(), "every file closed");
        assertEquals(0, inlineMemory.used(), "every in-memory file released");
        channel.finishAndReleaseAll();
    }

    private FakeExchange exchange(boolean secure) {
        return new FakeExchange(channel.pipeline().lastContext(), secure);
    }

    private static HttpRequest get(String uri, String... headers) {
        HttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return r;
    }

    /** Runs the pending lookups, then the tasks they handed to the event loop. */
    private void settle() {
        executor.runAll();
        channel.runPendingTasks();
    }

    /** Everything written, as bytes; returns the sizes of the buffers that carried it. */
    private byte[] drainBytes(List<Integer> sizes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object m; (m = channel.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) m;
            sizes.add(b.readableBytes());
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            b.release();
            out.writeBytes(bytes);
        }
        return out.toByteArray();
    }

    private static byte[] body(byte[] response) {
        String text = new String(response, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n") + 4;
        byte[] body = new byte[response.length - end];
        System.arraycopy(response, end, body, 0, body.length);
        return body;
    }

    private OpenFile cachedFile(String key) {
        return ((Lookup.Found) cache.get(key).join()).file();
    }

    @Test
    void secureConnectionsGetTheFileInBoundedChunks() {
        FakeExchange ex = exchange(true);
        site.serve(ex, get("/f.bin"), "/f.bin");
        assertNull(ex.head, "a miss waits for its lookup");
        settle();
        assertEquals(HttpResponseStatus.OK, ex.head.status());
        assertTrue(ex.last.isSuccess());
        List<Integer> sizes = new ArrayList<>();
        byte[] response = drainBytes(sizes);
        assertArrayEquals(content, body(response));
        assertTrue(sizes.stream().skip(1).allMatch(n -> n <= SharedChunkedFile.CHUNK), "chunks: " + sizes);
        assertEquals(1, cachedFile("f.bin").refCnt(), "the response gave its reference back");
    }

    @Test
    void secureConnectionsGetRangesInChunksToo() {
        FakeExchange ex = exchange(true);
        site.serve(ex, get("/f.bin", "Range", "bytes=50000-90000"), "/f.bin");
        settle();
        assertEquals(HttpResponseStatus.PARTIAL_CONTENT, ex.head.status());
        byte[] body = body(drainBytes(new ArrayList<>()));
        assertArrayEquals(java.util.Arrays.copyOfRange(content, 50000, 90001), body);
    }

    @Test
    void plaintextConnectionsGetAFileRegionOverTheSharedChannel() {
        FakeExchange ex = exchange(false);
        site.serve(ex, get("/f.bin", "Range", "bytes=10-19"), "/f.bin");
        settle();
        ByteBuf head = channel.readOutbound();
        assertTrue(head.toString(StandardCharsets.US_ASCII).startsWith("HTTP/1.1 206"));
        head.release();
        FileRegion region = channel.readOutbound();
        assertInstanceOf(SharedFileRegion.class, region);
        assertEquals(10, region.position());
        assertEquals(10, region.count());
        OpenFile file = cachedFile("f.bin");
        assertEquals(2, file.refCnt(), "the cache and the response");
        region.release();
        assertEquals(1, file.refCnt(), "releasing the region gives the reference back and keeps the channel open");
        assertTrue(file.channel().isOpen());
        ByteBuf end = channel.readOutbound();
        end.release();
    }

    @Test
    void smallFilesLeaveFromMemoryWithTheirHead() throws IOException {
        byte[] small = "x".repeat(2000).getBytes(StandardCharsets.US_ASCII);
        Files.write(root.resolve("small.txt"), small);
        for (boolean secure : new boolean[] {false, true}) {
            FakeExchange ex = exchange(secure);
            site.serve(ex, get("/small.txt"), "/small.txt");
            settle();
            assertEquals(HttpResponseStatus.OK, ex.head.status());
            assertTrue(ex.last.isSuccess());
            ByteBuf head = channel.readOutbound();
            head.release();
            ByteBuf body = channel.readOutbound();
            byte[] bytes = new byte[body.readableBytes()];
            body.readBytes(bytes);
            body.release();
            assertArrayEquals(small, bytes);
            assertNull(channel.readOutbound(), "no file region, no chunks");
        }
        OpenFile file = cachedFile("small.txt");
        assertNull(file.channel(), "no descriptor kept for a file in memory");
        assertEquals(1, file.content().refCnt(), "the responses' slices are released");
        assertEquals(2000, inlineMemory.used());
    }

    @Test
    void smallFilesBeyondTheMemoryBudgetAreKeptOpen() throws IOException {
        for (int i = 0; i < 5; i++) {
            Files.write(root.resolve("s" + i + ".bin"), new byte[16 * 1024]);
            site.serve(exchange(false), get("/s" + i + ".bin"), "/s" + i + ".bin");
            settle();
            for (Object m; (m = channel.readOutbound()) != null; ) {
                io.netty.util.ReferenceCountUtil.release(m);
            }
        }
        assertEquals(64 * 1024, inlineMemory.used(), "four files fill the budget");
        assertTrue(cachedFile("s4.bin").channel() != null, "the fifth is kept open instead");
    }

    @Test
    void aClientThatLeavesWhileItsLookupIsPendingLeavesNothingBehind() {
        FakeExchange ex = exchange(false);
        site.serve(ex, get("/f.bin"), "/f.bin");
        ex.active = false;
        settle();
        assertNull(ex.head);
        assertNull(channel.readOutbound(), "nothing written for a client that left");
        assertEquals(1, openFiles.get(), "the file is open once, for the cache");
        assertEquals(1, cachedFile("f.bin").refCnt());
    }

    @Test
    void aCacheRetiredWhileALookupIsPendingStillAnswersAndClosesEverything() {
        FakeExchange ex = exchange(true);
        site.serve(ex, get("/f.bin"), "/f.bin");
        cache.close();
        settle();
        // The cached lookup was released as it completed; the answer looked again, outside the cache.
        settle();
        assertEquals(HttpResponseStatus.OK, ex.head.status());
        assertArrayEquals(content, body(drainBytes(new ArrayList<>())));
        executor.runAll();
        assertEquals(0, openFiles.get());
    }

    @Test
    void aFileClosedBetweenItsLookupAndTheResponseIsLookedUpAgain() {
        FakeExchange ex = exchange(true);
        site.serve(ex, get("/f.bin"), "/f.bin");
        executor.runAll();
        // The lookup is done and its answer queued on the event loop; now the entry is evicted and closes.
        var stale = cache.get("f.bin");
        OpenFile file = ((Lookup.Found) stale.join()).file();
        cache.evict("f.bin", stale);
        executor.runAll();
        assertEquals(0, file.refCnt());
        channel.runPendingTasks();
        assertNull(ex.head, "not answered from a closed file");
        settle();
        assertEquals(HttpResponseStatus.OK, ex.head.status());
        assertArrayEquals(content, body(drainBytes(new ArrayList<>())));
    }

    @Test
    void missesAreCachedAndAnsweredWithoutFallbackAs404() {
        FakeExchange ex = exchange(false);
        site.serve(ex, get("/none.txt"), "/none.txt");
        settle();
        assertEquals(HttpResponseStatus.NOT_FOUND, ex.error);
        FakeExchange again = exchange(false);
        site.serve(again, get("/none.txt"), "/none.txt");
        assertEquals(HttpResponseStatus.NOT_FOUND, again.error, "answered at once from the cached miss");
        assertTrue(executor.tasks.isEmpty());
    }

    @Test
    void aBadPathIsA400WithoutALookup() {
        FakeExchange ex = exchange(false);
        site.serve(ex, get("/%c0%ae%c0%ae/x"), "/%c0%ae%c0%ae/x");
        assertEquals(HttpResponseStatus.BAD_REQUEST, ex.error);
        assertTrue(executor.tasks.isEmpty());
    }

    @Test
    void aFileThatShrinksWhileSentInChunksFailsTheResponse() throws Exception {
        Path p = root.resolve("shrinking.bin");
        Files.write(p, new byte[64 * 1024]);
        site.serve(exchange(true), get("/shrinking.bin"), "/shrinking.bin");
        executor.runAll();
        OpenFile file = cachedFile("shrinking.bin");
        assertTrue(file.retain());
        SharedChunkedFile chunks = new SharedChunkedFile(file, 0, file.size());
        ByteBuf first = chunks.readChunk(ByteBufAllocator.DEFAULT);
        assertEquals(SharedChunkedFile.CHUNK, first.readableBytes());
        first.release();
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(20_000);
        }
        assertThrows(IOException.class, () -> chunks.readChunk(ByteBufAllocator.DEFAULT));
        int before = file.refCnt();
        chunks.close();
        chunks.close();
        assertEquals(before - 1, file.refCnt(), "closing twice gives the reference back once");
        channel.runPendingTasks();
    }
}
