package dev.tandem.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when a Netty buffer it allocated was garbage-collected without being released.
 * Registered for every test through JUnit's extension auto-detection.
 *
 * <p>Netty reports a leak only when a later allocation polls the reference queue, so after the class
 * the extension collects garbage and allocates a few tracked buffers to make pending reports surface.
 */
public final class LeakCheckExtension implements AfterAllCallback {

    private static final int COLLECTION_ROUNDS = 3;

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        for (int i = 0; i < COLLECTION_ROUNDS; i++) {
            System.gc();
            pollDetectors();
        }
        List<String> leaks = LeakLedger.drain();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " ByteBuf leak(s) detected in "
                    + context.getDisplayName() + ":\n" + String.join("\n---\n", leaks));
        }
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
