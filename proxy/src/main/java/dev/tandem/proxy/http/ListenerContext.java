package dev.tandem.proxy.http;

import dev.tandem.proxy.log.AccessLog;
import dev.tandem.proxy.runtime.RuntimeConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * What every connection accepted on one listener shares: the listener's name and scheme, the config in
 * force, the access log, and the count of open connections.
 */
public final class ListenerContext {

    private final String name;
    private final boolean secure;
    private final AtomicReference<RuntimeConfig> config;
    private final Supplier<AccessLog> accessLog;
    private final AtomicInteger connections = new AtomicInteger();
    private final Gauge connectionsGauge;
    private volatile boolean draining;

    public ListenerContext(String name, boolean secure, AtomicReference<RuntimeConfig> config,
                           Supplier<AccessLog> accessLog, MeterRegistry meters) {
        this.name = name;
        this.secure = secure;
        this.config = config;
        this.accessLog = accessLog;
        this.connectionsGauge = Gauge.builder("tandem.active.connections", connections, AtomicInteger::get)
                .description("Open client connections").tag("listener", name).register(meters);
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

    void opened() {
        connections.incrementAndGet();
    }

    void closed() {
        connections.decrementAndGet();
    }

    /** A draining listener answers each connection's next response with {@code Connection: close}. */
    public boolean draining() {
        return draining;
    }

    public void drain() {
        draining = true;
    }

    /** Unregisters this listener's meters. */
    public void removeMeters(MeterRegistry meters) {
        meters.remove(connectionsGauge);
    }
}
