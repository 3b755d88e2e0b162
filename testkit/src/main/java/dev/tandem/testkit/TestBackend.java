package dev.tandem.testkit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small real HTTP/1.1 server on {@code 127.0.0.1} and a port of its own, for integration tests: the test
 * decides per request what it does ({@link Behaviour}, usually one of {@link Respond}'s) and afterwards
 * looks at what it received ({@link #received()}) and how much it sent ({@link #bytesSent()}).
 *
 * <p>It runs on its own single NIO event loop and allocates from its own allocator, so that it shares
 * neither threads nor buffer pools with the code under test (a test can then measure the memory the code
 * under test holds through the default allocator). Requests on one connection are answered in order.
 */
public final class TestBackend implements AutoCloseable {

    /** Request line and header limit: generous, so that a proxy's own limits are what tests run into. */
    private static final int MAX_HEAD = 256 * 1024;

    private final String name;
    private final MultiThreadIoEventLoopGroup group;
    private final ChannelGroup connections;
    private final Channel server;
    private final InetSocketAddress address;
    private final ConcurrentLinkedQueue<Behaviour> next = new ConcurrentLinkedQueue<>();
    private final List<RecordedRequest> received = new ArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicInteger refused = new AtomicInteger();
    private final int maxConnections;
    private volatile Behaviour behaviour;
    private volatile boolean readingPaused;

    private TestBackend(Builder b) throws InterruptedException {
        this.name = b.name;
        this.behaviour = b.behaviour;
        this.maxConnections = b.maxConnections;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("backend-" + b.name, true),
                NioIoHandler.newFactory());
        this.connections = new DefaultChannelGroup("backend-" + b.name, group.next());
        ByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
        ServerBootstrap sb = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.ALLOCATOR, alloc)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.ALLOCATOR, alloc)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (maxConnections > 0 && connections.size() >= maxConnections) {
                            // What an overloaded server does with one connection too many: reset it.
                            refused.incrementAndGet();
                            ch.config().setOption(ChannelOption.SO_LINGER, 0);
                            ch.close();
                            return;
                        }
                        ch.pipeline().addLast("raw", new ChannelDuplexHandler());
                        ch.pipeline().addLast("http", new HttpServerCodec(new HttpDecoderConfig()
                                .setMaxInitialLineLength(MAX_HEAD).setMaxHeaderSize(MAX_HEAD)));
                        ch.pipeline().addLast("backend", new Connection(accepted.incrementAndGet()));
                    }
                });
        if (b.receiveBuffer > 0) {
            // Set on the listening socket so that accepted sockets advertise the small window from the start.
            sb.option(ChannelOption.SO_RCVBUF, b.receiveBuffer);
        }
        if (b.sendBuffer > 0) {
            sb.childOption(ChannelOption.SO_SNDBUF, b.sendBuffer);
        }
        try {
            this.server = sb.bind(new InetSocketAddress("127.0.0.1", b.port)).sync().channel();
            this.address = (InetSocketAddress) server.localAddress();
        } catch (RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** A backend that answers every request with 200 and its name. */
    public static TestBackend start(String name) throws InterruptedException {
        return builder(name).start();
    }

    public static TestBackend start(String name, Behaviour behaviour) throws InterruptedException {
        return builder(name).behaviour(behaviour).start();
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    public String name() {
        return name;
    }

    public InetSocketAddress address() {
        return address;
    }

    public int port() {
        return address().getPort();
    }

    /** {@code 127.0.0.1:PORT}, as a config names a server. */
    public String hostPort() {
        return "127.0.0.1:" + port();
    }

    /** Sets what every following request gets (after those queued with {@link #nextRequests}). */
    public TestBackend behaviour(Behaviour behaviour) {
        this.behaviour = behaviour;
        return this;
    }

    /** Queues behaviours for the next requests, one each, before the default one applies again. */
    public TestBackend nextRequests(Behaviour... behaviours) {
        next.addAll(List.of(behaviours));
        return this;
    }

    /** Stops reading from every connection (and new ones): senders see TCP backpressure. */
    public void pauseReading() {
        readingPaused = true;
        connections.forEach(c -> c.config().setAutoRead(false));
    }

    public void resumeReading() {
        readingPaused = false;
        connections.forEach(c -> c.config().setAutoRead(true));
    }

    /** Request heads received so far. */
    public synchronized int requests() {
        return received.size();
    }

    /** Every request received so far, in arrival order. */
    public synchronized List<RecordedRequest> received() {
        return List.copyOf(received);
    }

    /** The most recent request, or null. */
    public synchronized RecordedRequest lastRequest() {
        return received.isEmpty() ? null : received.get(received.size() - 1);
    }

    /** Connections accepted so far. */
    public int connectionsAccepted() {
        return accepted.get();
    }

    /** Connections reset because {@link Builder#maxConnections} were open. */
    public int connectionsRefused() {
        return refused.get();
    }

    /** Connections open now. */
    public int openConnections() {
        return connections.size();
    }

    /** Response bytes (head and body) the kernel has taken from this backend. */
    public long bytesSent() {
        return bytesSent.get();
    }

    void countSent(long n) {
        bytesSent.addAndGet(n);
    }

    /**
     * Stops listening and closes every connection, as a crashed server would: new connections to the port
     * are refused from now on.
     */
    public void kill() {
        server.close().syncUninterruptibly();
        connections.close().syncUninterruptibly();
        awaitRefused();
    }

    /**
     * The JDK closes a listening socket registered with a selector only at the selector's next wake-up,
     * so the port may accept a moment longer; wait until it really refuses.
     */
    private void awaitRefused() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() - deadline < 0) {
            try (java.net.Socket probe = new java.net.Socket()) {
                probe.connect(address, 1000);
            } catch (java.io.IOException refused) {
                return;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        throw new IllegalStateException(this + " still accepts connections after being killed");
    }

    @Override
    public void close() {
        kill();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Override
    public String toString() {
        return "TestBackend " + name + " on " + address;
    }

    private synchronized void record(RecordedRequest r) {
        received.add(r);
    }

    private Behaviour behaviourForNext() {
        Behaviour b = next.poll();
        return b != null ? b : behaviour;
    }

    /** One accepted connection: records what arrives and hands each request, in turn, to its behaviour. */
    private final class Connection extends ChannelDuplexHandler {

        private final int id;
        private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
        private int requestIndex;
        private Pending reading;
        private Pending active;
        private ChannelHandlerContext ctx;

        private record Pending(BackendExchange exchange, Behaviour behaviour) {
        }

        Connection(int id) {
            this.id = id;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            connections.add(ctx.channel());
            if (readingPaused) {
                ctx.channel().config().setAutoRead(false);
            }
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest head) {
                    if (head.decoderResult().isFailure()) {
                        ctx.close();
                        return;
                    }
                    onHead(head);
                }
                if (msg instanceof HttpContent content && reading != null) {
                    onContent(content);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void onHead(HttpRequest head) {
            RecordedRequest r = new RecordedRequest(name, id, requestIndex++, head);
            record(r);
            BackendExchange x = new BackendExchange(TestBackend.this, ctx, ctx.pipeline().context("raw"), r,
                    HttpUtil.isKeepAlive(head), this::finished);
            reading = new Pending(x, behaviourForNext());
            waiting.add(reading);
            if (active == null) {
                dispatch();
            }
        }

        private void onContent(HttpContent content) {
            Pending p = reading;
            ByteBuf b = content.content();
            if (b.isReadable()) {
                byte[] bytes = new byte[b.readableBytes()];
                b.getBytes(b.readerIndex(), bytes);
                p.exchange().request().addBody(bytes, bytes.length);
            }
            if (content.decoderResult().isFailure()) {
                ctx.close();
                return;
            }
            if (content instanceof LastHttpContent) {
                reading = null;
                p.exchange().request().completed();
                p.exchange().requestCompleted();
                if (p == active && !p.exchange().answered()) {
                    p.behaviour().onRequest(p.exchange());
                }
            }
        }

        private void dispatch() {
            active = waiting.poll();
            if (active == null) {
                return;
            }
            BackendExchange x = active.exchange();
            active.behaviour().onHead(x);
            if (!x.answered() && x.requestComplete()) {
                active.behaviour().onRequest(x);
            }
        }

        private void finished() {
            active = null;
            dispatch();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (active != null) {
                active.exchange().writabilityChanged();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Options of a {@link TestBackend}. */
    public static final class Builder {

        private final String name;
        private Behaviour behaviour;
        private int receiveBuffer;
        private int sendBuffer;
        private int maxConnections;
        private int port;

        private Builder(String name) {
            this.name = name;
            this.behaviour = Respond.name();
        }

        public Builder behaviour(Behaviour behaviour) {
            this.behaviour = behaviour;
            return this;
        }

        /** SO_RCVBUF of accepted connections: a small one makes request-body backpressure show sooner. */
        public Builder receiveBuffer(int bytes) {
            this.receiveBuffer = bytes;
            return this;
        }

        /** SO_SNDBUF of accepted connections: a small one makes response backpressure show sooner. */
        public Builder sendBuffer(int bytes) {
            this.sendBuffer = bytes;
            return this;
        }

        /** Connections open at once; one more is reset at once, as an overloaded server does. 0 = no limit. */
        public Builder maxConnections(int connections) {
            this.maxConnections = connections;
            return this;
        }

        /** The port to listen on (127.0.0.1), e.g. one a test found refusing before; 0 (the default) = any free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public TestBackend start() throws InterruptedException {
            return new TestBackend(this);
        }
    }
}
