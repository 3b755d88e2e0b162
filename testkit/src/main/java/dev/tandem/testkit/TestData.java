package dev.tandem.testkit;

import io.netty.buffer.ByteBuf;

/**
 * Bodies of any length generated on the fly and checkable on arrival, so that tests can stream hundreds of
 * megabytes without holding them: the byte at offset {@code i} is {@code i % 251}. 251 is prime, so a chunk
 * that was dropped, duplicated or reordered anywhere shows up as a wrong byte.
 */
public final class TestData {

    private static final int PERIOD = 251;
    /** Largest piece {@link #fill} and {@link #copy} produce at once. */
    public static final int MAX_PIECE = 64 * 1024;
    private static final byte[] PATTERN = new byte[MAX_PIECE + PERIOD];

    static {
        for (int i = 0; i < PATTERN.length; i++) {
            PATTERN[i] = (byte) (i % PERIOD);
        }
    }

    private TestData() {
    }

    /** The byte at {@code offset} of every generated body. */
    public static byte at(long offset) {
        return (byte) (offset % PERIOD);
    }

    /** Writes {@code length} (at most {@link #MAX_PIECE}) bytes of the body starting at {@code offset}. */
    public static void fill(ByteBuf out, long offset, int length) {
        checkLength(length);
        out.writeBytes(PATTERN, (int) (offset % PERIOD), length);
    }

    /** Copies {@code length} (at most {@link #MAX_PIECE}) bytes of the body starting at {@code offset}. */
    public static void copy(long offset, byte[] into, int intoOffset, int length) {
        checkLength(length);
        System.arraycopy(PATTERN, (int) (offset % PERIOD), into, intoOffset, length);
    }

    /** The first {@code length} bytes of the body, for small bodies. */
    public static byte[] bytes(int length) {
        byte[] b = new byte[length];
        for (int done = 0; done < length; done += MAX_PIECE) {
            copy(done, b, done, Math.min(MAX_PIECE, length - done));
        }
        return b;
    }

    private static void checkLength(int length) {
        if (length < 0 || length > MAX_PIECE) {
            throw new IllegalArgumentException("length " + length + " (expected: 0-" + MAX_PIECE + ")");
        }
    }

    /** Checks a body piece by piece as it arrives: every byte must be the generated one at its offset. */
    public static final class Checker {

        private long received;
        private long firstMismatch = -1;

        public void update(byte[] b, int off, int len) {
            for (int i = 0; i < len; i++) {
                if (firstMismatch < 0 && b[off + i] != at(received + i)) {
                    firstMismatch = received + i;
                }
            }
            received += len;
        }

        public void update(ByteBuf b) {
            int start = b.readerIndex();
            int len = b.readableBytes();
            for (int i = 0; i < len; i++) {
                if (firstMismatch < 0 && b.getByte(start + i) != at(received + i)) {
                    firstMismatch = received + i;
                }
            }
            received += len;
        }

        public long received() {
            return received;
        }

        /** True when every byte so far was the expected one. */
        public boolean intact() {
            return firstMismatch < 0;
        }

        /** The offset of the first wrong byte, or -1. */
        public long firstMismatch() {
            return firstMismatch;
        }
    }
}
