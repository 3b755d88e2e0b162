package dev.tandem.proxy.http;

import dev.tandem.proxy.log.AccessLog;
import dev.tandem.proxy.runtime.RuntimeConfig;
import dev.tandem.proxy.tls.ListenerTls;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * What every connection accepted on one listener shares: the listener's name and scheme, the config in
 * force, the access log, its certificates when it speaks TLS, and its open connections, which it can drain
 * when the listener goes away.
 */
public final class ListenerContext {

    private final String name;
    private final boolean secure;
    private final AtomicReference<RuntimeConfig> config;
    private final Supplier<AccessLog> accessLog;
    private final ListenerTls tls;
    private final ConnectionsByAddress byAddress;
    private final AtomicInteger connections = new AtomicInteger();
    private final Set<ClientConnection> open = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile boolean draining;
    private volatile String node = "tandem";

    /**
     * A listener without certificates of its own: plaintext, or ({@code secure}) one whose connections arrive
     * with TLS already taken off, as pipeline tests build them: https as far as the proxy is concerned.
     */
    public ListenerContext(String name, boolean secure, AtomicReference<RuntimeConfig> config,
                           Supplier<AccessLog> accessLog) {
        this(name, secure, config, accessLog, null, new ConnectionsByAddress());
    }

    /** As above, its connections also counted in {@code byAddress} (shared by the listeners of one server). */
    public ListenerContext(String name, boolean secure, AtomicReference<RuntimeConfig> config,
                           Supplier<AccessLog> accessLog, ConnectionsByAddress byAddress) {
        this(name, secure, config, accessLog, null, byAddress);
    }

    /** @param tls the listener's certificates; null for plaintext */
    public ListenerContext(String name, AtomicReference<RuntimeConfig> config, Supplier<AccessLog> accessLog,
                           ListenerTls tls) {
        this(name, tls != null, config, accessLog, tls, new ConnectionsByAddress());
    }

    /**
     * @param tls       the listener's certificates; null for plaintext
     * @param byAddress where its connections are also counted by local address (shared by a server's listeners)
     */
    public ListenerContext(String name, AtomicReference<RuntimeConfig> config, Supplier<AccessLog> accessLog,
                           ListenerTls tls, ConnectionsByAddress byAddress) {
        this(name, tls != null, config, accessLog, tls, byAddress);
    }

    private ListenerContext(String name, boolean secure, AtomicReference<RuntimeConfig> config,
                            Supplier<AccessLog> accessLog, ListenerTls tls, ConnectionsByAddress byAddress) {
        this.name = name;
        this.secure = secure;
        this.config = config;
        this.accessLog = accessLog;
        this.tls = tls;
        this.byAddress = byAddress;
    }

    /** The node's name, as {@code $node} says it. */
    public String node() {
        return node;
    }

    public void node(String name) {
        node = name;
    }

    /** The listener's certificates, or null when its connections do not do TLS here. */
    public ListenerTls tls() {
        return tls;
    }

    public String name() {
        return name;
    }

    public boolean secure() {
        return secure;
    }

    public String scheme() {
        return secure ? "https" : "http";
    }

    /** The config in force now; a request reads it once and keeps it. */
    public RuntimeConfig config() {
        return config.get();
    }

    /** The access log, or null when none is configured. */
    public AccessLog accessLog() {
        return accessLog.get();
    }

    public int connections() {
        return connections.get();
    }

    void opened(ClientConnection connection) {
        connections.incrementAndGet();
        open.add(connection);
        byAddress.add(connection);
        // Added before reading the flag, and drain() sets the flag before it walks the set: one of the two
        // sees the other, so a connection accepted while the drain starts is not missed.
        if (draining) {
            connection.drainSoon();
        }
    }

    void closed(ClientConnection connection) {
        open.remove(connection);
        byAddress.remove(connection);
        if (connections.decrementAndGet() == 0 && draining) {
            drained.complete(null);
        }
    }

    /** A draining listener answers each connection's next response with {@code Connection: close}. */
    public boolean draining() {
        return draining;
    }

    /**
     * Starts draining: connections with no request in flight are closed now, the others after the response
     * they are sending (which carries {@code Connection: close} when its head has not left yet). Call after
     * the listening socket is closed.
     *
     * @return completes once every connection of this listener is closed
     */
    public CompletableFuture<Void> drain() {
        draining = true;
        open.forEach(ClientConnection::drainSoon);
        if (connections.get() == 0) {
            drained.complete(null);
        }
        return drained;
    }

    /** Cuts every connection still open, requests in flight or not (a drain that ran out of time). */
    public int closeAll() {
        int n = 0;
        for (ClientConnection connection : open) {
            connection.closeNow();
            n++;
        }
        return n;
    }
}
