package dev.tandem.cluster.mirror.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Connections the mirror's listener refused at accept: each is counted in
 * {@code tandem_mirror_connections_refused_total{reason}}, and logged as the first from its address for its
 * reason at once, then at most once per address and reason per {@code every} with how many came since. A
 * stranger opening thousands of connections a second is something an operator must see, but not thousands of
 * lines of it. The addresses remembered are bounded, so a flood from many addresses cannot grow it without end.
 *
 * <p>Thread-safe.
 */
final class RefusedConnections {

    static final int MAX_SOURCES = 1024;

    private static final class Tally {
        long lastLine;
        long since;
    }

    private record Key(String source, HandshakeAdmission.Verdict reason) {
    }

    private final LongSupplier nanoClock;
    private final long everyNanos;
    private final Map<HandshakeAdmission.Verdict, Counter> counters = new EnumMap<>(HandshakeAdmission.Verdict.class);
    private final Map<Key, Tally> tallies = new HashMap<>();

    RefusedConnections(MeterRegistry meters, LongSupplier nanoClock, Duration every) {
        this.nanoClock = nanoClock;
        this.everyNanos = every.toNanos();
        for (HandshakeAdmission.Verdict v : HandshakeAdmission.Verdict.values()) {
            if (v != HandshakeAdmission.Verdict.ADMITTED) {
                counters.put(v, Counter.builder("tandem_mirror_connections_refused_total")
                        .description("Connections to the mirror port closed at accept, before any handshake: stranger "
                                + "(not a cluster node's address), source_limit or total_limit (too many in their handshake)")
                        .tag("reason", v.label()).register(meters));
            }
        }
    }

    /**
     * Counts one connection from {@code source} refused for {@code reason}; returns the line to log now, or
     * null when one was logged for this address and reason less than {@code every} ago.
     */
    synchronized String refused(String source, HandshakeAdmission.Verdict reason) {
        counters.get(reason).increment();
        long now = nanoClock.getAsLong();
        Key key = new Key(source, reason);
        Tally t = tallies.get(key);
        if (t == null) {
            if (tallies.size() >= MAX_SOURCES) {
                forgetQuiet(now);
                if (tallies.size() >= MAX_SOURCES) {
                    return null;
                }
            }
            t = new Tally();
            t.lastLine = now;
            tallies.put(key, t);
            return line(source, reason, 1, -1);
        }
        t.since++;
        if (now - t.lastLine < everyNanos) {
            return null;
        }
        long count = t.since;
        long seconds = TimeUnit.NANOSECONDS.toSeconds(now - t.lastLine);
        t.since = 0;
        t.lastLine = now;
        return line(source, reason, count, seconds);
    }

    private void forgetQuiet(long now) {
        for (Iterator<Tally> it = tallies.values().iterator(); it.hasNext(); ) {
            if (now - it.next().lastLine >= everyNanos) {
                it.remove();
            }
        }
    }

    private static String line(String source, HandshakeAdmission.Verdict reason, long count, long seconds) {
        String why = switch (reason) {
            case STRANGER -> "not the address of a node of cluster.nodes";
            case SOURCE_LIMIT -> "too many connections from this address in their handshake";
            case TOTAL_LIMIT -> "too many connections in their handshake";
            case ADMITTED -> throw new IllegalArgumentException("admitted");
        };
        StringBuilder b = new StringBuilder("mirror: connection from ").append(source).append(" refused (")
                .append(reason.label()).append("): ").append(why);
        if (seconds >= 0) {
            b.append("; ").append(count).append(" refused for this reason in the last ").append(seconds).append(" s");
        }
        return b.toString();
    }
}
