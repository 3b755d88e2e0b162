package dev.tandem.proxy.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A strict HTTP/1.1 server behind the proxy under fuzzing: it records every request it parses (and every
 * byte stream it cannot parse) and answers each with a small 200, so that the proxy never tunnels.
 */
final class RecordingBackend implements AutoCloseable {

    /** One request as the backend parsed it; {@code client} is its X-Real-IP, which tells the fuzz inputs apart. */
    static final class Seen {
        final String method;
        final String uri;
        final List<String> client;
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        volatile boolean complete;

        Seen(HttpRequest head) {
            method = head.method().name();
            uri = head.uri();
            client = head.headers().getAll("x-real-ip");
        }

        @Override
        public String toString() {
            return method + " " + uri + " (body " + body.size() + (complete ? "" : ", incomplete") + ", x-real-ip " + client + ")";
        }
    }

    private static final byte[] OK = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII);
    /** The same to a HEAD: its headers without the body. */
    private static final byte[] OK_HEAD = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final List<Seen> seen = new ArrayList<>();
    private final List<String> unparsable = new ArrayList<>();

    RecordingBackend() throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new Recorder());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    String hostPort() {
        return "127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** The requests recorded for client address {@code client}, in the order they arrived. */
    synchronized List<Seen> seenFrom(String client) {
        return seen.stream().filter(s -> s.client.contains(client)).toList();
    }

    synchronized List<Seen> all() {
        return List.copyOf(seen);
    }

    /** Describes what arrived that does not parse as HTTP, and forgets it; empty when everything parsed. */
    synchronized List<String> drainUnparsable() {
        List<String> u = List.copyOf(unparsable);
        unparsable.clear();
        return u;
    }

    synchronized void forget() {
        seen.clear();
    }

    private synchronized void record(Seen s) {
        seen.add(s);
    }

    private synchronized void unparsable(String what) {
        unparsable.add(what);
    }

    private final class Recorder extends ChannelInboundHandlerAdapter {
        private Seen current;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest head) {
                    if (head.decoderResult().isFailure()) {
                        unparsable("request head: " + head.decoderResult().cause());
                        ctx.close();
                        return;
                    }
                    current = new Seen(head);
                    record(current);
                }
                if (msg instanceof HttpContent content) {
                    if (content.decoderResult().isFailure()) {
                        unparsable("request body of " + current + ": " + content.decoderResult().cause());
                        ctx.close();
                        return;
                    }
                    ByteBuf b = content.content();
                    if (current != null) {
                        byte[] bytes = new byte[b.readableBytes()];
                        b.getBytes(b.readerIndex(), bytes);
                        current.body.writeBytes(bytes);
                    }
                    if (msg instanceof LastHttpContent && current != null) {
                        current.complete = true;
                        ctx.writeAndFlush(Unpooled.wrappedBuffer(current.method.equals("HEAD") ? OK_HEAD : OK));
                        current = null;
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
