package dev.tandem.proxy.http;

/** Names of the handlers in a client connection's pipeline, in pipeline order. */
public final class HandlerNames {

    /** Every connection: counts it on its listener and knows what a drain does to it. */
    public static final String CONNECTION = "connection";
    /** TLS listeners: the SNI step, replaced by the TLS handler for the certificate it picks. */
    public static final String TLS = "tls";
    /** TLS listeners, until the handshake ends: picks HTTP/2 or HTTP/1.1 by ALPN. */
    public static final String PROTOCOL = "protocol";
    public static final String HTTP_CODEC = "http-codec";
    /** Secure listeners only: turns a static file's chunked input into buffers the TLS handler can encrypt. */
    public static final String CHUNKED_WRITE = "chunked-write";
    public static final String FLOW_CONTROL = "flow-control";
    public static final String PROXY = "proxy";
    /**
     * HTTP/1.1 over TLS asleep between requests: stands in for HTTP_CODEC to PROXY until the client sends again
     * (on plaintext the CONNECTION handler hosts the sleeper, and nothing follows it).
     */
    public static final String DORMANT = "dormant";
    /** HTTP/1.1 after a 101 from the server: bytes relayed both ways. */
    public static final String TUNNEL = "tunnel";

    /** HTTP/2 connections: one flush per event loop turn for the responses of every stream. */
    public static final String HTTP2_FLUSH = "http2-flush";
    /** HTTP/2 connections: closes one that has had no stream for the keep-alive timeout. */
    public static final String HTTP2_IDLE = "http2-idle";
    public static final String HTTP2_CODEC = "http2-codec";
    /** HTTP/2 connections: one child channel per stream, whose pipeline is STREAM_CODEC, FLOW_CONTROL, PROXY. */
    public static final String HTTP2_STREAMS = "http2-streams";
    /** HTTP/2 stream channels: frames to and from the HTTP/1 messages the proxy handler speaks. */
    public static final String STREAM_CODEC = "stream-codec";

    private HandlerNames() {
    }
}
