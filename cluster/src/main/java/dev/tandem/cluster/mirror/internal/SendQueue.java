package dev.tandem.cluster.mirror.internal;

import io.netty.channel.Channel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * What one connection of a {@link PeerLink} sends: offers ahead of the files the peer asked for, one job at a
 * time, each written only as far as the socket takes it and resumed when it is writable again. Made when the
 * connection is up, cancelled when it closes.
 *
 * <p>Threading: all state lives on the link's event loop.
 */
final class SendQueue {

    static final int SMALL_BATCH_FILES = 128;
    static final long SMALL_BATCH_BYTES = 2 * 1024 * 1024;

    final Channel ch;
    /** The protocol of the connection, whose offers leave out what it cannot carry. */
    final int protocol;
    final String peer;
    final MirrorEngine engine;
    final LinkThreads threads;

    private final ArrayDeque<SendJob> offers = new ArrayDeque<>();
    private final ArrayDeque<SendJob> files = new ArrayDeque<>();
    private SendJob current;
    private boolean cancelled;

    SendQueue(Channel ch, int protocol, String peer, MirrorEngine engine, LinkThreads threads) {
        this.ch = ch;
        this.protocol = protocol;
        this.peer = peer;
        this.engine = engine;
        this.threads = threads;
    }

    /** Offers {@code entries} as round {@code round}, after the offers queued. */
    void offer(List<Entry> entries, boolean full, long round) {
        offers.add(new OfferJob(this, entries, full, round));
        pump();
    }

    /** Offers {@code entries} as round {@code round}, ahead of the offers queued. */
    void offerFirst(List<Entry> entries, boolean full, long round) {
        offers.addFirst(new OfferJob(this, entries, full, round));
        pump();
    }

    /** Sends the files the peer asked for, after the offers. */
    void send(List<MirrorEngine.Source> sources) {
        sources.forEach(s -> files.add(new FileJob(this, s)));
        pump();
    }

    /** Writes what the socket takes now: the current job, then the next, offers first. */
    void pump() {
        while (!cancelled) {
            if (current == null) {
                current = offers.isEmpty() ? nextFiles() : offers.poll();
                if (current == null) {
                    return;
                }
            }
            current.resume();
            if (!current.finished) {
                return;
            }
            current = null;
        }
    }

    /** The connection closed: every job is dropped. */
    void cancel() {
        cancelled = true;
        if (current != null) {
            current.cancel();
            current = null;
        }
        offers.clear();
        files.forEach(SendJob::cancel);
        files.clear();
    }

    /**
     * The next file job; small files in a row go as one batch, read in one go on the reader thread and
     * written in one flush (a tree of many small files is the common case: per-file hand-offs between
     * threads would cost more than the files).
     */
    private SendJob nextFiles() {
        SendJob first = files.poll();
        if (!(first instanceof FileJob f) || !f.small()) {
            return first;
        }
        List<FileJob> batch = new ArrayList<>();
        batch.add(f);
        long bytes = f.source.entry().size();
        while (batch.size() < SMALL_BATCH_FILES && files.peek() instanceof FileJob next && next.small()
                && bytes + next.source.entry().size() <= SMALL_BATCH_BYTES) {
            files.poll();
            batch.add(next);
            bytes += next.source.entry().size();
        }
        return batch.size() == 1 ? f : new SmallFiles(this, batch);
    }
}
