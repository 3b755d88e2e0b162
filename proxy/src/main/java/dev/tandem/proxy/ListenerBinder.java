package dev.tandem.proxy;

import dev.tandem.conf.ListenerConfig;
import dev.tandem.proxy.http.ClientChannelInitializer;
import dev.tandem.proxy.http.ListenerContext;
import dev.tandem.proxy.transport.Transport;
import dev.tandem.proxy.upstream.LoopResources;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.RecvByteBufAllocator;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds a listener's server socket on the data plane's event loops, its connections' options, and the client
 * pipeline they get ({@link ClientChannelInitializer}).
 */
final class ListenerBinder {

    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    private final Transport transport;
    private final EventLoops loops;
    /**
     * How client connections size their reads: Netty's default (adaptive, up to 16 reads a turn), but one
     * allocator for all of them instead of one each, 32 bytes less per idle connection. It holds only its
     * settings (each connection's read sizes live in a handle of its own), and nothing here changes them.
     */
    private final RecvByteBufAllocator clientReads = new AdaptiveRecvByteBufAllocator().maxMessagesPerRead(16);

    ListenerBinder(Transport transport, EventLoops loops) {
        this.transport = transport;
        this.loops = loops;
    }

    /**
     * Binds {@code l}'s address, its connections sharing {@code context}.
     *
     * @throws IOException when the address does not resolve or cannot be bound
     */
    BoundListener bind(ListenerConfig l, ListenerContext context) throws IOException, InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(loops.group())
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, LoopResources.WATER_MARK)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, clientReads)
                .childHandler(new ClientChannelInitializer(context, loops.byLoop()));
        if (transport.freeBindOption() != null) {
            // A listener on a floating address is up before the address arrives on this node.
            b.option(transport.freeBindOption(), true);
        }
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(l.bind().host()), l.bind().port());
        var future = b.bind(address).await();
        if (!future.isSuccess()) {
            throw new IOException("listener " + l.name() + ": cannot bind " + l.bind() + ": " + future.cause().getMessage(),
                    future.cause());
        }
        log.info("listener {} on {}{}", l.name(), future.channel().localAddress(), l.secure() ? " (TLS)" : "");
        return new BoundListener(l, context, future.channel());
    }
}
