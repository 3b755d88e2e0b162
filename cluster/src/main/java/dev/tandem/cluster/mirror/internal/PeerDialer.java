package dev.tandem.cluster.mirror.internal;

import dev.tandem.cluster.transport.GoneCheck;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dials a {@link PeerLink}'s peer: at start and again whenever the connection drops (100 ms, doubling to 2 s
 * between attempts; at once when poked, the peer seen dialing us, which means it is back).
 *
 * <p>A connection closed from the peer's side ({@link #peerClosed}) is dialed again at once, at most once per
 * {@link PeerLink#HEARTBEAT} (the back-off after that), and a refusal of that dial tells {@code gone} that the
 * peer's process is gone: its kernel closed its connections and refuses new ones. A dial accepted and cut before
 * its handshake is tried again, a few times 20 ms apart. The dialer keeps this because the answer is in its
 * dials: a refusal, a reset as it is accepted, or a handshake answered; what each means is {@link GoneCheck}'s.
 *
 * <p>Threading: all state lives on the link's event loop.
 */
final class PeerDialer {

    private static final Logger log = LoggerFactory.getLogger(PeerLink.class);

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final long MIN_BACKOFF_MS = 100;
    static final long MAX_BACKOFF_MS = 2000;

    private final String peer;
    private final InetSocketAddress address;
    private final InetSocketAddress localBind;
    private final LinkThreads threads;
    private final Bootstrap bootstrap;
    private final Runnable failed;
    private final Consumer<Channel> closed;
    private final Consumer<String> gone;

    private boolean stopped;
    private boolean attempted;
    private long backoff = MIN_BACKOFF_MS;
    private ScheduledFuture<?> retry;
    /** What a close from the peer's side and the dials after it mean (whether its process is gone). */
    private final GoneCheck check = new GoneCheck(PeerLink.HEARTBEAT);

    /**
     * @param localBind the local address to dial from, or null for any
     * @param pipeline  sets up each connection's pipeline
     * @param failed    told (on the loop) of a dial that did not connect, before the next is scheduled
     * @param closed    told (on the loop) of each connection made once it closes
     * @param gone      told (on the loop) the peer's name when its process is gone
     */
    PeerDialer(String peer, InetSocketAddress address, InetSocketAddress localBind, Bootstrap template, LinkThreads threads,
               Consumer<SocketChannel> pipeline, Runnable failed, Consumer<Channel> closed, Consumer<String> gone) {
        this.peer = peer;
        this.address = address;
        this.localBind = localBind;
        this.threads = threads;
        this.failed = failed;
        this.closed = closed;
        this.gone = gone;
        this.bootstrap = template.clone().group(threads.loop())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT.toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        pipeline.accept(ch);
                    }
                });
    }

    void connect() {
        retry = null;
        if (stopped) {
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
                GoneCheck.Next next = stopped ? GoneCheck.Next.BACK_OFF : check.dialFailed(f.cause());
                if (next == GoneCheck.Next.GONE) {
                    log.info("mirror: {} closed its connection and refuses the next: its process is gone", peer);
                    gone.accept(peer);
                }
                failed.run();
                if (next == GoneCheck.Next.PROBE && retry == null) {
                    // reset as it was accepted: maybe the listening socket of a process that is going. Never the
                    // link's first attempt (a connection was up), and the probe is the next dial, not the back-off.
                    probe();
                } else {
                    scheduleRetry();
                }
                return;
            }
            f.channel().closeFuture().addListener(c -> threads.run(() -> closed.accept(f.channel())));
        });
    }

    /** Stops dialing: no attempt after this one. */
    void stop() {
        stopped = true;
        if (retry != null) {
            retry.cancel(false);
        }
    }

    boolean stopped() {
        return stopped;
    }

    /** Dials now rather than at the end of the back-off, if one is running. */
    void poke() {
        if (!stopped && retry != null && retry.cancel(false)) {
            retry = null;
            backoff = MIN_BACKOFF_MS;
            connect();
        }
    }

    /**
     * A connection is up: the next drop is dialed again after the shortest back-off, and a peer's close being told
     * apart is over (the peer answered the handshake: alive).
     */
    void connected() {
        check.answered();
        attempted = true;
        backoff = MIN_BACKOFF_MS;
    }

    /** Counts an attempt that ended without a connection up; true for this link's first. */
    boolean failedAttempt() {
        boolean first = !attempted;
        attempted = true;
        return first;
    }

    /**
     * The connection up was closed from the peer's side (a FIN or a reset, not a close made here): the next dial
     * tells whether its process is gone (refused). It goes at once, unless one went at once within a heartbeat: a
     * live peer that closes every connection gets the back-off, not a dial loop.
     *
     * @return true when the dial went at once; else the caller {@link #redial}s
     */
    boolean peerClosed() {
        if (stopped || retry != null) {
            return false;
        }
        if (check.closedByPeer(System.nanoTime()) == GoneCheck.Next.DIAL_NOW) {
            backoff = MIN_BACKOFF_MS;
            connect();
            return true;
        }
        return false;
    }

    /**
     * A dial was refused in the handshake, or closed before it completed.
     *
     * @return true when it is dialed again shortly (accepted, then cut before a word, while a peer's close is being
     *         told apart: maybe the listening socket of a process that is going); else the caller {@link #redial}s
     */
    boolean cutBeforeHandshake() {
        if (stopped || retry != null) {
            return false;
        }
        if (check.cutBeforeAWord() == GoneCheck.Next.PROBE) {
            probe();
            return true;
        }
        return false;
    }

    /** Dials again after the back-off, unless an attempt is already scheduled. */
    void redial() {
        if (retry == null) {
            scheduleRetry();
        }
    }

    /** While a peer's close is being told apart: the next dial, shortly. */
    private void probe() {
        retry = threads.loop().schedule(this::connect, GoneCheck.PROBE_SPACING.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void scheduleRetry() {
        if (stopped) {
            return;
        }
        long delay = backoff;
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
        retry = threads.loop().schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }
}
