package dev.tandem.proxy;

import dev.tandem.proxy.http.ListenerContext;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners bound now, in config order, those a reload closed whose connections still finish their
 * requests, and their connection gauges; the drain of them all at a stop. Changed under {@link ProxyServer}'s
 * lock; the gauges read it from outside.
 */
final class ListenerTable {

    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    private final MeterRegistry meters;
    private final Map<String, BoundListener> listeners = new LinkedHashMap<>();
    /** Listeners closed by a reload whose connections are still finishing their requests. */
    private final Set<ListenerContext> retiring = ConcurrentHashMap.newKeySet();
    /** The listeners' contexts by name, republished after every change for readers outside the lock. */
    private volatile Map<String, ListenerContext> liveContexts = Map.of();
    /** tandem_active_connections by listener name: one gauge per name, whichever socket serves it. */
    private final Map<String, Gauge> connectionGauges = new ConcurrentHashMap<>();

    ListenerTable(MeterRegistry meters) {
        this.meters = meters;
    }

    /** Listener {@code name}, or null. */
    BoundListener get(String name) {
        return listeners.get(name);
    }

    void put(String name, BoundListener l) {
        listeners.put(name, l);
    }

    /** Every listener bound now, in config order. */
    Collection<BoundListener> all() {
        return listeners.values();
    }

    /** The names of the listeners bound now. */
    Set<String> names() {
        return Set.copyOf(listeners.keySet());
    }

    /** Forgets every listener (their sockets and connections are the caller's). */
    void clear() {
        listeners.clear();
    }

    /** Stops accepting on listener {@code name}; its connections drain in the background. */
    void close(String name) throws InterruptedException {
        BoundListener old = listeners.remove(name);
        old.channel().close().sync();
        ListenerContext context = old.context();
        retiring.add(context);
        context.drain().whenComplete((ok, err) -> retiring.remove(context));
        log.info("listener {} closed ({}); its open connections finish their requests", name,
                old.channel().localAddress());
    }

    /**
     * Publishes the listener set for the connection gauges: registers a gauge for each new name and drops
     * those of names that are gone (their draining connections, if any, no longer show).
     */
    void publish() {
        Map<String, ListenerContext> now = new LinkedHashMap<>();
        listeners.forEach((name, l) -> now.put(name, l.context()));
        liveContexts = Map.copyOf(now);
        for (String name : now.keySet()) {
            connectionGauges.computeIfAbsent(name, n -> Gauge.builder("tandem.active.connections", () -> connectionsOf(n))
                    .description("Open client connections").tag("listener", n).strongReference(true).register(meters));
        }
        connectionGauges.entrySet().removeIf(e -> {
            if (now.containsKey(e.getKey())) {
                return false;
            }
            meters.remove(e.getValue());
            return true;
        });
    }

    private int connectionsOf(String name) {
        ListenerContext c = liveContexts.get(name);
        int n = c == null ? 0 : c.connections();
        for (ListenerContext r : retiring) {
            if (r.name().equals(name)) {
                n += r.connections();
            }
        }
        return n;
    }

    /** Open client connections on every listener, including listeners a reload removed that still drain. */
    int connections() {
        int n = listeners.values().stream().mapToInt(l -> l.context().connections()).sum();
        for (ListenerContext c : retiring) {
            n += c.connections();
        }
        return n;
    }

    /** Tells every listener's connections the name {@code $node} stands for. */
    void node(String name) {
        listeners.values().forEach(b -> b.context().node(name));
    }

    /** The address listener {@code name} is bound to (its actual port when configured as 0), or null. */
    InetSocketAddress boundAddress(String name) {
        BoundListener l = listeners.get(name);
        return l == null ? null : (InetSocketAddress) l.channel().localAddress();
    }

    /** What each listener is bound to and how many connections it has, in config order. */
    List<ProxyServer.ListenerView> views() {
        List<ProxyServer.ListenerView> views = new ArrayList<>();
        for (BoundListener l : listeners.values()) {
            views.add(new ProxyServer.ListenerView(l.config(), (InetSocketAddress) l.channel().localAddress(),
                    l.context().connections()));
        }
        return views;
    }

    /**
     * Stops accepting on every listener, closes connections that have no request in flight at once, lets the
     * others finish their current request for up to {@code drain}, cuts whatever is left, then forgets them all.
     *
     * @return true when every connection finished within {@code drain}
     */
    boolean closeAll(Duration drain) throws InterruptedException {
        for (BoundListener l : listeners.values()) {
            l.channel().close().sync();
        }
        List<ListenerContext> contexts = new ArrayList<>(retiring);
        listeners.values().forEach(l -> contexts.add(l.context()));
        CompletableFuture<?>[] drained = contexts.stream().map(ListenerContext::drain).toArray(CompletableFuture[]::new);
        boolean clean = true;
        try {
            CompletableFuture.allOf(drained).get(drain.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            clean = false;
            int cut = contexts.stream().mapToInt(ListenerContext::closeAll).sum();
            log.warn("drain timeout ({}) reached: cutting {} connection(s) still busy", drain, cut);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a drain cannot fail", e);
        }
        listeners.clear();
        retiring.clear();
        publish();
        return clean;
    }
}
