package dev.tandem.proxy.guard;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetAddress;

/**
 * A request as a {@link SiteGuard} sees it: who sent it, and the two ways on: serve it, or answer it here.
 * The connection's handler implements it; every method is called on the connection's event loop.
 */
public interface GuardedExchange {

    /** The client's address as the forwarding rules believe it. */
    InetAddress client();

    /** The request's {@code Authorization} header, or null. */
    String authorization();

    /** The connection's event loop, where an answer that took a detour (bcrypt) comes back to. */
    EventExecutor executor();

    /** Still the request the connection waits on (the client did not leave meanwhile). */
    boolean active();

    /** Let it through: the site serves it. */
    void pass();

    /**
     * Answer it here.
     *
     * @param page  the body, or null for Tandem's built-in page of {@code status}
     * @param extra headers the answer carries besides the usual ones (WWW-Authenticate, Retry-After), or null
     */
    void answer(HttpResponseStatus status, Page page, HttpHeaders extra);
}
