package dev.tandem.cluster.mirror.internal;

import io.netty.channel.Channel;
import java.util.List;

/** Offers in messages of about 48 KiB while the socket is writable, then the round's end. */
final class OfferJob extends SendJob {

    private final SendQueue queue;
    private List<Entry> entries;
    private final boolean full;
    private final long round;
    private int next;

    OfferJob(SendQueue queue, List<Entry> entries, boolean full, long round) {
        this.queue = queue;
        this.entries = entries;
        this.full = full;
        this.round = round;
    }

    @Override
    void resume() {
        Channel channel = queue.ch;
        int protocol = queue.protocol;
        if (next == 0 && protocol < 2) {
            // a peer of the older protocol keeps whatever version it has of a path that is a link here
            entries = entries.stream().filter(e -> !e.isLink()).toList();
        }
        int[] n = {next};
        while (n[0] < entries.size() && channel.isWritable()) {
            channel.write(Messages.offer(round, entries, n[0], n, protocol));
        }
        next = n[0];
        if (next == entries.size()) {
            channel.write(Messages.offerEnd(round, full));
            finished = true;
        }
        channel.flush();
    }
}
