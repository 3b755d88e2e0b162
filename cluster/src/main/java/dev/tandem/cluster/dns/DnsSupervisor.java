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
import java.util.Optional;
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
 * is sent with the read it was decided on as its prerequisite, read back, and retried with backoff
 * ({@link DnsRetry}) until the record shows it or the decision changes. An update refused because the record
 * changed since that read (another node decided on the same read and wrote first) is decided again at once on a
 * fresh read. One change per record is in flight at a time.
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
    /** The tick's period, the advert interval: a tick much later than that means this node stalled. */
    private final long tickNanos;
    private final ScheduledExecutorService io;
    private final MeterRegistry meters;
    private final LongSupplier nanoClock;
    private final Duration readEvery;

    private final Map<String, DnsElection> elections = new LinkedHashMap<>();
    private final Map<String, Long> heardAt = new HashMap<>();
    private final Map<String, Set<String>> heardBy = new HashMap<>();
    /** Each peer's last heartbeat's epoch and sequence: how many of its adverts a silence swallowed. */
    private final Map<String, long[]> lastSequence = new HashMap<>();
    /** The peers this node has stopped hearing (said once in the log each time). */
    private final Set<String> silent = new LinkedHashSet<>();
    /** The last tick's time; null before the first. */
    private Long lastTickAt;
    /** The end of this node's last stall (or its first tick): what it says it hears is vouched from here. */
    private long listeningSince;
    private final Map<String, State> states = new LinkedHashMap<>();
    private volatile List<RecordStatus> status = List.of();
    private volatile boolean witnessMajority;

    /** Per record, on the loop. */
    private static final class State {
        long serial = -1;
        List<String> addresses = List.of();
        /** The read the election's view of the record comes from: an update's prerequisite. */
        DnsUpdater.Readback basis;
        boolean inFlight;
        String lastChange = "";
        Instant lastChangeAt;
        String lastError = "";
        final DnsRetry retry = new DnsRetry();
        /** When a failed update is decided again, for the status. */
        Instant retryAtWall;
    }

    /**
     * @param addresses every node's dialled address, resolved: what its A/AAAA record holds
     * @param loop      runs a task on the cluster's loop
     */
    public DnsSupervisor(ClusterConfig cluster, String self, Map<String, InetAddress> addresses, DnsUpdater updater,
                         DnsLedger ledger, Executor loop, Probes probesReached, Notify notify, MeterRegistry meters,
                         LongSupplier nanoClock) {
        this(cluster, self, addresses, updater, ledger, loop, probesReached, notify, meters, nanoClock, READ_EVERY);
    }

    /** @param readEvery how often each record is read back */
    DnsSupervisor(ClusterConfig cluster, String self, Map<String, InetAddress> addresses, DnsUpdater updater,
                  DnsLedger ledger, Executor loop, Probes probesReached, Notify notify, MeterRegistry meters,
                  LongSupplier nanoClock, Duration readEvery) {
        this.nanoClock = nanoClock;
        this.readEvery = readEvery;
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
        this.tickNanos = cluster.advertInterval().toNanos();
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
        io.scheduleWithFixedDelay(this::readAll, 0, readEvery.toMillis(), TimeUnit.MILLISECONDS);
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
            s.basis = back;
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

    /** This node's heartbeat "VIP": whom it hears now. Made just before each {@link #tick}, on the same time. */
    public String heartbeatName(long now) {
        clock(now);
        List<String> heard = new ArrayList<>();
        for (String n : otherNodes) {
            // As a witness for the others: a peer whose heartbeats this node may only have missed by stalling
            // itself is still heard.
            if (WitnessTally.vouches(heardAt.get(n), listeningSince, now, lostAfterNanos)) {
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
        Long before = heardAt.put(a.node(), now);
        long[] last = lastSequence.put(a.node(), new long[]{a.epoch(), a.sequence()});
        if (before != null && now - before >= lostAfterNanos) {
            // What the silence was: adverts sent and lost on the way (a gap in the sequence), or none sent
            // (the peer stalled) or all held up on the way (no gap).
            log.info("dns: {} heard again after {} ms without its heartbeat{}", a.node(),
                    TimeUnit.NANOSECONDS.toMillis(now - before), last != null && last[0] == a.epoch()
                            ? " (" + (a.sequence() - last[1] - 1) + " of its adverts in between never arrived)" : "");
        }
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

    /**
     * Notes the time of a tick (the heartbeat, then the decisions, on the same time). One more than an advert
     * interval late means this node's loop (or process) stalled: heartbeats that came meanwhile may still be
     * unread, and a peer's silence up to now is this node's own. Counted from here, by the elections and by what
     * this node says it hears.
     */
    private void clock(long now) {
        if (lastTickAt == null) {
            listeningSince = now;
        } else if (now - lastTickAt > 2 * tickNanos) {
            log.info("dns: this node stalled ({} ms late): its peers' silence counts from now",
                    TimeUnit.NANOSECONDS.toMillis(now - lastTickAt - tickNanos));
            elections.values().forEach(e -> e.deafUntil(now));
            listeningSince = now;
        }
        lastTickAt = now;
    }

    /** Feeds the elections and carries out their decisions. */
    public void tick(long now, boolean healthy) {
        clock(now);
        int othersHeard = 0;
        Map<String, Set<String>> fresh = new HashMap<>();
        for (String n : otherNodes) {
            if (hears(n, now)) {
                othersHeard++;
                fresh.put(n, heardBy.getOrDefault(n, Set.of()));
                silent.remove(n);
            } else if (heardAt.containsKey(n) && silent.add(n)) {
                log.info("dns: {} not heard for {} ms", n, TimeUnit.NANOSECONDS.toMillis(now - heardAt.get(n)));
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
            if (!s.inFlight && s.retry.mayDecide(now)) {
                // A failed update's wait is over: decided afresh (the change wanted may no longer be).
                decide(e, s, now);
            }
        }
        publishStatus();
    }

    private void decide(DnsElection e, State s, long now) {
        s.retryAtWall = null;
        Optional<DnsElection.Change> c = e.decide(now);
        if (c.isPresent()) {
            send(e, s, c.get());
        } else {
            s.retry.settled();
        }
    }

    private void send(DnsElection e, State s, DnsElection.Change c) {
        s.inFlight = true;
        // The read the election decided on: the server applies the change only if the record is still as read.
        DnsUpdater.Readback basis = s.basis;
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
                DnsUpdater.Applied done = updater.apply(r.name(), r.ttl(), basis, add, tandems, claims.ledger(),
                        claims::publish);
                claims.publish();
                loop.execute(() -> applied(e, s, c, done.back()));
            } catch (DnsUpdater.RecordChanged ex) {
                claims.publish();
                reread(e, s, ex.getMessage());
            } catch (IOException | RuntimeException ex) {
                claims.publish();
                loop.execute(() -> failed(e, s, ex.toString()));
            }
        });
    }

    /** On the DNS thread: the record changed under the update; read it, then decide again on what it is now. */
    private void reread(DnsElection e, State s, String refusal) {
        String record = e.record().name();
        DnsUpdater.Readback back;
        try {
            back = updater.read(record);
        } catch (IOException | RuntimeException ex) {
            loop.execute(() -> failed(e, s, refusal + "; read again: " + ex));
            return;
        }
        claims.readBack(record, back.addresses());
        loop.execute(() -> changed(e, s, refusal, back));
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
        s.basis = back;
        s.lastError = "";
        s.retry.succeeded();
        s.retryAtWall = null;
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

    /**
     * The server refused the update: the record is no longer as the election read it, and {@code back} is what it
     * is now. Not a failure: decided again at once on {@code back} (the other node now holding the record, most
     * often), unless the record keeps changing under every decision ({@link DnsRetry}).
     */
    private void changed(DnsElection e, State s, String refusal, DnsUpdater.Readback back) {
        String record = e.record().name();
        s.inFlight = false;
        e.published(nodesIn(back));
        s.basis = back;
        s.serial = back.serial();
        s.addresses = texts(back);
        long now = nanoClock.getAsLong();
        Duration wait = s.retry.changed(now);
        if (wait.isZero()) {
            Counter.builder("tandem_dns_updates_total").description("DNS updates sent by this node")
                    .tag("record", record).tag("result", "changed").register(meters).increment();
            log.info("dns: {}: the record changed since it was read (now {}, serial {}): deciding again", record,
                    nodesIn(back), back.serial());
            decide(e, s, now);
            publishStatus();
        } else {
            failed(e, s, refusal + ", " + (DnsRetry.CHANGED_AT_ONCE + 1) + " times in a row", wait);
        }
    }

    /** Decided again after the backoff (by {@link #tick}): what was wanted may no longer be. */
    private void failed(DnsElection e, State s, String error) {
        failed(e, s, error, s.retry.failed(nanoClock.getAsLong()));
    }

    private void failed(DnsElection e, State s, String error, Duration wait) {
        String record = e.record().name();
        s.inFlight = false;
        s.lastError = error;
        s.retryAtWall = Instant.now().plus(wait);
        Counter.builder("tandem_dns_updates_total").description("DNS updates sent by this node")
                .tag("record", record).tag("result", "failed").register(meters).increment();
        log.warn("dns: {}: update failed ({}), again in {} ms", record, error, wait.toMillis());
        publishStatus();
    }

    private void publishStatus() {
        List<RecordStatus> out = new ArrayList<>();
        for (DnsElection e : elections.values()) {
            State s = states.get(e.record().name());
            List<String> pub = e.published().map(List::copyOf).orElse(List.of());
            out.add(new RecordStatus(e.record().name(), e.record().mode().name().toLowerCase(java.util.Locale.ROOT),
                    e.record().ttl().toSeconds(), pub, s.addresses, s.serial, s.lastChange, s.lastChangeAt,
                    s.lastError, s.inFlight, s.retry.failures(), s.retry.waiting() ? s.retryAtWall : null));
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
