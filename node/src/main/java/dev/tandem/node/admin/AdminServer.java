package dev.tandem.node.admin;

import dev.tandem.conf.HostPort;
import dev.tandem.proxy.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpContentCompressor;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener: a small HTTP/1.1 server on one event loop of its own, so that a slow scrape, a big
 * status document or a stuck admin client never takes time from the data plane.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    /** Admin requests are small; anything bigger is refused by the aggregator with 413. */
    private static final int MAX_REQUEST_BYTES = 64 * 1024;
    private static final int IDLE_SECONDS = 120;
    private static final int CLOSE_SECONDS = 5;

    private final Transport transport;
    private final MultiThreadIoEventLoopGroup group;
    /** Accepted connections, open ones only (a closed channel leaves the group by itself). */
    private final ChannelGroup connections;
    private final AdminRoutes routes;
    private final Supplier<Optional<String>> token;
    private final CsrfGuard csrf = new CsrfGuard(System::nanoTime);
    private volatile Channel channel;
    private volatile HostPort bind;

    private AdminServer(Transport transport, AdminRoutes routes, Supplier<Optional<String>> token) {
        this.transport = transport;
        this.group = transport.newGroup(1, "tandem-admin");
        this.connections = new DefaultChannelGroup("admin", group.next());
        this.routes = routes;
        this.token = token;
    }

    /**
     * Binds {@code bind} and serves {@code routes}.
     *
     * @param token the token in force now (read per request, so a reload can change it)
     */
    public static AdminServer start(HostPort bind, Transport transport, AdminRoutes routes,
                                    Supplier<Optional<String>> token) throws IOException, InterruptedException {
        AdminServer server = new AdminServer(transport, routes, token);
        // A page's CSRF token: behind the admin token (when there is one), refused to other sites' pages.
        routes.add(AdminRoute.sync("GET", "/api/session", AdminRoute.Access.API,
                r -> AdminResponse.json(200, java.util.Map.of("csrf", server.csrf.issue(), "header", CsrfGuard.HEADER))));
        try {
            server.channel = server.bind(bind);
            server.bind = bind;
        } catch (IOException | InterruptedException | RuntimeException e) {
            server.group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
        return server;
    }

    /** Moves the listener to {@code next}; on failure it stays where it was. */
    public synchronized void rebind(HostPort next) throws IOException, InterruptedException {
        if (next.equals(bind)) {
            return;
        }
        Channel old = channel;
        // Closed first: the new address may share the old one's port.
        old.close().sync();
        try {
            channel = bind(next);
            bind = next;
        } catch (IOException e) {
            channel = bind(bind);
            throw e;
        }
    }

    private Channel bind(HostPort hp) throws IOException, InterruptedException {
        InetAddress host = InetAddress.getByName(hp.host());
        AdminHandler handler = new AdminHandler(routes, token, host.isLoopbackAddress(), csrf);
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline()
                                .addLast(new ReadTimeoutHandler(IDLE_SECONDS))
                                .addLast(new HttpServerCodec())
                                // gzip when the client asks (Accept-Encoding): a scrape of /metrics shrinks ~10x.
                                .addLast(new HttpContentCompressor())
                                .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                .addLast(new FlowControlHandler())
                                .addLast(handler);
                    }
                });
        var future = b.bind(new InetSocketAddress(host, hp.port())).await();
        if (!future.isSuccess()) {
            throw new IOException("admin listener: cannot bind " + hp + ": " + future.cause().getMessage(), future.cause());
        }
        log.info("admin listener on {}{}", future.channel().localAddress(),
                host.isLoopbackAddress() ? "" : " (token required)");
        return future.channel();
    }

    /** The bound address (the actual port when the config says 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    /**
     * Stops listening, closes every connection (idle keep-alive ones included) and waits for the closes, then
     * stops the event loop. The connections are closed here rather than left to the loop's shutdown: a loop
     * told to stop with no quiet period while it runs tasks (Netty 4.2.18's {@code confirmShutdown()} then
     * returns at once) skips closing its channels, and io_uring tears the ring down with their sockets still
     * open and the buffer of a receive it just submitted never released.
     */
    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        connections.close().awaitUninterruptibly(CLOSE_SECONDS, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
