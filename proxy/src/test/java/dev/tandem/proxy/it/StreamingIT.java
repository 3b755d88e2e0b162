package dev.tandem.proxy.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.RawResponse;
import dev.tandem.testkit.RecordedRequest;
import dev.tandem.testkit.Respond;
import dev.tandem.testkit.TestBackend;
import dev.tandem.testkit.TestData;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bodies far bigger than the proxy may hold, both ways, and peers that stall: the proxy streams, holds a
 * bounded amount, and stops reading one side while the other cannot take more.
 *
 * <p>What the proxy holds is measured on Netty's default allocator, which in this JVM only the proxy uses
 * (test backends have their own, the clients are plain sockets): the memory it has reserved from the system
 * is an upper bound on what the proxy holds at any moment, and it grows as soon as the proxy holds more.
 */
class StreamingIT {

    private static final long MIB = 1024 * 1024;
    private static final long BIG = 200 * MIB;
    /** What the proxy may hold for one connection pair, with room for allocator chunk granularity. */
    private static final long HELD_BOUND = 16 * MIB;

    private TestBackend backend;
    private TestProxy proxy;
    private final ProxyMemory memory = new ProxyMemory();

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.builder("a").sendBuffer(64 * 1024).receiveBuffer(64 * 1024).start();
        proxy = TestProxy.start(TestProxy.config("""
                servers: [{ address: %s }]
                timeouts: { connect: 2s, read: 30s, write: 30s }
                """.formatted(backend.hostPort()), "limits: { max_body_bytes: 1g }\n"));
    }

    @AfterEach
    void stop() throws Exception {
        memory.close();
        proxy.close();
        backend.close();
    }

    /** Samples the default allocator's reserved memory every few milliseconds and keeps the peak. */
    private static final class ProxyMemory implements AutoCloseable {

        private final ByteBufAllocatorMetric metric = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
        private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        private final AtomicLong peak = new AtomicLong();
        private long baseline;

        long now() {
            return metric.usedDirectMemory() + metric.usedHeapMemory();
        }

        void start() {
            baseline = now();
            peak.set(baseline);
            sampler.scheduleAtFixedRate(() -> peak.accumulateAndGet(now(), Math::max), 0, 2, TimeUnit.MILLISECONDS);
        }

        /** Peak growth over the baseline since {@link #start()}. */
        long peakGrowth() {
            peak.accumulateAndGet(now(), Math::max);
            return peak.get() - baseline;
        }

        @Override
        public void close() {
            sampler.shutdownNow();
        }
    }

    private static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Waits until {@code counter} has not moved for {@code quiet}, and returns where it stopped. */
    private static long awaitStall(LongSupplier counter, Duration quiet) {
        AtomicLong last = new AtomicLong(-1);
        AtomicLong since = new AtomicLong();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            long v = counter.getAsLong();
            long t = System.nanoTime();
            if (v != last.get()) {
                last.set(v);
                since.set(t);
                return false;
            }
            return t - since.get() >= quiet.toNanos();
        });
        return last.get();
    }

    @Test
    void a200MiBRequestBodyStreamsThroughInBoundedMemory() throws Exception {
        backend.behaviour(Respond.bodySummary());
        long heapBefore = heapAfterGc();
        memory.start();
        try (RawHttpClient c = proxy.connect()) {
            c.send("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: " + BIG + "\r\n\r\n").sendPattern(0, BIG);
            RawResponse r = c.read();
            assertEquals(200, r.status());
            assertTrue(r.bodyText().startsWith("bytes=" + BIG + " ") && r.bodyText().contains("pattern=true"), r.bodyText());
        }
        long held = memory.peakGrowth();
        long heapGrowth = heapAfterGc() - heapBefore;
        System.out.printf("upload %d MiB: proxy allocator peak growth %.1f MiB, heap growth after GC %.1f MiB%n",
                BIG / MIB, held / (double) MIB, heapGrowth / (double) MIB);
        assertTrue(held < HELD_BOUND, "the proxy held up to " + held + " bytes");
        assertTrue(heapGrowth < 16 * MIB, "heap grew by " + heapGrowth + " bytes");
    }

    @Test
    void a200MiBResponseBodyStreamsThroughInBoundedMemory() throws Exception {
        backend.behaviour(Respond.stream(BIG));
        long heapBefore = heapAfterGc();
        memory.start();
        TestData.Checker check = new TestData.Checker();
        try (RawHttpClient c = proxy.connect()) {
            RawResponse head = c.send("GET /download HTTP/1.1\r\nHost: h\r\n\r\n").readHead();
            assertEquals(200, head.status());
            assertEquals(Long.toString(BIG), head.header("Content-Length"));
            c.readBody(head, check::update);
            // and the connection is still good for the next request
            backend.behaviour(Respond.name());
            assertEquals(200, c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read().status());
        }
        assertEquals(BIG, check.received());
        assertTrue(check.intact(), "first wrong byte at " + check.firstMismatch());
        long held = memory.peakGrowth();
        long heapGrowth = heapAfterGc() - heapBefore;
        System.out.printf("download %d MiB: proxy allocator peak growth %.1f MiB, heap growth after GC %.1f MiB%n",
                BIG / MIB, held / (double) MIB, heapGrowth / (double) MIB);
        assertTrue(held < HELD_BOUND, "the proxy held up to " + held + " bytes");
        assertTrue(heapGrowth < 16 * MIB, "heap grew by " + heapGrowth + " bytes");
    }

    @Test
    void aChunkedResponseOfUnknownLengthStreamsThrough() throws Exception {
        backend.behaviour(Respond.streamChunked(20 * MIB));
        TestData.Checker check = new TestData.Checker();
        try (RawHttpClient c = proxy.connect()) {
            RawResponse head = c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").readHead();
            assertEquals("chunked", head.header("Transfer-Encoding"));
            c.readBody(head, check::update);
        }
        assertEquals(20 * MIB, check.received());
        assertTrue(check.intact());
    }

    @Test
    void aStalledClientStopsTheProxyReadingTheServer() throws Exception {
        long size = 128 * MIB;
        backend.behaviour(Respond.stream(size));
        memory.start();
        try (RawHttpClient c = proxy.connect(64 * 1024)) {
            RawResponse head = c.send("GET /big HTTP/1.1\r\nHost: h\r\n\r\n").readHead();
            assertEquals(Long.toString(size), head.header("Content-Length"));
            // read a little, then stop reading altogether
            TestData.Checker check = new TestData.Checker();
            byte[] some = c.readSome(64 * 1024);
            check.update(some, 0, some.length);

            long sentWhenStalled = awaitStall(backend::bytesSent, Duration.ofMillis(500));
            long held = memory.peakGrowth();
            System.out.printf("stalled client: server sent %.1f MiB of %d MiB, proxy allocator peak growth %.1f MiB%n",
                    sentWhenStalled / (double) MIB, size / MIB, held / (double) MIB);
            assertTrue(sentWhenStalled < size / 4, "the proxy kept reading the server: " + sentWhenStalled);
            assertTrue(held < HELD_BOUND, "the proxy held up to " + held + " bytes");

            // the client reads again: everything arrives, intact
            c.readExactly(size - some.length, check::update);
            assertEquals(size, check.received());
            assertTrue(check.intact(), "first wrong byte at " + check.firstMismatch());
        }
    }

    @Test
    void aClientStalledLongerThanTheReadTimeoutDoesNotCountAgainstTheServer() throws Exception {
        long size = 32 * MIB;
        backend.behaviour(Respond.stream(size));
        String yaml = TestProxy.config("""
                servers: [{ address: %s }]
                timeouts: { connect: 2s, read: 300ms, write: 300ms }
                passive: { max_fails: 1, fail_timeout: 1m }
                """.formatted(backend.hostPort()), "");
        try (TestProxy p = TestProxy.start(yaml); RawHttpClient c = p.connect(64 * 1024)) {
            RawResponse head = c.send("GET /big HTTP/1.1\r\nHost: h\r\n\r\n").readHead();
            // the server cannot send for three read timeouts while the client does not read
            awaitStall(backend::bytesSent, Duration.ofMillis(1000));
            TestData.Checker check = new TestData.Checker();
            c.readBody(head, check::update);
            assertEquals(size, check.received());
            assertTrue(check.intact());
            assertTrue(p.state(backend.hostPort()).health().allowsTraffic(System.nanoTime()));
        }
    }

    @Test
    void aSlowUploaderIsNotAServerTimeout() throws Exception {
        backend.behaviour(Respond.bodySummary());
        String yaml = TestProxy.config("""
                servers: [{ address: %s }]
                timeouts: { connect: 2s, read: 300ms, write: 300ms }
                """.formatted(backend.hostPort()), "");
        try (TestProxy p = TestProxy.start(yaml); RawHttpClient c = p.connect()) {
            c.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n").sendPattern(0, 1000);
            await().until(() -> backend.lastRequest() != null && backend.lastRequest().bodyBytes() == 1000);
            // the client pauses for longer than the server's read timeout; the server is not to blame
            RecordedRequest req = backend.lastRequest();
            await().during(Duration.ofMillis(1000)).atMost(Duration.ofSeconds(5)).until(() -> !req.complete());
            c.sendPattern(1000, 1000);
            RawResponse r = c.read();
            assertEquals(200, r.status());
            assertTrue(r.bodyText().startsWith("bytes=2000 "), r.bodyText());
        }
    }

    @Test
    void aServerThatStopsReadingStopsTheProxyReadingTheClient() throws Exception {
        long size = 64 * MIB;
        backend.behaviour(Respond.bodySummary());
        backend.pauseReading();
        memory.start();
        AtomicLong written = new AtomicLong();
        ExecutorService uploader = Executors.newSingleThreadExecutor();
        try (RawHttpClient c = proxy.connect()) {
            Future<?> upload = uploader.submit(() -> {
                c.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: " + size + "\r\n\r\n");
                OutputStream out = c.socket().getOutputStream();
                byte[] piece = new byte[TestData.MAX_PIECE];
                for (long done = 0; done < size; done += piece.length) {
                    TestData.copy(done, piece, 0, piece.length);
                    out.write(piece);
                    written.addAndGet(piece.length);
                }
                out.flush();
                return null;
            });
            long writtenWhenStalled = awaitStall(written::get, Duration.ofMillis(500));
            long held = memory.peakGrowth();
            System.out.printf("stalled server: client wrote %.1f MiB of %d MiB, proxy allocator peak growth %.1f MiB%n",
                    writtenWhenStalled / (double) MIB, size / MIB, held / (double) MIB);
            assertTrue(writtenWhenStalled < size / 4, "the proxy kept reading the client: " + writtenWhenStalled);
            assertTrue(held < HELD_BOUND, "the proxy held up to " + held + " bytes");

            backend.resumeReading();
            upload.get(60, TimeUnit.SECONDS);
            RawResponse r = c.read();
            assertTrue(r.bodyText().startsWith("bytes=" + size + " ") && r.bodyText().contains("pattern=true"), r.bodyText());
        } finally {
            uploader.shutdownNow();
        }
    }
}
