package dev.tandem.proxy.statics;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.stream.ChunkedNioFile;
import java.io.IOException;

/**
 * A {@link ChunkedNioFile} over the shared channel of an {@link OpenFile}, for connections whose bytes must
 * pass through the JVM (TLS encrypts them, so no sendfile). {@code ChunkedNioFile} reads with positional
 * reads ({@code FileChannel.read(dst, position)}), so responses sharing the channel do not disturb each
 * other; {@code ChunkedWriteHandler} pulls one chunk (a pooled buffer of at most {@link #CHUNK} bytes) at a
 * time while the connection is writable, so a file is never on the heap whole.
 *
 * <p>Closing gives the reference back to the file instead of closing the shared channel. A file that
 * shrinks while it is sent ends the response with an error, where {@code ChunkedNioFile} alone would keep
 * producing empty chunks.
 */
final class SharedChunkedFile extends ChunkedNioFile {

    static final int CHUNK = 16 * 1024;

    private final OpenFile file;
    private boolean released;

    /** Takes over a reference the caller already holds on {@code file}. */
    SharedChunkedFile(OpenFile file, long offset, long length) throws IOException {
        super(file.channel(), offset, length, CHUNK);
        this.file = file;
    }

    @Override
    public ByteBuf readChunk(ByteBufAllocator allocator) throws Exception {
        long expected = Math.min(CHUNK, endOffset() - currentOffset());
        ByteBuf chunk = super.readChunk(allocator);
        if (chunk != null && chunk.readableBytes() < expected) {
            chunk.release();
            throw new IOException("file shrank while being sent (at byte " + currentOffset() + " of " + endOffset() + ")");
        }
        return chunk;
    }

    @Override
    public void close() {
        if (!released) {
            released = true;
            file.release();
        }
    }
}
