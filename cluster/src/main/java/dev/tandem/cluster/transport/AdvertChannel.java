package dev.tandem.cluster.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's UDP socket on {@code cluster.port}: unicast to every peer (no multicast, so it crosses routed
 * networks and works where multicast is filtered), received packets handed to a {@link Receiver}. It lives on
 * the cluster's own single-thread event loop, so a busy data plane never delays an advert.
 */
public final class AdvertChannel implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdvertChannel.class);
    /** The socket's receive buffer: some thousands of packets, a few seconds of a flood at 2,000 a second. */
    static final int RECEIVE_BUFFER = 4 * 1024 * 1024;

    /** Told, on the channel's event loop, of every packet; the buffer is released after the call. */
    public interface Receiver {
        void received(ByteBuf content, InetSocketAddress sender);
    }

    private final Channel channel;

    private AdvertChannel(Channel channel) {
        this.channel = channel;
    }

    /** Binds {@code local} on {@code group} (one loop) with the transport's datagram channel class. */
    public static AdvertChannel bind(EventLoopGroup group, Class<? extends DatagramChannel> type,
                                     InetSocketAddress local, Receiver receiver) throws IOException {
        ChannelFuture f = new Bootstrap()
                .group(group)
                .channel(type)
                .option(ChannelOption.SO_REUSEADDR, true)
                // Room for a burst: packets a flood (or a busy moment of this loop) queues up must not crowd a
                // peer's adverts out of the socket, or the peer is taken for down. The kernel caps it (rmem_max).
                .option(ChannelOption.SO_RCVBUF, RECEIVE_BUFFER)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<DatagramPacket>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                                receiver.received(p.content(), p.sender());
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                // ICMP port unreachable from a stopped peer and the like: nothing to do.
                                log.debug("cluster socket: {}", cause.toString());
                            }
                        });
                    }
                })
                .bind(local);
        if (!f.awaitUninterruptibly(10, TimeUnit.SECONDS) || !f.isSuccess()) {
            f.channel().close();
            Throwable cause = f.cause();
            throw new IOException("cluster: cannot bind UDP " + local + ": "
                    + (cause == null ? "timed out" : cause.getMessage()), cause);
        }
        return new AdvertChannel(f.channel());
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Sends {@code packet} to each of {@code peers} and releases it. Call on the channel's event loop. */
    public void send(ByteBuf packet, List<InetSocketAddress> peers) {
        try {
            if (!channel.isActive()) {
                return;
            }
            for (InetSocketAddress peer : peers) {
                channel.write(new DatagramPacket(packet.retainedDuplicate(), peer)).addListener(f -> {
                    if (!f.isSuccess()) {
                        log.debug("advert to {}: {}", peer, f.cause().toString());
                    }
                });
            }
            channel.flush();
        } finally {
            packet.release();
        }
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
