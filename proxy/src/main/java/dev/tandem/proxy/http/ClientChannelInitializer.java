package dev.tandem.proxy.http;

import dev.tandem.conf.LimitsConfig;
import dev.tandem.proxy.tls.ListenerTls;
import dev.tandem.proxy.upstream.LoopResources;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.SniHandler;
import java.util.Map;

/**
 * Assembles the pipeline of a client connection accepted on one listener, one concern per step:
 * <pre>
 * plaintext:  connection, http-codec, flow-control, proxy
 *             (connection alone: asleep between requests, the connection hosting a {@link DormantConnection})
 * TLS:        connection, tls (SNI, then the TLS handler), protocol (ALPN), then either
 *             http-codec, flow-control, chunked-write, proxy      (http/1.1, or no ALPN; asleep: dormant)
 *             http2-flush, http2-idle, http2-codec, http2-streams (h2), each stream a child channel with
 *                 stream-codec, flow-control, chunked-write, proxy
 * </pre>
 * The same {@link ProxyHandler} serves an HTTP/1.1 connection and an HTTP/2 stream: the stream codec turns
 * frames into the HTTP/1 messages it speaks.
 */
public final class ClientChannelInitializer extends ChannelInitializer<Channel> {

    /** How long a client may take over its TLS ClientHello and handshake. */
    private static final long HANDSHAKE_TIMEOUT_MILLIS = 10_000;
    /** Largest ClientHello the SNI step buffers (post-quantum key shares make them larger than they were). */
    private static final int MAX_CLIENT_HELLO = 16 * 1024;

    private final ListenerContext listener;
    private final Map<EventLoop, LoopResources> loops;

    public ClientChannelInitializer(ListenerContext listener, Map<EventLoop, LoopResources> loops) {
        this.listener = listener;
        this.loops = loops;
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast(HandlerNames.CONNECTION, new ClientConnection(listener));
        ListenerTls tls = listener.tls();
        if (tls != null) {
            addTlsHandlers(p, tls);
        } else {
            addHttp1Handlers(p);
        }
    }

    private void addTlsHandlers(ChannelPipeline p, ListenerTls tls) {
        // The mapping in force when the connection arrives picks its certificate: a reload affects new connections only.
        p.addLast(HandlerNames.TLS, new SniHandler(tls.mapping(), MAX_CLIENT_HELLO, HANDSHAKE_TIMEOUT_MILLIS));
        p.addLast(HandlerNames.PROTOCOL, new ProtocolSelector(this));
    }

    void addHttp1Handlers(ChannelPipeline p) {
        Http1Handlers.add(p, listener, loops.get(p.channel().eventLoop()));
    }

    /**
     * HTTP/2: streams are multiplexed on child channels, each of which runs a proxy handler of its own. The
     * connection itself reads freely: what a client may send is bounded by HTTP/2 flow control, whose windows
     * open only as each stream's proxy handler reads (that is, as its upstream takes the body).
     */
    void addHttp2Handlers(ChannelPipeline p) {
        LimitsConfig limits = listener.config().config().limits();
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                .initialSettings(Http2Settings.defaultSettings()
                        .maxConcurrentStreams(limits.maxConcurrentStreams())
                        .maxHeaderListSize(limits.maxHeaderBytes()))
                .validateHeaders(true)
                // A drain sends GOAWAY and waits for the streams under way; a stop cuts them at its own timeout.
                .gracefulShutdownTimeoutMillis(listener.config().config().shutdown().drainTimeout().toMillis())
                .build();
        // Streams answer from their servers' reads, each with a flush of its own: gathered into one flush per
        // event loop turn, the TLS handler writes one record and one syscall for all of them.
        p.addLast(HandlerNames.HTTP2_FLUSH, new FlushConsolidationHandler(
                FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        p.addLast(HandlerNames.HTTP2_IDLE, new Http2IdleTimeout(limits.keepaliveTimeout().toNanos(), codec));
        p.addLast(HandlerNames.HTTP2_CODEC, codec);
        LoopResources loop = loops.get(p.channel().eventLoop());
        p.addLast(HandlerNames.HTTP2_STREAMS, new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.config().setAutoRead(false);
                stream.config().setWriteBufferWaterMark(LoopResources.WATER_MARK);
                ChannelPipeline sp = stream.pipeline();
                sp.addLast(HandlerNames.STREAM_CODEC, new Http2StreamFrameToHttpObjectCodec(true));
                sp.addLast(HandlerNames.FLOW_CONTROL, new OneMessagePerRead());
                Http1Handlers.addChunkedWriter(sp);
                sp.addLast(HandlerNames.PROXY, new ProxyHandler(listener, loop, true));
            }
        }));
        ClientConnection connection = p.get(ClientConnection.class);
        if (connection != null) {
            // Closing through the codec is the graceful way out: GOAWAY, then close once the streams are done.
            connection.onDrain(() -> p.channel().close());
            // The same for a step-down (the client opens another connection, which finds the address's new
            // holder); at once when the connection was marked during its handshake.
            connection.onStepDown(() -> p.channel().close());
        }
        p.channel().config().setAutoRead(true);
    }
}
