package dev.tandem.cluster.mirror.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's connection to one peer, which carries this node's offers and files to it: dialed at start and
 * again whenever it drops (100 ms, doubling to 2 s between attempts; at once when the peer is seen dialing
 * us, which means it is back). Each new connection begins with a full round (every path offered), then
 * carries the changes made here as they happen, and the files the peer asks for.
 *
 * <p>Backpressure: offers are written only while the socket is writable, and a file is read (on a reader
 * thread, never the event loop) a chunk at a time, at most {@link #WINDOW} chunks ahead of the socket. The
 * memory a transfer holds is bounded whatever the size of the tree.
 *
 * <p>A process that dies (SIGKILL, an OOM kill, a crash) has its kernel close its connections at once and refuse
 * new ones: a connection closed from the peer's side (a FIN or a reset, not a close made here, such as a timeout)
 * is dialed again at once (at most once per heartbeat; the back-off after that), and a refusal of that dial tells
 * {@code gone} that the peer's process is gone. A peer alive (its mirror reset the connection) answers; a
 * partition or a dead box closes and refuses nothing.
 *
 * <p>Threading: all state lives on the link's event loop.
 */
public final class PeerLink {

    private static final Logger log = LoggerFactory.getLogger(PeerLink.class);

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);
    /** Both sides send a summary at least this often; a connection silent for 3 times as long is dead. */
    static final Duration HEARTBEAT = Duration.ofSeconds(5);
    static final long MIN_BACKOFF_MS = 100;
    static final long MAX_BACKOFF_MS = 2000;
    static final int WINDOW = 4;
    /** Set on a connection this side closes: its close says nothing of the peer. */
    private static final AttributeKey<Boolean> CLOSED_HERE = AttributeKey.valueOf(PeerLink.class, "closedHere");
    /**
     * Dials after a peer's close that may tell whether its process is gone, {@link #PROBE_SPACING_MS} apart while
     * each is accepted and then cut before its handshake: a dying process's listening socket can outlive its
     * connections by a few milliseconds (the kernel, io_uring's rings, let go of it last) and take one more.
     */
    static final int PROBES = 5;
    static final long PROBE_SPACING_MS = 20;
    static final int SMALL_BATCH_FILES = 128;
    static final long SMALL_BATCH_BYTES = 2 * 1024 * 1024;

    private final String self;
    private final String peer;
    private final InetSocketAddress address;
    private final InetSocketAddress localBind;
    private final MirrorEngine engine;
    private final Executor reader;
    private final byte[] mirrorKey;
    private final Bootstrap bootstrap;
    private final EventLoop loop;
    private final Consumer<String> gone;

    private Channel channel;
    /** The connection up was closed from the peer's side: the next dial tells whether its process is gone. */
    private boolean checkGone;
    /** While {@link #checkGone}: the dials left to tell it. */
    private int probesLeft;
    /** Whether a dial went at once after such a close, and when ({@link System#nanoTime()}). */
    private boolean probed;
    private long probedAt;
    private boolean closed;
    private boolean everConnected;
    private boolean attempted;
    private long backoff = MIN_BACKOFF_MS;
    /**
     * The protocol the next dial offers: the newest, but the oldest right after the peer closed a hello of the
     * newest unanswered (an older release, during a rolling upgrade). Each dial after that offers the newest
     * again, so that the peer's upgrade is noticed at its restart.
     */
    private int offer = Handshake.PROTOCOL;
    /** The protocol of the connection up, whose offers leave out what it cannot carry. */
    private int protocol = Handshake.PROTOCOL;
    private ScheduledFuture<?> retry;
    private final ArrayDeque<Job> offers = new ArrayDeque<>();
    private final ArrayDeque<Job> files = new ArrayDeque<>();
    private Job current;
    private long rounds;
    private long fullRound = -1;

    /**
     * @param localBind the local address to dial from (this node's address, so the peer sees who dials), or
     *                  null for any
     * @param gone      told (on the link's loop) the peer's name when its process is gone; any thread's to hop from
     */
    public PeerLink(String self, String peer, InetSocketAddress address, InetSocketAddress localBind, MirrorEngine engine,
                    Executor reader, byte[] mirrorKey, Bootstrap template, EventLoop loop, Consumer<String> gone) {
        this.gone = gone;
        this.self = self;
        this.peer = peer;
        this.address = address;
        this.localBind = localBind;
        this.engine = engine;
        this.reader = reader;
        this.mirrorKey = mirrorKey.clone();
        this.loop = loop;
        this.bootstrap = template.clone().group(loop)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT.toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("timeout", new ReadTimeoutHandler(3 * HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS));
                        ch.pipeline().addLast("frames", new FrameDecoder());
                        ch.pipeline().addLast("handshake", new HandshakeHandler(PeerLink.this.mirrorKey, self, true, peer,
                                Set.of(), engine.metrics(), HANDSHAKE_TIMEOUT, offer, (c, p) -> {
                                    c.pipeline().addLast("link", new LinkHandler());
                                    Heartbeat.start(c, engine::latestSummary);
                                    authenticated(c);
                                }));
                    }
                });
    }

    public String peer() {
        return peer;
    }

    public void start() {
        run(this::connect);
    }

    /** Runs {@code task} on the reader thread; once that is stopped (the mirror stopping), nothing is read. */
    private void offRead(Runnable task) {
        try {
            reader.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopping
        }
    }

    /** Runs {@code task} on the loop; a loop already shut down (the mirror stopping) drops it. */
    private void run(Runnable task) {
        try {
            loop.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopping
        }
    }

    /** Stops dialing and closes the connection. */
    public void close() {
        run(() -> {
            closed = true;
            if (retry != null) {
                retry.cancel(false);
            }
            if (channel != null) {
                closeHere(channel);
            }
        });
    }

    /** Closes {@code ch} from this side: its close is no sign of the peer's. */
    private static void closeHere(Channel ch) {
        ch.attr(CLOSED_HERE).set(true);
        ch.close();
    }

    /** Whether {@code cause}, which ends a connection, came from the peer's side: a reset, or writing to a closed one. */
    private static boolean fromPeer(Throwable cause) {
        String m = String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
        return cause instanceof IOException && (m.contains("reset") || m.contains("broken pipe"));
    }

    /** The peer showed it is up (it dialed us): dial now rather than at the end of the back-off. */
    public void poke() {
        run(() -> {
            if (!closed && channel == null && retry != null && retry.cancel(false)) {
                retry = null;
                backoff = MIN_BACKOFF_MS;
                connect();
            }
        });
    }

    /** Offers changes made here (a round of their own), ahead of the files queued. */
    public void offer(List<Entry> changes) {
        run(() -> {
            if (channel != null && !changes.isEmpty()) {
                offers.add(new OfferJob(changes, false, ++rounds));
                pump();
            }
        });
    }

    /** Offers every path again (the periodic anti-entropy round). */
    public void offerAll(List<Entry> all) {
        run(() -> {
            if (channel != null) {
                offers.add(new OfferJob(all, true, ++rounds));
                pump();
            }
        });
    }

    public void summary(Messages.Summary s) {
        run(() -> {
            if (channel != null) {
                channel.writeAndFlush(Messages.summary(s));
            }
        });
    }

    // ------------------------------------------------------------------ connection (on the loop)

    private void connect() {
        retry = null;
        if (closed) {
            return;
        }
        Bootstrap b = bootstrap.clone();
        if (localBind != null) {
            b.localAddress(new InetSocketAddress(localBind.getAddress(), 0));
        }
        ChannelFuture f = b.connect(address);
        f.addListener(x -> {
            if (!f.isSuccess()) {
                log.debug("mirror: cannot reach {} at {}: {}", peer, address, String.valueOf(f.cause()));
                if (checkGone && f.cause() instanceof ConnectException c
                        && String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT).contains("refused")) {
                    checkGone = false;
                    log.info("mirror: {} closed its connection and refuses the next: its process is gone", peer);
                    gone.accept(peer);
                } else if (fromPeer(f.cause()) && probeAgain()) {
                    // reset as it was accepted: maybe the listening socket of a process that is going
                    engine.linkFailed(peer, false);
                    return;
                }
                checkGone = false;
                failed();
                return;
            }
            f.channel().closeFuture().addListener(c -> run(() -> disconnected(f.channel())));
        });
    }

    /** While a peer's close is being told apart, dials again shortly if the dials left allow it. */
    private boolean probeAgain() {
        if (!checkGone || probesLeft <= 0 || closed || retry != null) {
            return false;
        }
        probesLeft--;
        retry = loop.schedule(this::connect, PROBE_SPACING_MS, TimeUnit.MILLISECONDS);
        return true;
    }

    private void failed() {
        boolean first = !attempted;
        attempted = true;
        engine.linkFailed(peer, first);
        scheduleRetry();
    }

    private void scheduleRetry() {
        if (closed) {
            return;
        }
        long delay = backoff;
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
        retry = loop.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }

    private void authenticated(Channel ch) {
        if (closed) {
            closeHere(ch);
            return;
        }
        channel = ch;
        // the peer answered: alive
        checkGone = false;
        CipherHandler cipher = ch.pipeline().get(CipherHandler.class);
        protocol = cipher == null ? Handshake.PROTOCOL : cipher.protocol();
        offer = Handshake.PROTOCOL;
        attempted = true;
        backoff = MIN_BACKOFF_MS;
        if (!everConnected) {
            log.info("mirror: connected to {} at {}", peer, address);
        } else {
            log.info("mirror: connected to {} again", peer);
        }
        everConnected = true;
        long round = ++rounds;
        fullRound = round;
        engine.linkUp(peer, this);
        engine.offerAll().whenComplete((all, e) -> run(() -> {
            if (channel != ch) {
                return;
            }
            if (e != null) {
                log.warn("mirror: cannot list the paths to offer {}: {}", peer, e.toString());
                closeHere(ch);
                return;
            }
            offers.addFirst(new OfferJob(all, true, round));
            pump();
        }));
    }

    private void disconnected(Channel ch) {
        if (channel == ch) {
            channel = null;
            if (current != null) {
                current.cancel();
                current = null;
            }
            offers.clear();
            files.forEach(Job::cancel);
            files.clear();
            engine.linkDown(peer);
            log.info("mirror: connection to {} closed", peer);
            if (!closed && !Boolean.TRUE.equals(ch.attr(CLOSED_HERE).get()) && retry == null) {
                // Closed from the peer's side: the next dial tells whether its process is gone (refused). It goes
                // at once, unless one went at once within a heartbeat: a live peer that closes every connection
                // gets the back-off, not a dial loop.
                checkGone = true;
                probesLeft = PROBES - 1;
                long now = System.nanoTime();
                if (!probed || now - probedAt >= HEARTBEAT.toNanos()) {
                    probed = true;
                    probedAt = now;
                    backoff = MIN_BACKOFF_MS;
                    connect();
                    return;
                }
            }
        } else if (channel == null) {
            // refused in the handshake, or closed before it completed
            if (offer == Handshake.PROTOCOL && Boolean.TRUE.equals(ch.attr(HandshakeHandler.HELLO_UNANSWERED).get())) {
                offer = Handshake.OLDEST;
                log.info("mirror: {} closed the handshake of protocol {} unanswered: the next attempt offers protocol {}"
                        + " (an older release)", peer, Handshake.PROTOCOL, Handshake.OLDEST);
            } else {
                offer = Handshake.PROTOCOL;
            }
            boolean first = !attempted;
            attempted = true;
            engine.linkFailed(peer, first);
            if (probeAgain()) {
                // accepted, then cut before a word: maybe the listening socket of a process that is going
                return;
            }
            checkGone = false;
        }
        if (retry == null) {
            scheduleRetry();
        }
    }

    // ------------------------------------------------------------------ jobs (on the loop)

    private void pump() {
        while (channel != null) {
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

    /**
     * The next file job; small files in a row go as one batch, read in one go on the reader thread and
     * written in one flush (a tree of many small files is the common case: per-file hand-offs between
     * threads would cost more than the files).
     */
    private Job nextFiles() {
        Job first = files.poll();
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
        return batch.size() == 1 ? f : new SmallFiles(batch, f.ch);
    }

    private abstract static class Job {
        boolean finished;

        abstract void resume();

        void cancel() {
        }
    }

    /** Offers in messages of about 48 KiB while the socket is writable, then the round's end. */
    private final class OfferJob extends Job {
        private List<Entry> entries;
        private final boolean full;
        private final long round;
        private int next;

        OfferJob(List<Entry> entries, boolean full, long round) {
            this.entries = entries;
            this.full = full;
            this.round = round;
        }

        @Override
        void resume() {
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

    /** Small files read together and sent in one flush, each as header, content, end (or an abort). */
    private final class SmallFiles extends Job {
        private final List<FileJob> jobs;
        private final Channel ch;
        private boolean reading;
        private boolean cancelled;

        SmallFiles(List<FileJob> jobs, Channel ch) {
            this.jobs = jobs;
            this.ch = ch;
        }

        @Override
        void resume() {
            if (reading || !ch.isWritable()) {
                return;
            }
            reading = true;
            offRead(this::read);
        }

        private void read() {
            List<Object> contents = new ArrayList<>(jobs.size());
            for (FileJob j : jobs) {
                Entry e = j.source.entry();
                try (FileChannel f = FileChannel.open(j.source.path(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                    // one byte more than expected: a file that grew is seen as changed
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate((int) e.size() + 1);
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
            run(() -> write(contents));
        }

        private void write(List<Object> contents) {
            if (cancelled) {
                return;
            }
            for (int i = 0; i < jobs.size(); i++) {
                FileJob j = jobs.get(i);
                Object c = contents.get(i);
                if (c instanceof byte[] bytes) {
                    ch.write(Messages.fileStart(j.source.entry(), protocol));
                    if (bytes.length > 0) {
                        ch.write(Messages.fileDataHeader(ch.alloc(), bytes.length).writeBytes(bytes));
                    }
                    ch.write(Messages.fileEnd());
                    engine.sent(bytes.length);
                } else {
                    log.debug("mirror: not sending {} to {}: {}", j.source.wanted().key(), peer, c);
                    ch.write(Messages.fileAbort(j.source.wanted().key(), (String) c));
                }
            }
            ch.flush();
            finished = true;
            pump();
        }

        @Override
        void cancel() {
            cancelled = true;
        }
    }

    /** One file: its header, its content a chunk at a time, then its end (or an abort). */
    private final class FileJob extends Job {
        private final MirrorEngine.Source source;
        private final Channel ch;
        private FileChannel file;
        private MessageDigest md;
        private boolean opening;
        private boolean reading;
        private boolean cancelled;
        private int inFlight;
        private long sent;

        FileJob(MirrorEngine.Source source, Channel ch) {
            this.source = source;
            this.ch = ch;
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
                offRead(this::open);
                return;
            }
            request();
        }

        private void open() {
            try {
                FileChannel f = FileChannel.open(source.path(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
                try {
                    loop.execute(() -> opened(f));
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    closeQuietly(f);
                }
            } catch (IOException | RuntimeException e) {
                run(() -> end("cannot read: " + e.getMessage()));
            }
        }

        private void opened(FileChannel f) {
            if (cancelled) {
                closeQuietly(f);
                return;
            }
            file = f;
            md = FileStore.sha256();
            ch.write(Messages.fileStart(source.entry(), protocol));
            request();
        }

        private void request() {
            if (file == null || reading || finished || cancelled || inFlight >= WINDOW || !ch.isWritable()) {
                return;
            }
            reading = true;
            FileChannel f = file;
            offRead(() -> read(f));
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
                run(() -> {
                    reading = false;
                    end("cannot read: " + e.getMessage());
                });
                return;
            }
            int read = n;
            try {
                loop.execute(() -> chunk(b, read));
            } catch (java.util.concurrent.RejectedExecutionException e) {
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
                    engine.sent(sent);
                    finished = true;
                    pump();
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
            log.debug("mirror: not sending {} to {}: {}", source.wanted().key(), peer, reason);
            ch.writeAndFlush(Messages.fileAbort(source.wanted().key(), reason));
            finished = true;
            pump();
        }

        @Override
        void cancel() {
            cancelled = true;
            closeQuietly(file);
        }
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

    /** What the peer sends back on this connection. */
    private final class LinkHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Messages.Want w) {
                Channel ch = ctx.channel();
                engine.sources(w.items()).whenComplete((sources, e) -> run(() -> {
                    if (channel != ch) {
                        return;
                    }
                    if (e != null) {
                        log.warn("mirror: cannot look up what {} asked for: {}", peer, e.toString());
                        closeHere(ch);
                        return;
                    }
                    sources.forEach(s -> files.add(new FileJob(s, ch)));
                    pump();
                }));
            } else if (msg instanceof Messages.Done d) {
                engine.peerDone(peer, d.round() == fullRound);
            } else if (msg instanceof Messages.Summary s) {
                engine.summary(peer, s);
            } else {
                ReferenceCountUtil.release(msg);
                engine.metrics().rejected(MirrorMetrics.BAD_FRAME);
                log.warn("mirror: {} sent {} on our connection: closing it", peer, msg.getClass().getSimpleName());
                closeHere(ctx.channel());
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                pump();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof DecoderException) {
                engine.metrics().rejected(MirrorMetrics.BAD_FRAME);
                log.warn("mirror: connection to {} closed: {}", peer, cause.getMessage());
            } else if (cause instanceof IOException || cause instanceof io.netty.handler.timeout.ReadTimeoutException) {
                log.info("mirror: connection to {}: {}", peer, cause.toString());
            } else {
                log.warn("mirror: connection to {} failed", peer, cause);
            }
            if (fromPeer(cause)) {
                ctx.close();
            } else {
                // a timeout, a bad frame: this side gives up on a peer that may be alive
                closeHere(ctx.channel());
            }
        }
    }
}
