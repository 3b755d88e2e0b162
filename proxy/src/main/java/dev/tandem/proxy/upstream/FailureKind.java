package dev.tandem.proxy.upstream;

/** Why an attempt at an upstream server failed; decides the status a client sees and whether to retry. */
public enum FailureKind {
    /** The connection could not be established (refused, unreachable): nothing was sent. */
    CONNECT,
    /** The connection was not established in time: nothing was sent. */
    CONNECT_TIMEOUT,
    /** The server stopped reading or answering within the read/write timeout. */
    TIMEOUT,
    /** The connection closed or broke before the response was complete. */
    RESET,
    /** The server's response could not be parsed. */
    INVALID_RESPONSE;

    /** The log's reason for an attempt that failed this way and was retried: a constant, so counting makes no garbage. */
    public String retriedReason() {
        return switch (this) {
            case CONNECT -> "CONNECT retried";
            case CONNECT_TIMEOUT -> "CONNECT_TIMEOUT retried";
            case TIMEOUT -> "TIMEOUT retried";
            case RESET -> "RESET retried";
            case INVALID_RESPONSE -> "INVALID_RESPONSE retried";
        };
    }

    /** True when the server cannot have seen the request, so any method may be retried. */
    public boolean beforeSend() {
        return this == CONNECT || this == CONNECT_TIMEOUT;
    }

    /** The status a client gets when this failure ends its request. */
    public int clientStatus() {
        return this == CONNECT_TIMEOUT || this == TIMEOUT ? 504 : 502;
    }
}
