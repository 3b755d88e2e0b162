package dev.tandem.proxy.statics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.transport.Transport;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sparse files (no disk space, all the size): a whole gibibyte sent with the heap flat, and ranges from
 * the middle of files past the 2 GiB mark, on every transport this machine has.
 */
class LargeFileTest {

    private static final long GIB = 1L << 30;
    private static final long HALF = GIB / 2;
    private static final long FAR = 5L * GIB / 2;
    private static final byte[] MARK = "middle-of-the-file".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    static Path dir;
    static Path root;

    @BeforeAll
    static void files() throws Exception {
        root = Files.createDirectories(dir.resolve("www"));
        sparse(root.resolve("1g.bin"), GIB, HALF);
        sparse(root.resolve("3g.bin"), 3 * GIB, FAR);
    }

    private static void sparse(Path p, long size, long markAt) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
            f.seek(markAt);
            f.write(MARK);
        }
    }

    @AfterAll
    static void gone() throws Exception {
        Files.deleteIfExists(root.resolve("1g.bin"));
        Files.deleteIfExists(root.resolve("3g.bin"));
    }

    static Stream<Transport> transports() {
        List<Transport> t = new ArrayList<>();
        if (IoUring.isAvailable()) {
            t.add(Transport.ioUring());
        }
        if (Epoll.isAvailable()) {
            t.add(Transport.epoll());
        }
        t.add(Transport.nio());
        return t.stream();
    }

    @Test
    void aWholeGibibyteLeavesTheHeapAsItWas() throws Exception {
        try (StaticFixture f = StaticFixture.start(root, "fallback: false", false)) {
            f.get("/1g.bin", "Range: bytes=0-0");
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            List<Long> loopThreads = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("tandem-io")).map(Thread::getId).toList();
            assertTrue(!loopThreads.isEmpty());
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long allocatedBefore = allocated(threads, loopThreads);
            System.gc();
            long heapBefore = memory.getHeapMemoryUsage().getUsed();
            long directBefore = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();

            long received;
            try (RawHttp c = new RawHttp(f.address())) {
                c.send(RawHttp.request("GET", "/1g.bin"));
                received = c.readDiscarding(GIB);
            }

            long allocatedByLoops = allocated(threads, loopThreads) - allocatedBefore;
            System.gc();
            long heapGrowth = memory.getHeapMemoryUsage().getUsed() - heapBefore;
            assertEquals(GIB, received);
            // The event loop allocates a few objects per response, not per byte.
            assertTrue(allocatedByLoops < (4 << 20), "event loops allocated " + allocatedByLoops + " bytes");
            assertTrue(heapGrowth < (32 << 20), "heap grew by " + heapGrowth + " bytes");
            assertTrue(PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory() - directBefore < (8 << 20),
                    "no file bytes in direct buffers either");
        }
    }

    private static long allocated(com.sun.management.ThreadMXBean threads, List<Long> ids) {
        long sum = 0;
        for (long id : ids) {
            sum += Math.max(0, threads.getThreadAllocatedBytes(id));
        }
        return sum;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void rangesFromTheMiddle(Transport transport) throws Exception {
        try (StaticFixture f = StaticFixture.start(root, "fallback: false", false, transport)) {
            RawHttp.Response mid = f.get("/1g.bin", "Range: bytes=" + (HALF - 4) + "-" + (HALF + MARK.length + 3));
            assertEquals(206, mid.status());
            assertEquals("bytes " + (HALF - 4) + "-" + (HALF + MARK.length + 3) + "/" + GIB, mid.header("Content-Range"));
            assertArrayEquals(expected(), mid.body());

            // Past 2 GiB, where offsets no longer fit in an int.
            RawHttp.Response far = f.get("/3g.bin", "Range: bytes=" + (FAR - 4) + "-" + (FAR + MARK.length + 3));
            assertEquals(206, far.status());
            assertArrayEquals(expected(), far.body());

            // A range that starts below 2 GiB and ends above it.
            long from = (1L << 31) - 1000;
            try (RawHttp c = new RawHttp(f.address())) {
                c.send(RawHttp.request("GET", "/3g.bin", "Range: bytes=" + from + "-" + (from + 1_999_999)));
                RawHttp.Response across = c.read(false);
                assertEquals(206, across.status());
                assertEquals(2_000_000, across.body().length);
                // The connection is still in step for another request.
                c.send(RawHttp.request("GET", "/3g.bin", "Range: bytes=" + FAR + "-" + (FAR + MARK.length - 1)));
                assertArrayEquals(MARK, c.read(false).body());
            }
        }
    }

    private static byte[] expected() {
        byte[] b = new byte[MARK.length + 8];
        System.arraycopy(MARK, 0, b, 4, MARK.length);
        return b;
    }
}
