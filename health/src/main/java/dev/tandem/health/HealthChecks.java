package dev.tandem.health;

import dev.tandem.conf.HostPort;
import dev.tandem.health.internal.CheckMeters;
import dev.tandem.health.internal.ServerChecker;
import dev.tandem.health.internal.ServerMeters;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The active health checks of every configured server, run on the data-plane event loops on connections of
 * their own, and the health meters of every server.
 *
 * <p>{@link #apply} reconciles the running checks with a new set of servers: checks start for servers that
 * appear, stop for servers that go, and restart (keeping the state found so far) when a server's check
 * settings or address change. Servers whose upstream drops its checks go back to {@link ActiveState#UNKNOWN},
 * which counts as up: nobody watches them any more, so a stale "down" must not keep them out.
 *
 * <p>{@link #apply} and {@link #close} are called from one control thread at a time.
 */
public final class HealthChecks implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthChecks.class);

    private final EventLoopGroup loops;
    private final Class<? extends SocketChannel> channelClass;
    private final MeterRegistry meters;
    private final HealthEvents events;
    private final Map<Key, Entry> entries = new HashMap<>();
    /** Every server's health by upstream, for the "no server up" log; replaced by each apply. */
    private volatile Map<String, List<ServerHealth>> byUpstream = Map.of();
    private boolean closed;

    private record Key(String upstream, HostPort address) {
    }

    private static final class Entry {
        volatile HealthTarget target;
        final ServerMeters serverMeters;
        CheckMeters checkMeters;
        ServerChecker checker;
        EventLoop loop;

        Entry(HealthTarget target, MeterRegistry meters) {
            this.target = target;
            this.serverMeters = new ServerMeters(meters, target.upstream(), target.address().toString(),
                    () -> this.target.health());
        }
    }

    /**
     * @param loops        the data-plane event loops the checks run on, spread over them
     * @param channelClass the socket channel class of those loops' transport
     * @param events       hears about every check and transition (e.g. the node's health signal)
     */
    public HealthChecks(EventLoopGroup loops, Class<? extends SocketChannel> channelClass, MeterRegistry meters,
                        HealthEvents events) {
        this.loops = loops;
        this.channelClass = channelClass;
        this.meters = meters;
        this.events = events;
    }

    /** Makes {@code targets} the configured servers: starts, restarts and stops checks to match. */
    public synchronized void apply(List<HealthTarget> targets) {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        Map<Key, HealthTarget> next = new LinkedHashMap<>();
        Map<String, List<ServerHealth>> grouped = new LinkedHashMap<>();
        for (HealthTarget t : targets) {
            next.put(new Key(t.upstream(), t.address()), t);
            grouped.computeIfAbsent(t.upstream(), u -> new ArrayList<>()).add(t.health());
        }
        grouped.replaceAll((u, list) -> List.copyOf(list));
        // Before any checker starts, so that its first transitions already see the new upstreams.
        byUpstream = Map.copyOf(grouped);
        entries.entrySet().removeIf(e -> {
            if (next.containsKey(e.getKey())) {
                return false;
            }
            Entry gone = e.getValue();
            stopChecks(gone);
            gone.serverMeters.remove();
            return true;
        });
        next.forEach((key, t) -> {
            Entry entry = entries.get(key);
            if (entry == null) {
                entry = new Entry(t, meters);
                entries.put(key, entry);
            } else {
                reconcile(entry, t);
            }
            entry.target = t;
            if (t.checks().isPresent() && entry.checker == null) {
                startChecks(entry, t);
            }
        });
    }

    /** Stops the checks of {@code entry} when {@code next} changes how (or whom) they would check. */
    private void reconcile(Entry entry, HealthTarget next) {
        HealthTarget current = entry.target;
        boolean same = current.checks().equals(next.checks()) && current.resolved().equals(next.resolved())
                && current.health() == next.health();
        if (same || entry.checker == null) {
            return;
        }
        if (next.checks().isPresent()) {
            log.info("upstream '{}' server {}: check settings changed, restarting its checks (state {} kept)",
                    next.upstream(), next.address(), next.health().active());
            entry.checker.stop();
            entry.checker = null;
        } else {
            stopChecks(entry);
            forget(entry, next);
        }
    }

    private void startChecks(Entry entry, HealthTarget t) {
        if (entry.loop == null) {
            // Later checkers of this server stay on this loop, so a stopped one's last task runs before the next starts.
            entry.loop = loops.next();
        }
        if (entry.checkMeters == null) {
            entry.checkMeters = new CheckMeters(meters, t.upstream(), t.address().toString());
        }
        entry.checker = new ServerChecker(t, entry.loop, channelClass, entry.checkMeters, new Publisher(entry));
        entry.checker.start();
    }

    private void stopChecks(Entry entry) {
        if (entry.checker != null) {
            entry.checker.stop();
            entry.checker = null;
        }
        if (entry.checkMeters != null) {
            entry.checkMeters.remove();
            entry.checkMeters = null;
        }
    }

    /** Nobody checks {@code t} any more: back to unknown (counted as up), after its checker's last task. */
    private void forget(Entry entry, HealthTarget t) {
        Runnable reset = () -> {
            ActiveStatus from = t.health().status();
            if (from.state() == ActiveState.UNKNOWN) {
                return;
            }
            ActiveStatus to = new ActiveStatus(ActiveState.UNKNOWN, "active checks removed", Instant.now());
            t.health().publish(to);
            log.info("upstream '{}' server {}: active checks removed, state {} -> UNKNOWN (counts as up)",
                    t.upstream(), t.address(), from.state());
            entry.serverMeters.transition(ActiveState.UNKNOWN);
            events.changed(t, from, to);
        };
        try {
            entry.loop.execute(reset);
        } catch (RejectedExecutionException e) {
            reset.run();
        }
    }

    /** The servers with checks running now (for status and tests). */
    public synchronized int running() {
        return (int) entries.values().stream().filter(e -> e.checker != null).count();
    }

    /** Stops every check and removes the meters; call before the event loops shut down. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Entry e : entries.values()) {
            stopChecks(e);
            e.serverMeters.remove();
        }
        entries.clear();
        byUpstream = Map.of();
    }

    /** Counts a server's transitions, says when an upstream loses its last server, then tells {@link #events}. */
    private final class Publisher implements HealthEvents {

        private final Entry entry;

        Publisher(Entry entry) {
            this.entry = entry;
        }

        @Override
        public void checked(HealthTarget target, CheckResult result) {
            events.checked(target, result);
        }

        @Override
        public void changed(HealthTarget target, ActiveStatus from, ActiveStatus to) {
            entry.serverMeters.transition(to.state());
            List<ServerHealth> servers = byUpstream.getOrDefault(target.upstream(), List.of());
            long up = servers.stream().filter(s -> s.active().allowsTraffic()).count();
            if (to.state() == ActiveState.DOWN && up == 0) {
                log.error("upstream '{}' has no server up: its requests are answered 503 until one comes back",
                        target.upstream());
            } else if (from.state() == ActiveState.DOWN && up == 1) {
                log.info("upstream '{}' has a server up again: {}", target.upstream(), target.address());
            }
            events.changed(target, from, to);
        }
    }
}
