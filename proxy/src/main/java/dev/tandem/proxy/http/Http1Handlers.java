package dev.tandem.proxy.http;

import dev.tandem.conf.LimitsConfig;
import dev.tandem.proxy.upstream.LoopResources;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.stream.ChunkedWriteHandler;

/**
 * The handlers that speak HTTP/1.1 to a client, added at the end of its pipeline: http-codec, flow-control,
 * (chunked-write,) proxy. Added when the connection starts speaking HTTP/1.1, and again each time it wakes from
 * {@link DormantConnection}.
 */
final class Http1Handlers {

    /** Largest piece of a body handed on at once; bigger reads are split. */
    private static final int MAX_CHUNK = 64 * 1024;

    private Http1Handlers() {
    }

    /** Adds them for a connection that has not been asked anything yet. */
    static void add(ChannelPipeline p, ListenerContext listener, LoopResources loop) {
        add(p, listener, new ProxyHandler(listener, loop));
    }

    /** Adds them with {@code proxy} as the last one. */
    static void add(ChannelPipeline p, ListenerContext listener, ProxyHandler proxy) {
        p.addLast(HandlerNames.HTTP_CODEC, new ClientHttpCodec(requestDecoder(listener.config().config().limits())));
        // Decodes on demand (a deep pipeline waits in the socket), and hands on one decoded message per read(),
        // so that requests and body chunks are pulled, not pushed.
        p.addLast(HandlerNames.FLOW_CONTROL, new OneMessagePerRead());
        if (listener.secure()) {
            addChunkedWriter(p);
        }
        p.addLast(HandlerNames.PROXY, proxy);
    }

    /**
     * How requests are decoded: within the limits, and without Netty's validation of each header field as it
     * is added, because {@link RequestTarget#check} validates every field of the request once before anything
     * uses it (Netty would validate them as they are decoded and again as the proxy sets its own headers).
     * Trailers are validated as they are decoded. The decoder's framing defences stay as they are; the headers
     * count the Content-Length fields for the one the decoder lets through ({@link DecodedRequestHeaders}).
     */
    static HttpDecoderConfig requestDecoder(LimitsConfig limits) {
        return new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxHeaderBytes())
                .setMaxHeaderSize(limits.maxHeaderBytes())
                .setMaxChunkSize(MAX_CHUNK)
                .setHeadersFactory(DecodedRequestHeaders.FACTORY);
    }

    /**
     * Static files leave plaintext connections as file regions (sendfile/splice, no copy), which a TLS handler
     * cannot encrypt; on secure listeners (HTTP/1.1 and every HTTP/2 stream) they go as chunks, which this
     * handler reads from the file one at a time, as the connection can take them. Plaintext pipelines do
     * without it: it would only queue writes.
     */
    static void addChunkedWriter(ChannelPipeline p) {
        p.addLast(HandlerNames.CHUNKED_WRITE, new ChunkedWriteHandler());
    }
}
