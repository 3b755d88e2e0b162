package dev.tandem.proxy.upstream;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Receives what an upstream connection reads while a request owns it. Calls arrive on the connection's
 * event loop, which is also the client's.
 */
public interface BackendListener {

    /** The response head. */
    void onResponseHead(BackendConnection connection, HttpResponse response);

    /** A piece of the response body; the listener owns (and must release) {@code content}. */
    void onResponseContent(BackendConnection connection, HttpContent content);

    /** The end of one read burst: a good moment to flush towards the client. */
    void onReadComplete(BackendConnection connection);

    /** The connection's writability changed (request body backpressure). */
    void onWritabilityChanged(BackendConnection connection);

    /** The connection failed or closed before the exchange finished. */
    void onFailure(BackendConnection connection, FailureKind kind, Throwable cause);
}
