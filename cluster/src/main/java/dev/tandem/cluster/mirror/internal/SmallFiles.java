package dev.tandem.cluster.mirror.internal;

import io.netty.channel.Channel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Small files read together and sent in one flush, each as header, content, end (or an abort). */
final class SmallFiles extends SendJob {

    private static final Logger log = LoggerFactory.getLogger(PeerLink.class);

    private final SendQueue queue;
    private final List<FileJob> jobs;
    private final Channel ch;
    private boolean reading;
    private boolean cancelled;

    SmallFiles(SendQueue queue, List<FileJob> jobs) {
        this.queue = queue;
        this.jobs = jobs;
        this.ch = queue.ch;
    }

    @Override
    void resume() {
        if (reading || !ch.isWritable()) {
            return;
        }
        reading = true;
        queue.threads.offRead(this::read);
    }

    private void read() {
        List<Object> contents = new ArrayList<>(jobs.size());
        for (FileJob j : jobs) {
            Entry e = j.source.entry();
            try (FileChannel f = FileChannel.open(j.source.path(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                // one byte more than expected: a file that grew is seen as changed
                ByteBuffer b = ByteBuffer.allocate((int) e.size() + 1);
                while (b.hasRemaining() && f.read(b) > 0) {
                    // reading
                }
                b.flip();
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                boolean same = bytes.length == e.size()
                        && FileStore.hex(FileStore.sha256().digest(bytes)).equals(e.hash());
                contents.add(same ? bytes : "changed while it was read");
            } catch (IOException | RuntimeException ex) {
                contents.add("cannot read: " + ex.getMessage());
            }
        }
        queue.threads.run(() -> write(contents));
    }

    private void write(List<Object> contents) {
        if (cancelled) {
            return;
        }
        for (int i = 0; i < jobs.size(); i++) {
            FileJob j = jobs.get(i);
            Object c = contents.get(i);
            if (c instanceof byte[] bytes) {
                ch.write(Messages.fileStart(j.source.entry(), queue.protocol));
                if (bytes.length > 0) {
                    ch.write(Messages.fileDataHeader(ch.alloc(), bytes.length).writeBytes(bytes));
                }
                ch.write(Messages.fileEnd());
                queue.engine.sent(bytes.length);
            } else {
                log.debug("mirror: not sending {} to {}: {}", j.source.wanted().key(), queue.peer, c);
                ch.write(Messages.fileAbort(j.source.wanted().key(), (String) c));
            }
        }
        ch.flush();
        finished = true;
        queue.pump();
    }

    @Override
    void cancel() {
        cancelled = true;
    }
}
