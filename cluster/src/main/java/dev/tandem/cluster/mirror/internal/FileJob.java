package dev.tandem.cluster.mirror.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One file: its header, its content a chunk at a time, then its end (or an abort). A chunk is read on the
 * reader thread, never the event loop, and at most {@link #WINDOW} chunks are ahead of the socket, so that
 * the memory a transfer holds is bounded whatever the size of the file.
 */
final class FileJob extends SendJob {

    private static final Logger log = LoggerFactory.getLogger(PeerLink.class);

    static final int WINDOW = 4;

    final MirrorEngine.Source source;
    private final SendQueue queue;
    private final Channel ch;
    private FileChannel file;
    private MessageDigest md;
    private boolean opening;
    private boolean reading;
    private boolean cancelled;
    private int inFlight;
    private long sent;

    FileJob(SendQueue queue, MirrorEngine.Source source) {
        this.queue = queue;
        this.source = source;
        this.ch = queue.ch;
    }

    boolean small() {
        return source.entry() != null && source.entry().size() <= MirrorEngine.SMALL_FILE;
    }

    @Override
    void resume() {
        if (source.entry() == null) {
            ch.writeAndFlush(Messages.fileAbort(source.wanted().key(), source.reason()));
            finished = true;
            return;
        }
        if (!opening) {
            opening = true;
            queue.threads.offRead(this::open);
            return;
        }
        request();
    }

    private void open() {
        try {
            FileChannel f = FileChannel.open(source.path(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            if (!queue.threads.run(() -> opened(f))) {
                closeQuietly(f);
            }
        } catch (IOException | RuntimeException e) {
            queue.threads.run(() -> end("cannot read: " + e.getMessage()));
        }
    }

    private void opened(FileChannel f) {
        if (cancelled) {
            closeQuietly(f);
            return;
        }
        file = f;
        md = FileStore.sha256();
        ch.write(Messages.fileStart(source.entry(), queue.protocol));
        request();
    }

    private void request() {
        if (file == null || reading || finished || cancelled || inFlight >= WINDOW || !ch.isWritable()) {
            return;
        }
        reading = true;
        FileChannel f = file;
        queue.threads.offRead(() -> read(f));
    }

    private void read(FileChannel f) {
        ByteBuf b = ch.alloc().buffer(1 + Messages.CHUNK);
        int n;
        try {
            b.writeByte(Messages.FILE_DATA);
            n = b.writeBytes(f, Messages.CHUNK);
            if (n > 0) {
                md.update(b.nioBuffer(1, n));
            }
        } catch (IOException | RuntimeException e) {
            b.release();
            queue.threads.run(() -> {
                reading = false;
                end("cannot read: " + e.getMessage());
            });
            return;
        }
        int read = n;
        if (!queue.threads.run(() -> chunk(b, read))) {
            b.release();
        }
    }

    private void chunk(ByteBuf b, int n) {
        reading = false;
        if (cancelled || finished) {
            b.release();
            return;
        }
        if (n < 0) {
            b.release();
            String hash = FileStore.hex(md.digest());
            if (sent == source.entry().size() && hash.equals(source.entry().hash())) {
                closeQuietly(file);
                ch.writeAndFlush(Messages.fileEnd());
                queue.engine.sent(sent);
                finished = true;
                queue.pump();
            } else {
                end("changed while it was read");
            }
            return;
        }
        sent += n;
        if (sent > source.entry().size()) {
            b.release();
            end("changed while it was read");
            return;
        }
        inFlight++;
        ch.writeAndFlush(b).addListener(x -> {
            inFlight--;
            request();
        });
        request();
    }

    /** Gives up on this file (it changed or cannot be read): the peer drops what it got of it. */
    private void end(String reason) {
        if (finished || cancelled) {
            return;
        }
        closeQuietly(file);
        log.debug("mirror: not sending {} to {}: {}", source.wanted().key(), queue.peer, reason);
        ch.writeAndFlush(Messages.fileAbort(source.wanted().key(), reason));
        finished = true;
        queue.pump();
    }

    @Override
    void cancel() {
        cancelled = true;
        closeQuietly(file);
    }

    private static void closeQuietly(FileChannel f) {
        if (f != null) {
            try {
                f.close();
            } catch (IOException e) {
                // nothing left to do with it
            }
        }
    }
}
