package dev.tandem.proxy.http;

/** Names of the handlers in a client connection's pipeline, in pipeline order. */
public final class HandlerNames {

    public static final String TLS = "tls";
    public static final String HTTP_CODEC = "http-codec";
    /** Secure listeners only: turns a static file's chunked input into buffers the TLS handler can encrypt. */
    public static final String CHUNKED_WRITE = "chunked-write";
    public static final String FLOW_CONTROL = "flow-control";
    public static final String PROXY = "proxy";

    private HandlerNames() {
    }
}
