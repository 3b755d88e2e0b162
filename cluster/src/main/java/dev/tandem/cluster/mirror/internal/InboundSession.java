package dev.tandem.cluster.mirror.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening side of a connection from a peer: what the peer offers and sends is handed to the
 * {@link MirrorEngine}; what the engine asks for goes back. File content waiting to be written counts against
 * the connection: past {@link #HIGH_BYTES} (or too many files waiting for their flush) the socket is no
 * longer read, so a fast peer and a slow disk never fill the memory; reading resumes below the low marks.
 */
public final class InboundSession extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(InboundSession.class);

    static final long HIGH_BYTES = 8L * 1024 * 1024;
    static final long LOW_BYTES = 2L * 1024 * 1024;
    static final int HIGH_COMMITS = 64;
    static final int LOW_COMMITS = 16;

    private final String peer;
    private final Channel channel;
    private final MirrorEngine engine;
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicInteger pendingCommits = new AtomicInteger();
    private volatile boolean paused;

    InboundSession(String peer, Channel channel, MirrorEngine engine) {
        this.peer = peer;
        this.channel = channel;
        this.engine = engine;
    }

    public String peer() {
        return peer;
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        engine.sessionOpened(this);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Messages.Message m)) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        if (m instanceof Messages.FileData d) {
            ByteBuf data = d.content();
            queued(data.readableBytes(), 0);
            engine.fileData(this, data);
        } else if (m instanceof Messages.Offer o) {
            engine.offer(this, o);
        } else if (m instanceof Messages.OfferEnd e) {
            engine.offerEnd(this, e);
        } else if (m instanceof Messages.FileStart st) {
            engine.fileStart(this, st.entry());
        } else if (m instanceof Messages.FileEnd) {
            engine.fileEnd(this);
        } else if (m instanceof Messages.FileAbort a) {
            engine.fileAbort(this, a.key(), a.reason());
        } else if (m instanceof Messages.Summary su) {
            engine.summary(peer, su);
        } else {
            engine.metrics().rejected(MirrorMetrics.BAD_FRAME);
            log.warn("mirror: {} sent {} on its own connection: closing it", peer, m.getClass().getSimpleName());
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        engine.sessionClosed(this);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException) {
            engine.metrics().rejected(MirrorMetrics.BAD_FRAME);
            log.warn("mirror: connection from {} closed: {}", peer, cause.getMessage());
        } else if (!(cause instanceof IOException)) {
            log.warn("mirror: connection from {} failed", peer, cause);
        } else {
            log.debug("mirror: connection from {}: {}", peer, cause.toString());
        }
        ctx.close();
    }

    // ------------------------------------------------------------------ from the engine (any thread)

    void want(List<Messages.Wanted> items) {
        int[] next = {0};
        while (next[0] < items.size()) {
            channel.write(Messages.want(items, next[0], next));
        }
        channel.flush();
    }

    void done(long round) {
        channel.writeAndFlush(Messages.done(round));
    }

    void summary(Messages.Summary s) {
        channel.writeAndFlush(Messages.summary(s));
    }

    void close() {
        channel.close();
    }

    /** Content bytes and files waiting for their flush, up or down; reading stops or resumes accordingly. */
    void queued(long bytes, int commits) {
        long b = queuedBytes.addAndGet(bytes);
        int c = pendingCommits.addAndGet(commits);
        boolean pause = b > HIGH_BYTES || c > HIGH_COMMITS;
        boolean resume = b < LOW_BYTES && c < LOW_COMMITS;
        if (pause && !paused || resume && paused) {
            run(() -> {
                long nb = queuedBytes.get();
                int nc = pendingCommits.get();
                if (!paused && (nb > HIGH_BYTES || nc > HIGH_COMMITS)) {
                    paused = true;
                    channel.config().setAutoRead(false);
                } else if (paused && nb < LOW_BYTES && nc < LOW_COMMITS) {
                    paused = false;
                    channel.config().setAutoRead(true);
                }
            });
        }
    }

    private void run(Runnable task) {
        try {
            channel.eventLoop().execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopping
        }
    }

    @Override
    public String toString() {
        return "connection from " + peer;
    }
}
