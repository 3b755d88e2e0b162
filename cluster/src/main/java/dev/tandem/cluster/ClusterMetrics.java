package dev.tandem.cluster;

import dev.tandem.cluster.election.Reason;
import dev.tandem.cluster.election.VipState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/** The cluster's meters (README, "Floating VIPs", Metrics): registered once, updated from the cluster loop. */
final class ClusterMetrics {

    private final MeterRegistry meters;
    private final Counter sent;

    /** (Received and rejected adverts are counted where they are checked: the advert receiver.) */
    ClusterMetrics(MeterRegistry meters) {
        this.meters = meters;
        this.sent = Counter.builder("tandem_cluster_adverts_total").description("Cluster adverts")
                .tag("direction", "sent").tag("reason", "none").register(meters);
    }

    /** The node's own gauges, read at each scrape from state written on the cluster loop. */
    void node(BooleanSupplier maintenance, BooleanSupplier witnessesReached, BooleanSupplier healthy) {
        Gauge.builder("tandem_cluster_maintenance", maintenance, s -> s.getAsBoolean() ? 1 : 0)
                .description("1 while this node is in maintenance (handed over, out of elections)").register(meters);
        Gauge.builder("tandem_cluster_witnesses_reached", witnessesReached, s -> s.getAsBoolean() ? 1 : 0)
                .description("1 while this node reaches a witness (or has none); 0 while cut off or not known yet")
                .register(meters);
        Gauge.builder("tandem_cluster_healthy", healthy, s -> s.getAsBoolean() ? 1 : 0)
                .description("1 while this node's health lets it hold VIPs at its configured priority").register(meters);
    }

    void sent() {
        sent.increment();
    }

    /** The gauges of one VIP. */
    VipGauges vip(String vip, int priority) {
        VipGauges g = new VipGauges();
        Gauge.builder("tandem_vip_state", g.state, AtomicInteger::get)
                .description("State of the VIP on this node: 0 init, 1 backup, 2 master")
                .tag("vip", vip).register(meters);
        Gauge.builder("tandem_vip_priority", g.priority, AtomicInteger::get)
                .description("Priority this node runs with for the VIP (0: not a candidate)")
                .tag("vip", vip).register(meters);
        g.priority.set(priority);
        return g;
    }

    void transition(String vip, VipState from, VipState to, Reason reason) {
        meters.counter("tandem_vip_transitions_total", "vip", vip, "to", to.name().toLowerCase(Locale.ROOT),
                "reason", reason.label()).increment();
        if (to == VipState.MASTER || from == VipState.MASTER) {
            meters.counter("tandem_cluster_elections_total", "vip", vip,
                    "result", to == VipState.MASTER ? "won" : "lost").increment();
        }
    }

    MeterRegistry registry() {
        return meters;
    }

    /** {@code tandem_vip_state} and {@code tandem_vip_priority} of one VIP. */
    static final class VipGauges {
        private final AtomicInteger state = new AtomicInteger();
        private final AtomicInteger priority = new AtomicInteger();

        void state(VipState s) {
            state.set(s.code());
        }

        void priority(int p) {
            priority.set(p);
        }
    }
}
