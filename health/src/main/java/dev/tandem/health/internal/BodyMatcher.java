package dev.tandem.health.internal;

import io.netty.buffer.ByteBuf;

/**
 * Looks for a byte string in the first {@code limit} bytes of a body as it arrives in pieces. Copies what
 * it keeps into a heap array, so the caller releases every buffer it feeds at once.
 */
final class BodyMatcher {

    private static final int INITIAL = 4096;

    private final byte[] needle;
    private final int limit;
    /** Grows as the body arrives: most health pages are small, and checks run often. */
    private byte[] seen;
    private final int status;
    private int size;
    /** Every match starting before this index has been ruled out. */
    private int searchedFrom;

    BodyMatcher(byte[] needle, int limit, int status) {
        this.needle = needle;
        this.limit = limit;
        this.seen = new byte[Math.min(limit, INITIAL)];
        this.status = status;
    }

    /** Appends what fits of {@code content} (its reader index is left alone); true once the needle is found. */
    boolean feed(ByteBuf content) {
        int n = Math.min(content.readableBytes(), limit - size);
        if (size + n > seen.length) {
            seen = java.util.Arrays.copyOf(seen, Math.min(limit, Math.max(size + n, seen.length * 2)));
        }
        content.getBytes(content.readerIndex(), seen, size, n);
        size += n;
        return search();
    }

    private boolean search() {
        if (needle.length == 0) {
            return true;
        }
        int last = size - needle.length;
        for (int i = searchedFrom; i <= last; i++) {
            if (matchesAt(i)) {
                return true;
            }
        }
        searchedFrom = Math.max(searchedFrom, last + 1);
        return false;
    }

    private boolean matchesAt(int i) {
        for (int j = 0; j < needle.length; j++) {
            if (seen[i + j] != needle[j]) {
                return false;
            }
        }
        return true;
    }

    /** True when the limit is reached: nothing more will be looked at. */
    boolean full() {
        return size == limit;
    }

    int size() {
        return size;
    }

    int status() {
        return status;
    }
}
