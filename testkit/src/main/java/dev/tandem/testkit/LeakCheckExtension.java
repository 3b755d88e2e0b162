package dev.tandem.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when a Netty buffer it allocated was garbage-collected without being released.
 * Registered for every test through JUnit's extension auto-detection.
 *
 * <p>Netty reports a leak only when a later allocation polls the reference queue, so after the class
 * the extension collects garbage and allocates a few tracked buffers to make pending reports surface.
 * It is registered through {@code META-INF/services} and enabled by testkit's
 * {@code junit-platform.properties}, so every module whose tests depend on testkit gets it.
 */
public final class LeakCheckExtension implements AfterAllCallback {

    private static final int COLLECTION_ROUNDS = 3;
    private static final long SENTINEL_WAIT_MILLIS = 1000;

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        List<String> leaks = collectLeaks();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " ByteBuf leak(s) detected in "
                    + context.getDisplayName() + ":\n" + String.join("\n---\n", leaks));
        }
    }

    /**
     * Makes every leak so far surface and returns the reports (forgetting them): for a fuzz test, which checks
     * between its inputs, so that a leak is pinned to the inputs just run rather than to the whole class.
     */
    public static List<String> collectLeaks() throws InterruptedException {
        for (int i = 0; i < COLLECTION_ROUNDS; i++) {
            collectGarbage();
            pollDetectors();
        }
        return LeakLedger.drain();
    }

    /**
     * A full collection, then a wait until the JVM has queued the references it cleared: a sentinel cleared
     * with them reaching its queue means the reference handler got that far.
     */
    private static void collectGarbage() throws InterruptedException {
        ReferenceQueue<Object> queue = new ReferenceQueue<>();
        WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
        System.gc();
        queue.remove(SENTINEL_WAIT_MILLIS);
        sentinel.clear();
    }

    private static void pollDetectors() {
        for (int i = 0; i < 16; i++) {
            ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(16);
            pooled.release();
            ByteBuf heap = PooledByteBufAllocator.DEFAULT.heapBuffer(16);
            heap.release();
            ByteBuf unpooled = UnpooledByteBufAllocator.DEFAULT.directBuffer(16);
            unpooled.release();
        }
    }
}
