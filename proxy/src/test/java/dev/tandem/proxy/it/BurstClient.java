package dev.tandem.proxy.it;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many requests at once, one per connection (as a crowd of browsers): every connection is opened before any
 * response is read. Counts the answers by status, and by "failed" where a connection broke without one.
 */
final class BurstClient {

    /** Status code -> count; 0 counts connections that ended without a response. */
    record Result(Map<Integer, Integer> statuses, Map<Integer, String> retryAfter) {
        int count(int status) {
            return statuses.getOrDefault(status, 0);
        }
    }

    private BurstClient() {
    }

    static Result run(InetSocketAddress target, int requests, Duration within) throws InterruptedException {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        Map<Integer, String> retryAfter = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(requests);
        try {
            Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) within.toMillis())
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                                    new SimpleChannelInboundHandler<FullHttpResponse>() {
                                        private boolean answered;

                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                                            answered = true;
                                            int code = r.status().code();
                                            statuses.computeIfAbsent(code, k -> new AtomicInteger()).incrementAndGet();
                                            String after = r.headers().get(HttpHeaderNames.RETRY_AFTER);
                                            if (after != null) {
                                                retryAfter.putIfAbsent(code, after);
                                            }
                                            ctx.close();
                                        }

                                        @Override
                                        public void channelInactive(ChannelHandlerContext ctx) {
                                            if (!answered) {
                                                statuses.computeIfAbsent(0, k -> new AtomicInteger()).incrementAndGet();
                                            }
                                            done.countDown();
                                        }

                                        @Override
                                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                            ctx.close();
                                        }
                                    });
                        }
                    });
            for (int i = 0; i < requests; i++) {
                ChannelFuture f = b.connect(target);
                f.addListener(future -> {
                    if (!future.isSuccess()) {
                        statuses.computeIfAbsent(0, k -> new AtomicInteger()).incrementAndGet();
                        done.countDown();
                        return;
                    }
                    DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
                    req.headers().set(HttpHeaderNames.HOST, "burst");
                    req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                    f.channel().writeAndFlush(req);
                });
            }
            if (!done.await(within.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(done.getCount() + " of " + requests + " requests unanswered within " + within
                        + "; so far " + statuses);
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        Map<Integer, Integer> out = new TreeMap<>();
        statuses.forEach((k, v) -> out.put(k, v.get()));
        return new Result(out, retryAfter);
    }
}
