package dev.tandem.proxy.statics;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory that small files kept in memory (see {@link FileLookup}) may take, across every site: a file
 * that does not fit is simply kept open and sent with sendfile instead, so the budget bounds memory without
 * ever refusing a request.
 */
final class InlineMemory {

    private final long limit;
    private final AtomicLong used = new AtomicLong();

    InlineMemory(long limit) {
        this.limit = limit;
    }

    /** Takes {@code bytes} from the budget; false (and nothing taken) when they do not fit. */
    boolean reserve(long bytes) {
        for (;;) {
            long u = used.get();
            if (u + bytes > limit) {
                return false;
            }
            if (used.compareAndSet(u, u + bytes)) {
                return true;
            }
        }
    }

    void free(long bytes) {
        used.addAndGet(-bytes);
    }

    long used() {
        return used.get();
    }
}
