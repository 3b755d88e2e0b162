package dev.tandem.cluster.mirror.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's connection to one peer, which carries this node's offers and files to it: dialed at start and
 * again whenever it drops ({@link PeerDialer}), offering the protocol {@link ProtocolChoice} says. Each new
 * connection begins with a full round (every path offered), then carries the changes made here as they happen,
 * and the files the peer asks for ({@link PeerLinkHandler}), in its {@link SendQueue}.
 *
 * <p>Backpressure: offers are written only while the socket is writable, and a file is read (on a reader
 * thread, never the event loop) a chunk at a time, at most {@link FileJob#WINDOW} chunks ahead of the socket. The
 * memory a transfer holds is bounded whatever the size of the tree.
 *
 * <p>A process that dies (SIGKILL, an OOM kill, a crash) has its kernel close its connections at once and refuse
 * new ones: a connection closed from the peer's side (a FIN or a reset, not a close made here, such as a timeout:
 * {@link PeerLinkHandler#closeHere}) is dialed again at once (at most once per heartbeat; the back-off after that),
 * and a refusal of that dial tells {@code gone} that the peer's process is gone ({@link PeerDialer#peerClosed}). A
 * peer alive (its mirror reset the connection) answers; a partition or a dead box closes and refuses nothing.
 *
 * <p>Threading: all state lives on the link's event loop.
 */
public final class PeerLink {

    private static final Logger log = LoggerFactory.getLogger(PeerLink.class);

    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);
    /** Both sides send a summary at least this often; a connection silent for 3 times as long is dead. */
    static final Duration HEARTBEAT = Duration.ofSeconds(5);

    private final String self;
    private final String peer;
    private final InetSocketAddress address;
    private final MirrorEngine engine;
    private final byte[] mirrorKey;
    private final LinkThreads threads;
    private final PeerDialer dialer;
    private final ProtocolChoice protocols = new ProtocolChoice();

    private Channel channel;
    /** What the connection up sends; null while there is none. */
    private SendQueue queue;
    private boolean everConnected;
    private long rounds;
    private long fullRound = -1;

    /**
     * @param localBind the local address to dial from (this node's address, so the peer sees who dials), or
     *                  null for any
     * @param gone      told (on the link's loop) the peer's name when its process is gone; any thread's to hop from
     */
    public PeerLink(String self, String peer, InetSocketAddress address, InetSocketAddress localBind, MirrorEngine engine,
                    Executor reader, byte[] mirrorKey, Bootstrap template, EventLoop loop, Consumer<String> gone) {
        this.self = self;
        this.peer = peer;
        this.address = address;
        this.engine = engine;
        this.mirrorKey = mirrorKey.clone();
        this.threads = new LinkThreads(loop, reader);
        this.dialer = new PeerDialer(peer, address, localBind, template, threads, this::initChannel,
                this::dialFailed, this::disconnected, gone);
    }

    private void initChannel(SocketChannel ch) {
        ch.pipeline().addLast("timeout", new ReadTimeoutHandler(3 * HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS));
        ch.pipeline().addLast("frames", new FrameDecoder());
        ch.pipeline().addLast("handshake", new HandshakeHandler(mirrorKey, self, true, peer,
                Set.of(), engine.metrics(), HANDSHAKE_TIMEOUT, protocols.offer(), (c, p) -> {
                    c.pipeline().addLast("link", new PeerLinkHandler(this, peer, engine));
                    Heartbeat.start(c, engine::latestSummary);
                    authenticated(c);
                }));
    }

    public String peer() {
        return peer;
    }

    public void start() {
        threads.run(dialer::connect);
    }

    /** Stops dialing and closes the connection. */
    public void close() {
        threads.run(() -> {
            dialer.stop();
            if (channel != null) {
                PeerLinkHandler.closeHere(channel);
            }
        });
    }

    /** The peer showed it is up (it dialed us): dial now rather than at the end of the back-off. */
    public void poke() {
        threads.run(() -> {
            if (channel == null) {
                dialer.poke();
            }
        });
    }

    /** Offers changes made here (a round of their own), ahead of the files queued. */
    public void offer(List<Entry> changes) {
        threads.run(() -> {
            if (channel != null && !changes.isEmpty()) {
                queue.offer(changes, false, ++rounds);
            }
        });
    }

    /** Offers every path again (the periodic anti-entropy round). */
    public void offerAll(List<Entry> all) {
        threads.run(() -> {
            if (channel != null) {
                queue.offer(all, true, ++rounds);
            }
        });
    }

    public void summary(Messages.Summary s) {
        threads.run(() -> {
            if (channel != null) {
                channel.writeAndFlush(Messages.summary(s));
            }
        });
    }

    // ------------------------------------------------------------------ connection (on the loop)

    private void authenticated(Channel ch) {
        if (dialer.stopped()) {
            PeerLinkHandler.closeHere(ch);
            return;
        }
        channel = ch;
        CipherHandler cipher = ch.pipeline().get(CipherHandler.class);
        queue = new SendQueue(ch, cipher == null ? Handshake.PROTOCOL : cipher.protocol(), peer, engine, threads);
        protocols.connected();
        dialer.connected();
        if (!everConnected) {
            log.info("mirror: connected to {} at {}", peer, address);
        } else {
            log.info("mirror: connected to {} again", peer);
        }
        everConnected = true;
        long round = ++rounds;
        fullRound = round;
        engine.linkUp(peer, this);
        engine.offerAll().whenComplete((all, e) -> threads.run(() -> {
            if (channel != ch) {
                return;
            }
            if (e != null) {
                log.warn("mirror: cannot list the paths to offer {}: {}", peer, e.toString());
                PeerLinkHandler.closeHere(ch);
                return;
            }
            queue.offerFirst(all, true, round);
        }));
    }

    private void dialFailed() {
        engine.linkFailed(peer, dialer.failedAttempt());
    }

    private void disconnected(Channel ch) {
        if (channel == ch) {
            channel = null;
            queue.cancel();
            queue = null;
            engine.linkDown(peer);
            log.info("mirror: connection to {} closed", peer);
            if (!PeerLinkHandler.closedHere(ch) && dialer.peerClosed()) {
                // closed from the peer's side: dialed again at once, to tell whether its process is gone
                return;
            }
        } else if (channel == null) {
            // refused in the handshake, or closed before it completed
            if (protocols.refused(Boolean.TRUE.equals(ch.attr(HandshakeHandler.HELLO_UNANSWERED).get()))) {
                log.info("mirror: {} closed the handshake of protocol {} unanswered: the next attempt offers protocol {}"
                        + " (an older release)", peer, Handshake.PROTOCOL, Handshake.OLDEST);
            }
            dialFailed();
            if (dialer.cutBeforeHandshake()) {
                // accepted, then cut before a word: maybe the listening socket of a process that is going
                return;
            }
        }
        dialer.redial();
    }

    // ------------------------------------------------------------------ what the peer sends back (on the loop)

    /** The peer asked for files on {@code ch}: they are looked up, then queued after the offers. */
    void wanted(Channel ch, List<Messages.Wanted> items) {
        engine.sources(items).whenComplete((sources, e) -> threads.run(() -> {
            if (channel != ch) {
                return;
            }
            if (e != null) {
                log.warn("mirror: cannot look up what {} asked for: {}", peer, e.toString());
                PeerLinkHandler.closeHere(ch);
                return;
            }
            queue.send(sources);
        }));
    }

    /** Whether {@code round} is the full round that began the connection up. */
    boolean isFullRound(long round) {
        return round == fullRound;
    }

    /** The socket takes more again. */
    void writable() {
        if (queue != null) {
            queue.pump();
        }
    }
}
