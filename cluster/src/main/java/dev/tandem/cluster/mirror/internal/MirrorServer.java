package dev.tandem.cluster.mirror.internal;

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
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mirror's TCP listener on {@code cluster.port} (the UDP adverts use the same number). Every connection
 * must pass the handshake before anything else is read from it; at most {@link #MAX_HANDSHAKES} may be in
 * their handshake at once, so strangers cannot tie up much.
 */
public final class MirrorServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MirrorServer.class);
    static final int MAX_HANDSHAKES = 32;

    private final Channel channel;
    private final ChannelGroup accepted;

    private MirrorServer(Channel channel, ChannelGroup accepted) {
        this.channel = channel;
        this.accepted = accepted;
    }

    public static MirrorServer bind(EventLoopGroup group, Class<? extends ServerChannel> type, InetSocketAddress local,
                                    String self, Set<String> peers, byte[] mirrorKey, MirrorEngine engine) throws IOException {
        AtomicInteger handshaking = new AtomicInteger();
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
                        accepted.add(ch);
                        if (handshaking.incrementAndGet() > MAX_HANDSHAKES) {
                            handshaking.decrementAndGet();
                            engine.metrics().rejected(MirrorMetrics.UNAUTHENTICATED);
                            log.warn("mirror: connection from {} refused: too many connections in their handshake",
                                    ch.remoteAddress());
                            ch.close();
                            return;
                        }
                        AtomicInteger once = new AtomicInteger();
                        Runnable release = () -> {
                            if (once.getAndIncrement() == 0) {
                                handshaking.decrementAndGet();
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
