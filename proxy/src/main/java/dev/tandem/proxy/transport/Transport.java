package dev.tandem.proxy.transport;

import io.netty.channel.ChannelOption;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Locale;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The native transport the data plane runs on: io_uring when the kernel allows it, else epoll, else NIO.
 * Every channel Tandem opens (listeners, upstream connections, health checks, cluster UDP) comes from here
 * so that all of them live on the same kind of event loop.
 */
public record Transport(
        String name,
        Supplier<IoHandlerFactory> ioHandlerFactory,
        Class<? extends ServerChannel> serverChannel,
        Class<? extends SocketChannel> socketChannel,
        Class<? extends DatagramChannel> datagramChannel,
        ChannelOption<Boolean> freeBindOption) {

    private static final Logger log = LoggerFactory.getLogger(Transport.class);

    /** System property that forces a transport ({@code io_uring}, {@code epoll} or {@code nio}). */
    public static final String PROPERTY = "tandem.transport";

    /** The best transport this machine offers, honouring {@link #PROPERTY}; logs the choice and why. */
    public static Transport detect() {
        String forced = System.getProperty(PROPERTY, "").toLowerCase(Locale.ROOT);
        if (forced.isEmpty() || forced.equals("io_uring")) {
            if (IoUring.isAvailable()) {
                return chosen(ioUring(), null);
            }
            if (forced.equals("io_uring")) {
                log.warn("io_uring requested but unavailable: {}", IoUring.unavailabilityCause().toString());
            }
        }
        if (forced.isEmpty() || forced.equals("io_uring") || forced.equals("epoll")) {
            if (Epoll.isAvailable()) {
                return chosen(epoll(), forced.isEmpty() ? "io_uring unavailable: " + IoUring.unavailabilityCause() : null);
            }
        }
        return chosen(nio(), forced.equals("nio") ? null : "epoll unavailable: " + Epoll.unavailabilityCause());
    }

    private static Transport chosen(Transport t, String why) {
        if (why == null) {
            log.info("transport: {}", t.name());
        } else {
            log.info("transport: {} ({})", t.name(), why);
        }
        return t;
    }

    public static Transport ioUring() {
        return new Transport("io_uring", IoUringIoHandler::newFactory, IoUringServerSocketChannel.class,
                IoUringSocketChannel.class, IoUringDatagramChannel.class, IoUringChannelOption.IP_FREEBIND);
    }

    public static Transport epoll() {
        return new Transport("epoll", EpollIoHandler::newFactory, EpollServerSocketChannel.class,
                EpollSocketChannel.class, EpollDatagramChannel.class, EpollChannelOption.IP_FREEBIND);
    }

    public static Transport nio() {
        return new Transport("nio", NioIoHandler::newFactory, NioServerSocketChannel.class,
                NioSocketChannel.class, NioDatagramChannel.class, null);
    }

    /** A new event loop group of {@code threads} loops whose threads are named {@code prefix-N}. */
    public MultiThreadIoEventLoopGroup newGroup(int threads, String prefix) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(prefix, true), ioHandlerFactory.get());
    }
}
