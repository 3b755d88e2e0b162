package dev.tandem.proxy.http;

import dev.tandem.conf.LimitsConfig;
import dev.tandem.proxy.upstream.LoopResources;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.util.Map;

/**
 * Assembles the pipeline of a client connection accepted on one listener, one concern per step.
 */
public final class ClientChannelInitializer extends ChannelInitializer<Channel> {

    /** Largest piece of a body handed on at once; bigger reads are split. */
    private static final int MAX_CHUNK = 64 * 1024;

    private final ListenerContext listener;
    private final Map<EventLoop, LoopResources> loops;

    public ClientChannelInitializer(ListenerContext listener, Map<EventLoop, LoopResources> loops) {
        this.listener = listener;
        this.loops = loops;
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        addHttp1Handlers(p, listener.config().config().limits());
        if (listener.secure()) {
            addChunkedWriter(p);
        }
        addProxyHandler(p, loops.get(ch.eventLoop()));
    }

    private static void addHttp1Handlers(ChannelPipeline p, LimitsConfig limits) {
        HttpDecoderConfig decoder = new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxHeaderBytes())
                .setMaxHeaderSize(limits.maxHeaderBytes())
                .setMaxChunkSize(MAX_CHUNK);
        p.addLast(HandlerNames.HTTP_CODEC, new HttpServerCodec(decoder));
        // Hands on one decoded message per read(), so that requests and body chunks are pulled, not pushed.
        p.addLast(HandlerNames.FLOW_CONTROL, new OneMessagePerRead());
    }

    /**
     * Static files leave plaintext connections as file regions (sendfile/splice, no copy), which a TLS handler
     * cannot encrypt; on secure listeners they go as chunks, which this handler reads from the file one at a
     * time, as the connection can take them. Plaintext pipelines do without it: it would only queue writes.
     */
    private static void addChunkedWriter(ChannelPipeline p) {
        p.addLast(HandlerNames.CHUNKED_WRITE, new ChunkedWriteHandler());
    }

    private void addProxyHandler(ChannelPipeline p, LoopResources loop) {
        p.addLast(HandlerNames.PROXY, new ProxyHandler(listener, loop));
    }
}
