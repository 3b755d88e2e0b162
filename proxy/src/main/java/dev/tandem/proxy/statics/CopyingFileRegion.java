package dev.tandem.proxy.statics;

import io.netty.channel.FileRegion;
import io.netty.util.AbstractReferenceCounted;
import java.io.IOException;
import java.nio.channels.WritableByteChannel;

/**
 * A plain {@link FileRegion} (not a DefaultFileRegion) over a shared {@link OpenFile}, for the part of a
 * file beyond 2 GiB under io_uring, whose splice path cannot address it (see {@link SharedFileRegion}).
 * io_uring copies a generic region through a small direct buffer, chunk by chunk: the bytes pass through
 * native memory, never the heap, and never more than one chunk at a time.
 */
final class CopyingFileRegion extends AbstractReferenceCounted implements FileRegion {

    private final OpenFile file;
    private final long position;
    private final long count;
    private long transferred;

    /** Takes over a reference the caller already holds on {@code file}. */
    CopyingFileRegion(OpenFile file, long position, long count) {
        this.file = file;
        this.position = position;
        this.count = count;
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    @Deprecated
    public long transfered() {
        return transferred;
    }

    @Override
    public long transferred() {
        return transferred;
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public long transferTo(WritableByteChannel target, long position) throws IOException {
        long remaining = count - position;
        if (remaining < 0 || position < 0) {
            throw new IllegalArgumentException("position out of range: " + position + " (expected: 0 - " + (count - 1) + ')');
        }
        if (remaining == 0) {
            return 0;
        }
        long written = file.channel().transferTo(this.position + position, remaining, target);
        if (written > 0) {
            transferred += written;
        } else if (file.channel().size() < this.position + count) {
            throw new IOException("file shrank to " + file.channel().size() + " bytes while being sent");
        }
        return written;
    }

    @Override
    protected void deallocate() {
        file.release();
    }

    @Override
    public FileRegion retain() {
        super.retain();
        return this;
    }

    @Override
    public FileRegion retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public FileRegion touch() {
        return this;
    }

    @Override
    public FileRegion touch(Object hint) {
        return this;
    }
}
