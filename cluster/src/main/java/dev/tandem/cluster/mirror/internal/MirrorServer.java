package dev.tandem.cluster.mirror.internal;

import io.micrometer.core.instrument.Gauge;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mirror's TCP listener on {@code cluster.port} (the UDP adverts use the same number). A connection from
 * an address that is not another node's is closed as it is accepted, before any handshake work (counted and
 * logged, at most a line a minute per address: {@link RefusedConnections}); one from a node's address must
 * pass the handshake within {@link PeerLink#HANDSHAKE_TIMEOUT} before anything else is read from it, with at
 * most {@link #HANDSHAKES_PER_SOURCE} in their handshake from one address and {@link #MAX_HANDSHAKES} in all
 * ({@link HandshakeAdmission}). A stranger flooding the port therefore never takes the peers' place.
 */
public final class MirrorServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MirrorServer.class);
    static final int MAX_HANDSHAKES = 32;
    /** A peer dials one connection at a time; a few more cover a reconnection while the old one times out. */
    static final int HANDSHAKES_PER_SOURCE = 4;
    static final Duration REFUSAL_LOG_EVERY = Duration.ofMinutes(1);

    private final Channel channel;
    private final ChannelGroup accepted;

    private MirrorServer(Channel channel, ChannelGroup accepted) {
        this.channel = channel;
        this.accepted = accepted;
    }

    public static MirrorServer bind(EventLoopGroup group, Class<? extends ServerChannel> type, InetSocketAddress local,
                                    String self, Set<String> peers, Set<InetAddress> peerAddresses, byte[] mirrorKey,
                                    MirrorEngine engine) throws IOException {
        HandshakeAdmission admission = new HandshakeAdmission(peerAddresses, HANDSHAKES_PER_SOURCE, MAX_HANDSHAKES);
        RefusedConnections refusals = new RefusedConnections(engine.metrics().registry(), System::nanoTime,
                REFUSAL_LOG_EVERY);
        Gauge.builder("tandem_mirror_handshakes_pending", admission, HandshakeAdmission::pending)
                .description("Connections to the mirror port from cluster nodes' addresses still in their handshake")
                .register(engine.metrics().registry());
        // Closing the event loops does not close the connections on them: they are closed here, so that
        // peers see this node go at once.
        ChannelGroup accepted = new DefaultChannelGroup("mirror", group.next());
        ChannelFuture f = new ServerBootstrap()
                .group(group)
                .channel(type)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 * 1024, 256 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        InetSocketAddress remote = ch.remoteAddress();
                        InetAddress source = remote == null ? null : remote.getAddress();
                        HandshakeAdmission.Verdict verdict = source == null ? HandshakeAdmission.Verdict.STRANGER
                                : admission.admit(source);
                        if (verdict != HandshakeAdmission.Verdict.ADMITTED) {
                            String line = refusals.refused(source == null ? "?" : source.getHostAddress(), verdict);
                            if (line != null) {
                                log.warn("{}", line);
                            }
                            // A reset, not a close: no TIME_WAIT left here for each of a flood's connections.
                            ch.config().setOption(ChannelOption.SO_LINGER, 0);
                            ch.close();
                            return;
                        }
                        accepted.add(ch);
                        AtomicInteger once = new AtomicInteger();
                        Runnable release = () -> {
                            if (once.getAndIncrement() == 0) {
                                admission.release(source);
                            }
                        };
                        ch.closeFuture().addListener(x -> release.run());
                        ch.pipeline().addLast("timeout", new ReadTimeoutHandler(3 * PeerLink.HEARTBEAT.toMillis(),
                                TimeUnit.MILLISECONDS));
                        ch.pipeline().addLast("frames", new FrameDecoder());
                        ch.pipeline().addLast("handshake", new HandshakeHandler(mirrorKey, self, false, null, peers,
                                engine.metrics(), PeerLink.HANDSHAKE_TIMEOUT, (c, peer) -> {
                                    release.run();
                                    c.pipeline().addLast("session", new InboundSession(peer, c, engine));
                                    Heartbeat.start(c, engine::latestSummary);
                                }));
                    }
                })
                .bind(local);
        if (!f.awaitUninterruptibly(10, TimeUnit.SECONDS) || !f.isSuccess()) {
            f.channel().close();
            Throwable cause = f.cause();
            throw new IOException("mirror: cannot listen on TCP " + local + ": "
                    + (cause == null ? "timed out" : cause.getMessage()), cause);
        }
        return new MirrorServer(f.channel(), accepted);
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        accepted.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
