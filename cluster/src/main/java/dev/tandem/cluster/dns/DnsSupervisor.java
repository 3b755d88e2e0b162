package dev.tandem.cluster.dns;

import dev.tandem.cluster.wire.Advert;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.DnsConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thin driver of DNS failover. On the cluster's loop (every method but {@link #start} and {@link #close}):
 * it makes this node's heartbeat (which also says whom it hears), takes the peers' heartbeats, and on each
 * {@link #tick} feeds one {@link DnsElection} per record and carries out what it decides. The server is talked
 * to on a thread of its own ({@link DnsUpdater}): each record is read back every {@link #READ_EVERY}, and a change
 * is sent, read back, and retried with backoff ({@link #RETRY_FIRST} doubling to {@link #RETRY_MAX}) until the
 * record shows it or the decision changes. One change per record is in flight at a time.
 *
 * <p>Every change is logged, counted ({@code tandem_dns_updates_total{record,result}}), shown in
 * {@link #status()} and passed to the notify hook as {@code DNS RECORD STATE} (STATE: {@code MASTER} when this
 * node wrote itself in, {@code BACKUP} when it took itself out, {@code UPDATED} for a peer removed).
 *
 * <p>Only values Tandem added are removed: {@link DnsClaims} knows which, from this node's ledger and the claims
 * in its peers' heartbeats.
 */
public final class DnsSupervisor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DnsSupervisor.class);

    /** The "VIP" of a heartbeat advert: the prefix, then the nodes the sender hears, comma-separated. */
    public static final String HEARTBEAT = "@node:";
    static final Duration READ_EVERY = Duration.ofSeconds(1);
    static final Duration RETRY_FIRST = Duration.ofMillis(200);
    static final Duration RETRY_MAX = Duration.ofSeconds(10);

    /** The probe witnesses' last round. */
    public interface Probes {
        /** How many answered. */
        int answered();

        /** When the round began, on the supervisor's clock. */
        long roundStartedAt();
    }

    /** A notify call; null when no hook is configured. */
    public interface Notify {
        void dns(String record, String state, String reason);
    }

    /**
     * One record as this node sees it, for the status.
     *
     * @param published the nodes whose address the record holds (its holders), as last read back
     * @param addresses every address the server holds for it, as last read back, foreign ones too
     * @param failures  failed updates in a row (0 once one succeeds)
     * @param retryAt   when a failed update is decided again; null when none is waiting
     */
    public record RecordStatus(String name, String mode, long ttlSeconds, List<String> published,
                               List<String> addresses, long serial, String lastChange, Instant lastChangeAt,
                               String lastError, boolean updating, int failures, Instant retryAt) {
        public RecordStatus {
            published = List.copyOf(published);
            addresses = List.copyOf(addresses);
        }
    }

    private final String self;
    private final DnsConfig config;
    private final Set<String> otherNodes;
    private final Map<String, InetAddress> addresses;
    private final Map<InetAddress, String> byAddress = new HashMap<>();
    private final DnsUpdater updater;
    private final DnsClaims claims;
    private final Executor loop;
    private final Probes probesReached;
    private final int probes;
    private final Notify notify;
    private final long lostAfterNanos;
    private final ScheduledExecutorService io;
    private final MeterRegistry meters;
    private final LongSupplier nanoClock;

    private final Map<String, DnsElection> elections = new LinkedHashMap<>();
    private final Map<String, Long> heardAt = new HashMap<>();
    private final Map<String, Set<String>> heardBy = new HashMap<>();
    private final Map<String, State> states = new LinkedHashMap<>();
    private volatile List<RecordStatus> status = List.of();
    private volatile boolean witnessMajority;

    /** Per record, on the loop. */
    private static final class State {
        long serial = -1;
        List<String> addresses = List.of();
        boolean inFlight;
        String lastChange = "";
        Instant lastChangeAt;
        String lastError = "";
        /** After a failed update: not before this (nanos), and the wait after the next failure. */
        boolean waiting;
        long retryAt;
        Instant retryAtWall;
        int failures;
        Duration backoff = RETRY_FIRST;
    }

    /**
     * @param addresses every node's dialled address, resolved: what its A/AAAA record holds
     * @param loop      runs a task on the cluster's loop
     */
    public DnsSupervisor(ClusterConfig cluster, String self, Map<String, InetAddress> addresses, DnsUpdater updater,
                         DnsLedger ledger, Executor loop, Probes probesReached, Notify notify, MeterRegistry meters,
                         LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.self = self;
        this.config = cluster.dns().orElseThrow();
        this.otherNodes = new LinkedHashSet<>(cluster.nodes().keySet());
        otherNodes.remove(self);
        this.addresses = Map.copyOf(addresses);
        addresses.forEach((n, a) -> byAddress.put(a, n));
        this.updater = updater;
        this.loop = loop;
        this.probesReached = probesReached;
        this.probes = cluster.witnesses().size();
        this.notify = notify;
        this.meters = meters;
        Duration lostAfter = cluster.advertInterval().multipliedBy(3);
        this.lostAfterNanos = lostAfter.toNanos();
        for (DnsConfig.Record r : config.records()) {
            elections.put(r.name(), new DnsElection(self, r, config.holdDown(), lostAfter));
            states.put(r.name(), new State());
            Gauge.builder("tandem_dns_record_holds_this_node", () -> status.stream()
                            .filter(s -> s.name().equals(r.name())).anyMatch(s -> s.published().contains(self)) ? 1 : 0)
                    .description("1 while the record holds this node's address").tag("record", r.name()).register(meters);
        }
        Gauge.builder("tandem_dns_witness_majority", () -> witnessMajority ? 1 : 0)
                .description("1 while this node reaches a majority of its DNS witnesses").register(meters);
        this.io = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tandem-dns");
            t.setDaemon(true);
            return t;
        });
        this.claims = new DnsClaims(self, this.addresses, config.records().stream().map(DnsConfig.Record::name).toList(),
                ledger, loop, io);
    }

    /** Starts reading the records back; the first read lets the elections decide. */
    public void start() {
        io.scheduleWithFixedDelay(this::readAll, 0, READ_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void readAll() {
        for (DnsConfig.Record r : config.records()) {
            try {
                DnsUpdater.Readback back = updater.read(r.name());
                claims.readBack(r.name(), back.addresses());
                loop.execute(() -> readBack(r.name(), back, null));
            } catch (IOException | RuntimeException e) {
                loop.execute(() -> readBack(r.name(), null, e.toString()));
            }
        }
    }

    private void readBack(String record, DnsUpdater.Readback back, String error) {
        State s = states.get(record);
        if (back == null) {
            if (!s.lastError.equals("read: " + error)) {
                log.warn("dns: {}: cannot read it back from the server: {}", record, error);
            }
            s.lastError = "read: " + error;
            publishStatus();
            return;
        }
        if (s.lastError.startsWith("read: ")) {
            log.info("dns: {}: read back again", record);
            s.lastError = "";
        }
        if (!s.inFlight) {
            // A read started before a change of ours could land after it: the change's own read-back counts.
            elections.get(record).published(nodesIn(back));
        }
        s.serial = back.serial();
        s.addresses = texts(back);
        publishStatus();
    }

    private static List<String> texts(DnsUpdater.Readback back) {
        List<String> out = new ArrayList<>();
        back.addresses().forEach(a -> out.add(a.getHostAddress()));
        return out;
    }

    private Set<String> nodesIn(DnsUpdater.Readback back) {
        Set<String> nodes = new LinkedHashSet<>();
        for (InetAddress a : back.addresses()) {
            String n = byAddress.get(a);
            if (n != null) {
                nodes.add(n);
            }
        }
        return nodes;
    }

    /** This node's heartbeat "VIP": whom it hears now. */
    public String heartbeatName(long now) {
        List<String> heard = new ArrayList<>();
        for (String n : otherNodes) {
            if (hears(n, now)) {
                heard.add(n);
            }
        }
        return claims.withClaims(HEARTBEAT + String.join(",", heard), heard.isEmpty());
    }

    private boolean hears(String node, long now) {
        Long at = heardAt.get(node);
        return at != null && now - at < lostAfterNanos;
    }

    /** A peer's heartbeat, authenticated and replay-checked by the advert receiver. */
    public void heartbeat(Advert a, long now) {
        String list = a.vip().substring(HEARTBEAT.length());
        heardAt.put(a.node(), now);
        Set<String> hears = new LinkedHashSet<>();
        for (String item : list.isEmpty() ? new String[0] : list.split(",")) {
            if (DnsClaims.isClaim(item)) {
                claims.claimed(a.node(), item);
            } else {
                hears.add(item);
            }
        }
        heardBy.put(a.node(), Set.copyOf(hears));
        boolean healthy = !a.has(Advert.FAULT);
        elections.values().forEach(e -> e.heard(a.node(), healthy, now));
    }

    /** Feeds the elections and carries out their decisions. */
    public void tick(long now, boolean healthy) {
        int othersHeard = 0;
        Map<String, Set<String>> fresh = new HashMap<>();
        for (String n : otherNodes) {
            if (hears(n, now)) {
                othersHeard++;
                fresh.put(n, heardBy.getOrDefault(n, Set.of()));
            }
        }
        int reached = probesReached.answered();
        long round = probesReached.roundStartedAt();
        boolean majority = WitnessTally.majorityReached(othersHeard, otherNodes.size(), reached, probes);
        if (majority != witnessMajority) {
            log.info(majority ? "dns: witnesses reached ({} of {} nodes, {} of {} probes): records may move"
                    : "dns: no witness majority ({} of {} nodes, {} of {} probes): no record moves from here",
                    othersHeard, otherNodes.size(), reached, probes);
        }
        witnessMajority = majority;
        for (DnsElection e : elections.values()) {
            e.added(claims.addedNodes(e.record().name()));
            e.health(healthy, now);
            e.witnessMajority(majority, now);
            for (String n : otherNodes) {
                // A probe round that began before n's silence was noticed says nothing of n's loss (the uplink
                // may have gone with it): such answers do not confirm.
                int news = WitnessTally.probeNews(reached, round, heardAt.get(n), lostAfterNanos);
                e.confirmedUnreachable(n, !hears(n, now)
                        && WitnessTally.confirmsUnreachable(n, otherNodes, fresh, news, probes));
            }
            State s = states.get(e.record().name());
            if (!s.inFlight && (!s.waiting || now - s.retryAt >= 0)) {
                // A failed update's wait is over: decided afresh (the change wanted may no longer be).
                s.waiting = false;
                e.decide(now).ifPresent(c -> send(e, s, c));
            }
        }
        publishStatus();
    }

    private void send(DnsElection e, State s, DnsElection.Change c) {
        s.inFlight = true;
        DnsConfig.Record r = e.record();
        Set<InetAddress> add = resolve(c.add());
        Set<InetAddress> remove = resolve(c.remove());
        log.info("dns: {}: adding {} removing {} ({})", r.name(), c.add(), c.remove(), c.reason());
        io.execute(() -> {
            try {
                Set<InetAddress> tandems = new LinkedHashSet<>(remove);
                tandems.removeIf(a -> !claims.ledger().contains(r.name(), a));
                // Claimed in heartbeats from the moment the ledger holds it: the value may be at the server before
                // the answer is here.
                DnsUpdater.Applied done = updater.apply(r.name(), r.ttl(), add, tandems, claims.ledger(),
                        claims::publish);
                claims.publish();
                loop.execute(() -> applied(e, s, c, done.back()));
            } catch (IOException | RuntimeException ex) {
                claims.publish();
                loop.execute(() -> failed(e, s, ex.toString()));
            }
        });
    }

    private Set<InetAddress> resolve(Set<String> nodes) {
        Set<InetAddress> out = new LinkedHashSet<>();
        nodes.forEach(n -> out.add(addresses.get(n)));
        return out;
    }

    private void applied(DnsElection e, State s, DnsElection.Change c, DnsUpdater.Readback back) {
        s.inFlight = false;
        e.published(nodesIn(back));
        s.serial = back.serial();
        s.addresses = texts(back);
        s.lastChange = "added " + c.add() + ", removed " + c.remove() + ": " + c.reason();
        s.lastChangeAt = Instant.now();
        s.lastError = "";
        s.waiting = false;
        s.retryAtWall = null;
        s.failures = 0;
        s.backoff = RETRY_FIRST;
        String record = e.record().name();
        Counter.builder("tandem_dns_updates_total").description("DNS updates sent by this node")
                .tag("record", record).tag("result", "ok").register(meters).increment();
        log.info("dns: {}: now {} (serial {}), {}", record, nodesIn(back), back.serial(), c.reason());
        if (notify != null) {
            String state = c.add().contains(self) ? "MASTER" : c.remove().contains(self) ? "BACKUP" : "UPDATED";
            notify.dns(record, state, c.reason());
        }
        publishStatus();
    }

    /** Decided again after the backoff (by {@link #tick}): what was wanted may no longer be. */
    private void failed(DnsElection e, State s, String error) {
        String record = e.record().name();
        s.inFlight = false;
        s.lastError = error;
        s.waiting = true;
        s.retryAt = nanoClock.getAsLong() + s.backoff.toNanos();
        s.retryAtWall = Instant.now().plus(s.backoff);
        s.failures++;
        Counter.builder("tandem_dns_updates_total").description("DNS updates sent by this node")
                .tag("record", record).tag("result", "failed").register(meters).increment();
        log.warn("dns: {}: update failed ({}), again in {} ms", record, error, s.backoff.toMillis());
        Duration doubled = s.backoff.multipliedBy(2);
        s.backoff = doubled.compareTo(RETRY_MAX) > 0 ? RETRY_MAX : doubled;
        publishStatus();
    }

    private void publishStatus() {
        List<RecordStatus> out = new ArrayList<>();
        for (DnsElection e : elections.values()) {
            State s = states.get(e.record().name());
            List<String> pub = e.published().map(List::copyOf).orElse(List.of());
            out.add(new RecordStatus(e.record().name(), e.record().mode().name().toLowerCase(java.util.Locale.ROOT),
                    e.record().ttl().toSeconds(), pub, s.addresses, s.serial, s.lastChange, s.lastChangeAt,
                    s.lastError, s.inFlight, s.failures, s.waiting ? s.retryAtWall : null));
        }
        status = List.copyOf(out);
    }

    /** As of the last event; any thread. */
    public List<RecordStatus> status() {
        return status;
    }

    public boolean witnessMajority() {
        return witnessMajority;
    }

    @Override
    public void close() {
        io.shutdownNow();
    }
}
