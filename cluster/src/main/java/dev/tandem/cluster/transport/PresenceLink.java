package dev.tandem.cluster.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.ServerChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP connection to every peer that carries nothing but the fact that the peer's process is alive, for a
 * cluster without a mirror (the mirror's own connections tell the same: {@code PeerDialer}). When a process dies
 * (SIGKILL, an OOM kill, a crash) its kernel closes its connections at once and refuses new ones; a backup that
 * sees its master's connection closed from the master's side and the next dial refused knows the process is gone
 * before three adverts are missed, and its election takes over sooner ({@code VipElection.peerGone}).
 *
 * <p>The listener is this node's cluster address on {@code cluster.port} (TCP; the adverts are UDP on the same
 * number, so one firewall rule covers both). It accepts only the configured nodes' addresses, at most
 * {@link #PER_SOURCE} connections from each, and greets each with one byte: a dial counts as answered (the peer
 * alive) only once that byte arrives, because the listening socket of a dying process can accept one more
 * connection and cut it. Nothing else is ever sent, and what a peer sends is dropped.
 *
 * <p>The link cannot cause a takeover: a peer told gone by a stranger (a forged reset) still sends its adverts,
 * and each advert puts the whole master-down interval back. Threading: all state lives on the cluster's loop.
 */
public final class PresenceLink implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PresenceLink.class);

    /** The greeting: one byte that says "a live process answered". */
    static final byte HELLO = 0x54;
    /** Connections kept from one source address; more are closed (a peer reconnects, it never needs more). */
    static final int PER_SOURCE = 4;
    static final int CONNECT_TIMEOUT_MS = 2000;
    static final long MIN_BACKOFF_MS = 100;
    static final long MAX_BACKOFF_MS = 2000;
    /** A live peer that keeps closing its connection is dialed again at once at most this often. */
    static final Duration RECHECK_EVERY = Duration.ofSeconds(1);

    private final EventLoop loop;
    private final InetSocketAddress local;
    private final Set<InetAddress> allowed;
    private final Class<? extends ServerChannel> serverChannel;
    private final Consumer<String> gone;
    private final List<PresenceDial> dials = new ArrayList<>();
    private final Map<InetAddress, Integer> perSource = new HashMap<>();
    /** The peers' connections to this node, closed with it. */
    private final ChannelGroup accepted;
    private Channel listener;
    private boolean closed;

    /**
     * @param local   this node's cluster address and port: the listener's, and the address dials leave from
     * @param peers   each peer's name and the address it is dialed at
     * @param allowed the addresses the nodes' connections may come from (behind NAT, more than one per node)
     * @param gone    told (on the loop) a peer's name when its process is seen gone
     */
    public PresenceLink(EventLoop loop, InetSocketAddress local, Map<String, InetSocketAddress> peers,
                        Set<InetAddress> allowed, Class<? extends ServerChannel> serverChannel,
                        Class<? extends SocketChannel> socketChannel, Consumer<String> gone) {
        this.loop = loop;
        this.local = local;
        this.allowed = Set.copyOf(allowed);
        this.serverChannel = serverChannel;
        this.gone = gone;
        this.accepted = new DefaultChannelGroup(loop);
        Bootstrap template = new Bootstrap().group(loop).channel(socketChannel)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
                .option(ChannelOption.SO_KEEPALIVE, true);
        peers.forEach((name, address) -> dials.add(new PresenceDial(name, address, local.getAddress(), template, loop,
                this::peerGone)));
    }

    /** Binds the listener and dials every peer. Blocking: call from the control thread. */
    public void start() throws IOException {
        ServerBootstrap b = new ServerBootstrap().group(loop).channel(serverChannel)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted(ch);
                    }
                });
        var f = b.bind(local).awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new IOException("cluster: cannot listen on TCP " + local + ": " + f.cause(), f.cause());
        }
        listener = f.channel();
        loop.execute(() -> dials.forEach(PresenceDial::connect));
    }

    /** The listener's address (its actual port when bound to 0), or null before {@link #start}. */
    public InetSocketAddress localAddress() {
        return listener == null ? null : (InetSocketAddress) listener.localAddress();
    }

    /** On the loop: a connection from {@code ch}'s source, greeted when it is a node's, else closed at once. */
    private void accepted(SocketChannel ch) {
        InetAddress from = ch.remoteAddress().getAddress();
        int open = perSource.getOrDefault(from, 0);
        if (closed || !allowed.contains(from) || open >= PER_SOURCE) {
            log.debug("cluster: presence connection from {} closed ({})", ch.remoteAddress(),
                    closed ? "stopping" : !allowed.contains(from) ? "not a cluster node" : "too many from it");
            ch.close();
            return;
        }
        perSource.put(from, open + 1);
        accepted.add(ch);
        ch.closeFuture().addListener(x -> perSource.computeIfPresent(from, (k, n) -> n <= 1 ? null : n - 1));
        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        });
        ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {HELLO}));
    }

    private void peerGone(String peer) {
        if (!closed) {
            gone.accept(peer);
        }
    }

    /**
     * Stops dialing and listening, and closes every connection. A peer then sees what it sees when this process
     * dies, which is right: a node that stops has handed its VIPs over first.
     */
    @Override
    public void close() {
        if (loop.inEventLoop()) {
            closeHere();
        } else {
            loop.submit(this::closeHere).awaitUninterruptibly();
        }
        if (listener != null) {
            listener.close().awaitUninterruptibly();
        }
        accepted.close().awaitUninterruptibly();
    }

    /** How many peers this node has a greeted connection to. Any thread. */
    public int peersUp() {
        return (int) dials.stream().filter(PresenceDial::up).count();
    }

    /** How many connections from peers this node holds. Any thread. */
    int acceptedCount() {
        return accepted.size();
    }

    /** Closes the peers' connections to this node and goes on listening (for tests: a live peer that cuts). */
    void dropAccepted() {
        accepted.close().awaitUninterruptibly();
    }

    private void closeHere() {
        closed = true;
        dials.forEach(PresenceDial::stop);
    }

    /** What a greeting connection's handler reads: the one byte that says the peer's process answered. */
    static boolean greeted(ByteBuf in) {
        boolean hello = false;
        while (in.isReadable()) {
            hello |= in.readByte() == HELLO;
        }
        return hello;
    }
}
