package dev.tandem.proxy.it;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A bare HTTP/2 client on Netty's codec, for what the JDK 17 client does not do: it treats a GOAWAY as the end
 * of every stream, where RFC 9113 lets the streams up to the last id finish.
 */
final class NettyH2Client implements AutoCloseable {

    /** A response: its status and body, once the stream ended. */
    record Response(int status, String body) {
    }

    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel channel;
    final CompletableFuture<Long> goAway = new CompletableFuture<>();

    NettyH2Client(InetSocketAddress address, X509Certificate trusted) throws Exception {
        SslContext ssl = SslContextBuilder.forClient().trustManager(trusted)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2))
                .build();
        channel = new Bootstrap().group(group).channel(NioSocketChannel.class).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(ssl.newHandler(ch.alloc(), "localhost", address.getPort()),
                        Http2FrameCodecBuilder.forClient().build(),
                        new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
                        new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof Http2GoAwayFrame g) {
                                    goAway.complete((long) g.lastStreamId());
                                }
                                io.netty.util.ReferenceCountUtil.release(msg);
                            }
                        });
            }
        }).connect(address).sync().channel();
    }

    /** Sends GET {@code path}; the future completes with the response once its stream ends. */
    CompletableFuture<Response> get(String path) throws InterruptedException {
        CompletableFuture<Response> result = new CompletableFuture<>();
        StringBuilder body = new StringBuilder();
        int[] status = {0};
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(channel)
                .handler(new SimpleChannelInboundHandler<Http2StreamFrame>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
                        boolean end = false;
                        if (frame instanceof Http2HeadersFrame h) {
                            if (h.headers().status() != null) {
                                status[0] = Integer.parseInt(h.headers().status().toString());
                            }
                            end = h.isEndStream();
                        } else if (frame instanceof Http2DataFrame d) {
                            ByteBuf content = d.content();
                            body.append(content.toString(StandardCharsets.UTF_8));
                            end = d.isEndStream();
                        }
                        if (end) {
                            result.complete(new Response(status[0], body.toString()));
                        }
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        result.completeExceptionally(new java.io.IOException("stream closed before its end"));
                    }
                }).open().sync().getNow();
        stream.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("GET").path(path)
                .scheme("https").authority("localhost"), true));
        return result;
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
