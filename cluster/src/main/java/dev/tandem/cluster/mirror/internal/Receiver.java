package dev.tandem.cluster.mirror.internal;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file frames of the inbound connections: content goes to a temporary file beside its target (or, for a
 * small file, to memory), is checked against its version's size and SHA-256, flushed to disk on the flush pool
 * (so that many flushes share the file system's journal commits), and then handed back, on the engine's
 * thread, to the core ({@link Applier#arrived}, {@link Event.Arrived}). A file half received when its connection
 * closes leaves nothing behind.
 */
final class Receiver {

    private static final Logger log = LoggerFactory.getLogger(Receiver.class);

    /**
     * Files up to this size are sent in one message, received into memory and written in one go on the flush
     * pool (at most {@link InboundSession#HIGH_COMMITS} of them wait there: 16 MiB a connection).
     */
    static final int SMALL_FILE = MirrorEngine.SMALL_FILE;

    private final EngineState state;
    private final EngineThread threads;
    private Applier applier;

    Receiver(EngineState state, EngineThread threads) {
        this.state = state;
        this.threads = threads;
    }

    void applier(Applier applier) {
        this.applier = applier;
    }

    void fileStart(InboundSession s, Entry e) {
        InboundState.Session st = state.sessions.get(s);
        if (st == null) {
            return;
        }
        Path target = state.roots.pathOf(e.key());
        Roots.Root root = state.roots.get(e.key().root());
        ReceiveChecks.Start start = ReceiveChecks.start(st.rx != null,
                () -> target != null && root != null && FileStore.noLinksBetween(root.path(), target),
                state.limits.limits().fileSize(), state.table.get(e.key()), e, state::conflictKept, SMALL_FILE);
        if (start == ReceiveChecks.Start.CLOSE) {
            state.metrics.rejected(MirrorMetrics.BAD_FRAME);
            log.warn("mirror: {} began a file inside another: closing the connection", st.peer);
            s.close();
            return;
        }
        Receiving rx = new Receiving(e, target);
        st.rx = rx;
        switch (start) {
            case UNSAFE_PATH -> {
                state.metrics.rejected(MirrorMetrics.UNSAFE_PATH);
                log.warn("mirror: {} sent {}, which would leave its root or pass through a link: refused", st.peer, e.key());
                rx.discard = MirrorMetrics.UNSAFE_PATH;
                return;
            }
            case TOO_LARGE -> {
                // never asked for (see offer): a peer that sends it anyway writes nothing here
                state.metrics.rejected(MirrorMetrics.FILE_TOO_LARGE);
                rx.discard = MirrorMetrics.FILE_TOO_LARGE;
                return;
            }
            case NOT_NEEDED -> {
                rx.discard = "";
                rx.discardReason = "no longer needed";
                return;
            }
            default -> {
                // received below
            }
        }
        rx.md = FileStore.sha256();
        rx.temp = FileStore.tempBeside(rx.target);
        if (start == ReceiveChecks.Start.IN_MEMORY) {
            rx.buffer = new byte[(int) e.size()];
            return;
        }
        try {
            rx.ch = FileStore.createTemp(rx.temp);
        } catch (IOException ex) {
            writeFailed(st, rx, ex);
        }
    }

    void fileData(InboundSession s, ByteBuf data) {
        int n = data.readableBytes();
        try {
            threads.loop.execute(() -> {
                try {
                    if (state.closed) {
                        return;
                    }
                    InboundState.Session st = state.sessions.get(s);
                    Receiving rx = st == null ? null : st.rx;
                    if (rx == null || rx.discard != null) {
                        return;
                    }
                    if (rx.written + n > rx.entry.size()) {
                        mismatch(st, rx, "more bytes than its size, " + rx.entry.size());
                        return;
                    }
                    try {
                        rx.md.update(data.nioBuffer());
                        if (rx.buffer != null) {
                            data.readBytes(rx.buffer, (int) rx.written, n);
                        } else {
                            data.readBytes(rx.ch, rx.written, n);
                        }
                        rx.written += n;
                        applier.progress(st);
                    } catch (IOException ex) {
                        writeFailed(st, rx, ex);
                    }
                } catch (RuntimeException ex) {
                    log.error("mirror: unexpected failure", ex);
                } finally {
                    data.release();
                    s.queued(-n, 0);
                }
            });
        } catch (RejectedExecutionException e) {
            data.release();
        }
    }

    void fileEnd(InboundSession s) {
        InboundState.Session st = state.sessions.get(s);
        if (st == null) {
            return;
        }
        Receiving rx = st.rx;
        st.rx = null;
        if (rx == null) {
            state.metrics.rejected(MirrorMetrics.BAD_FRAME);
            log.warn("mirror: {} ended a file it never began: closing the connection", st.peer);
            s.close();
            return;
        }
        if (rx.discard != null) {
            rx.closeAndDelete();
            applier.fetchEnded(rx.entry.key(), rx.entry, rx.discard.isEmpty());
            return;
        }
        String hash = FileStore.hex(rx.md.digest());
        if (!ReceiveChecks.complete(rx.entry, rx.written, hash)) {
            rx.discard = MirrorMetrics.HASH_MISMATCH;
            state.metrics.rejected(MirrorMetrics.HASH_MISMATCH);
            log.warn("mirror: {} from {}: {} bytes with SHA-256 {}, not the {} bytes and {} of version {}: dropped",
                    rx.entry.key(), st.peer, rx.written, hash, rx.entry.size(), rx.entry.hash(), rx.entry.label());
            rx.closeAndDelete();
            applier.fetchEnded(rx.entry.key(), rx.entry, false);
            return;
        }
        // Written (small files), flushed and given their mode off this thread, renamed on it (see the class
        // comment): many small files are then written in parallel, and their flushes share journal commits.
        s.queued(0, 1);
        try {
            threads.flusher.execute(() -> {
                boolean flushed = rx.flush(state.ownership);
                try {
                    threads.loop.execute(() -> {
                        s.queued(0, -1);
                        if (state.closed) {
                            Receiving.deleteQuietly(rx.temp);
                            return;
                        }
                        try {
                            applier.arrived(st, rx, flushed);
                            threads.afterTask();
                        } catch (RuntimeException ex) {
                            log.error("mirror: unexpected failure", ex);
                        }
                    });
                } catch (RejectedExecutionException ex) {
                    Receiving.deleteQuietly(rx.temp);
                }
            });
        } catch (RejectedExecutionException ex) {
            s.queued(0, -1);
            rx.closeAndDelete();
        }
    }

    void fileAbort(InboundSession s, EntryKey key, String reason) {
        InboundState.Session st = state.sessions.get(s);
        if (st == null) {
            return;
        }
        Receiving rx = st.rx;
        if (rx != null && rx.entry.key().equals(key)) {
            st.rx = null;
            rx.closeAndDelete();
            log.debug("mirror: {} from {} not sent after all: {}", key, st.peer, reason);
            applier.fetchEnded(key, rx.entry, false);
            return;
        }
        InboundState.Fetch f = state.book.fetch(key);
        if (f != null && f.from == st) {
            log.debug("mirror: {} from {} not sent: {}", key, st.peer, reason);
            applier.fetchEnded(key, f.entry, false);
        }
    }

    void mismatch(InboundState.Session st, Receiving rx, String why) {
        rx.discard = MirrorMetrics.HASH_MISMATCH;
        state.metrics.rejected(MirrorMetrics.HASH_MISMATCH);
        log.warn("mirror: {} from {}: {}: dropped", rx.entry.key(), st.peer, why);
        rx.closeAndDelete();
    }

    void writeFailed(InboundState.Session st, Receiving rx, IOException e) {
        rx.discard = MirrorMetrics.WRITE_FAILED;
        rx.closeAndDelete();
        state.refusals.refuse(String.valueOf(rx.target), MirrorMetrics.WRITE_FAILED, "cannot write it: " + e.getMessage(),
                st.peer);
    }

    void dropReceiving(InboundState.Session st) {
        if (st.rx != null) {
            log.info("mirror: {} from {} interrupted: nothing of it is kept", st.rx.entry.key(), st.peer);
            st.rx.closeAndDelete();
            st.rx = null;
        }
    }
}
