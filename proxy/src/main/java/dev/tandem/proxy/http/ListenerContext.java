package dev.tandem.proxy.http;

import dev.tandem.proxy.log.AccessLog;
import dev.tandem.proxy.runtime.RuntimeConfig;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * What every connection accepted on one listener shares: the listener's name and scheme, the config in
 * force, the access log, and its open connections, which it can drain when the listener goes away.
 */
public final class ListenerContext {

    private final String name;
    private final boolean secure;
    private final AtomicReference<RuntimeConfig> config;
    private final Supplier<AccessLog> accessLog;
    private final AtomicInteger connections = new AtomicInteger();
    private final Set<ProxyHandler> open = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile boolean draining;

    public ListenerContext(String name, boolean secure, AtomicReference<RuntimeConfig> config,
                           Supplier<AccessLog> accessLog) {
        this.name = name;
        this.secure = secure;
        this.config = config;
        this.accessLog = accessLog;
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

    void opened(ProxyHandler connection) {
        connections.incrementAndGet();
        open.add(connection);
        // Added before reading the flag, and drain() sets the flag before it walks the set: one of the two
        // sees the other, so a connection accepted while the drain starts is not missed.
        if (draining) {
            connection.drainSoon();
        }
    }

    void closed(ProxyHandler connection) {
        open.remove(connection);
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
        open.forEach(ProxyHandler::drainSoon);
        if (connections.get() == 0) {
            drained.complete(null);
        }
        return drained;
    }

    /** Cuts every connection still open, requests in flight or not (a drain that ran out of time). */
    public int closeAll() {
        int n = 0;
        for (ProxyHandler connection : open) {
            connection.closeNow();
            n++;
        }
        return n;
    }
}
