package dev.tandem.proxy.upstream;

import java.io.IOException;

/**
 * A failure of an upstream attempt that the proxy itself detected (the server closed, stopped answering,
 * answered what it must not). Made without a stack trace: it happens per request when a server is down or
 * overloaded, only its message is ever logged, and filling in a stack costs more than the rest of the failure.
 */
public final class UpstreamFailure extends IOException {

    private static final long serialVersionUID = 1L;

    public UpstreamFailure(String message) {
        super(message);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
