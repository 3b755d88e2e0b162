package dev.tandem.proxy.statics;

import io.netty.buffer.ByteBuf;
import io.netty.util.AsciiString;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One file kept ready for the responses that serve it, with what those responses say about it: either
 * open (a {@link FileChannel} that responses send from), or, when it is small, its bytes in one direct
 * buffer (off the heap) that responses send slices of.
 *
 * <p>Shared by every response on every event loop while it is cached. Reference counted: the cache holds
 * one reference and each response that sends the file holds another (through {@link SharedFileRegion} or
 * {@link SharedChunkedFile}); the channel is closed when the last one is released, so an evicted file keeps
 * serving the responses already under way, and a response never reads a channel someone else closed.
 * Responses read the channel only with positional reads ({@code sendfile}/{@code splice} with an offset,
 * {@code read(dst, position)}), so they never disturb each other. An in-memory file needs no reference per
 * response: each response sends a retained slice of the buffer, which outlives the file's own release.
 *
 * @see FileLookup for how the metadata is taken and why it matches what is sent
 */
final class OpenFile {

    private static final Logger log = LoggerFactory.getLogger(OpenFile.class);

    private final FileChannel channel;
    private final ByteBuf content;
    private final long size;
    private final long lastModifiedMillis;
    private final AsciiString etag;
    private final AsciiString lastModified;
    private final AsciiString contentType;
    /** The Content-Encoding of this representation, or null for the file itself. */
    private final AsciiString encoding;
    private final Executor closer;
    private final Runnable onClose;
    private final AtomicInteger refs = new AtomicInteger(1);

    /**
     * @param channel the open file, or null when {@code content} holds it
     * @param content the whole file in a direct buffer (this takes over its reference), or null
     * @param closer  where the channel is closed (off the event loops: a close may wait on the file system)
     * @param onClose called once the channel is closed (or the content released)
     */
    OpenFile(FileChannel channel, ByteBuf content, long size, long lastModifiedMillis, AsciiString etag,
             AsciiString contentType, AsciiString encoding, Executor closer, Runnable onClose) {
        if ((channel == null) == (content == null)) {
            throw new IllegalArgumentException("a file is either open or in memory");
        }
        this.channel = channel;
        this.content = content;
        this.size = size;
        this.lastModifiedMillis = lastModifiedMillis;
        this.etag = etag;
        this.lastModified = HttpDates.format(lastModifiedMillis);
        this.contentType = contentType;
        this.encoding = encoding;
        this.closer = closer;
        this.onClose = onClose;
    }

    /** The open file, or null when the file is {@link #content in memory}. */
    FileChannel channel() {
        return channel;
    }

    /** The whole file, read-only use: slice it, never move its indexes; null when the file is open instead. */
    ByteBuf content() {
        return content;
    }

    long size() {
        return size;
    }

    /** Modification time in milliseconds; HTTP compares it at one-second precision. */
    long lastModifiedMillis() {
        return lastModifiedMillis;
    }

    AsciiString etag() {
        return etag;
    }

    AsciiString lastModified() {
        return lastModified;
    }

    AsciiString contentType() {
        return contentType;
    }

    AsciiString encoding() {
        return encoding;
    }

    /**
     * Takes a reference for a response. False when the file has already been closed (evicted and its last
     * response finished between the lookup and now): the caller looks it up again.
     */
    boolean retain() {
        for (;;) {
            int n = refs.get();
            if (n == 0) {
                return false;
            }
            if (refs.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives a reference back; the last one closes the channel. */
    void release() {
        int n = refs.decrementAndGet();
        if (n == 0) {
            try {
                closer.execute(this::close);
            } catch (RejectedExecutionException e) {
                // Shutting down: nothing waits on this thread any more.
                close();
            }
        } else if (n < 0) {
            throw new IllegalStateException("released more often than retained");
        }
    }

    int refCnt() {
        return refs.get();
    }

    private void close() {
        try {
            if (content != null) {
                content.release();
            } else {
                channel.close();
            }
        } catch (IOException e) {
            log.warn("closing a static file failed: {}", e.toString());
        } finally {
            onClose.run();
        }
    }
}
