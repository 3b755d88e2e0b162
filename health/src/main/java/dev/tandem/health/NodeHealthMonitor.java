package dev.tandem.health;

import dev.tandem.conf.Defaults;
import dev.tandem.conf.NodeHealthConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's "can serve" signal: its listeners are bound, and the upstreams {@code node_health.require}
 * names have a server up, where up means what the balancer goes by: active checks do not report it down
 * (unknown and unchecked servers count as up) and passive accounting has not taken it out ({@code max_fails}
 * failures within {@code fail_timeout}, for {@code fail_timeout}). Without active checks, the passive failures
 * of live traffic are the only sign that a node's backends refuse it: a node whose every server of an upstream
 * is taken out serves errors to every client of that upstream, and should hand its VIPs to a peer that can do
 * better.
 *
 * <ul>
 * <li>{@code all-upstreams} (default): every configured upstream has a server (primary or backup) up;</li>
 * <li>{@code any-upstream}: at least one upstream has (a node without upstreams can serve);</li>
 * <li>{@code none}: bound listeners are enough;</li>
 * <li>a list of names: each of those upstreams has.</li>
 * </ul>
 *
 * <p>Re-evaluated whenever an input changes: a transition of a server (as a {@link HealthEvents} listener),
 * a new config, the listeners. Listeners of this signal are told only when the verdict or its reason changes.
 */
public final class NodeHealthMonitor implements NodeHealth, HealthEvents {

    private static final Logger log = LoggerFactory.getLogger(NodeHealthMonitor.class);
    private static final String NOT_BOUND = "listeners not bound yet";

    private record Inputs(NodeHealthConfig rule, Map<String, List<ServerHealth>> upstreams, String listenerProblem) {
    }

    private record Verdict(boolean canServe, String reason) {
    }

    private final LongSupplier nanoClock;
    private volatile Inputs inputs = new Inputs(Defaults.NODE_HEALTH, Map.of(), NOT_BOUND);
    private final AtomicReference<Verdict> verdict = new AtomicReference<>(new Verdict(false, NOT_BOUND));
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    public NodeHealthMonitor() {
        this(System::nanoTime);
    }

    /** @param nanoClock the clock of the passive penalties ({@link System#nanoTime()} on the request path) */
    public NodeHealthMonitor(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** Takes the rule and the servers of a new config. */
    public synchronized void configure(NodeHealthConfig rule, List<HealthTarget> servers) {
        Map<String, List<ServerHealth>> upstreams = new LinkedHashMap<>();
        for (HealthTarget t : servers) {
            upstreams.computeIfAbsent(t.upstream(), u -> new ArrayList<>()).add(t.health());
        }
        upstreams.replaceAll((u, list) -> List.copyOf(list));
        inputs = new Inputs(rule, upstreams, inputs.listenerProblem());
        evaluate();
    }

    /**
     * Says whether every configured listener is bound.
     *
     * @param problem why not, when {@code bound} is false (e.g. {@code stopping})
     */
    public synchronized void listeners(boolean bound, String problem) {
        inputs = new Inputs(inputs.rule(), inputs.upstreams(), bound ? null : Objects.requireNonNull(problem));
        evaluate();
    }

    @Override
    public void changed(HealthTarget target, ActiveStatus from, ActiveStatus to) {
        if (from.state().allowsTraffic() != to.state().allowsTraffic()) {
            evaluate();
        }
    }

    /**
     * Looks again at the servers' passive penalties, which start on the request path and end with time, neither
     * of them an event: the owner calls this every fraction of a second. Quick and lock-free.
     */
    public void refresh() {
        evaluate();
    }

    @Override
    public boolean canServe() {
        return verdict.get().canServe();
    }

    @Override
    public String reason() {
        return verdict.get().reason();
    }

    @Override
    public void addListener(Runnable onChange) {
        listeners.add(Objects.requireNonNull(onChange));
    }

    /**
     * Recomputes the verdict and tells the listeners when it changed. Lock-free, as transitions call it from
     * the event loops. Every input is volatile and is written before its writer evaluates, and a caller
     * recomputes until the verdict in place matches what it computes from the inputs it sees after its last
     * publication; so a verdict computed from inputs that were overtaken never stays in place.
     */
    private void evaluate() {
        while (true) {
            Verdict previous = verdict.get();
            Verdict next = compute(inputs, nanoClock.getAsLong());
            if (next.equals(previous)) {
                return;
            }
            if (verdict.compareAndSet(previous, next)) {
                if (next.canServe()) {
                    log.info("node can serve");
                } else if (STOPPING.equals(next.reason())) {
                    log.info("node stops serving: {}", next.reason());
                } else {
                    log.warn("node cannot serve: {}", next.reason());
                }
                for (Runnable l : listeners) {
                    try {
                        l.run();
                    } catch (RuntimeException e) {
                        log.error("node health listener failed", e);
                    }
                }
            }
        }
    }

    private static Verdict compute(Inputs in, long now) {
        if (in.listenerProblem() != null) {
            return new Verdict(false, in.listenerProblem());
        }
        List<String> names = switch (in.rule().require()) {
            case NONE -> List.of();
            case LISTED -> in.rule().upstreams();
            case ALL_UPSTREAMS, ANY_UPSTREAM -> List.copyOf(in.upstreams().keySet());
        };
        List<String> without = new ArrayList<>();
        boolean passive = false;
        for (String name : names) {
            List<ServerHealth> servers = in.upstreams().getOrDefault(name, List.of());
            if (servers.stream().noneMatch(s -> s.allowsTraffic(now))) {
                without.add(name);
                passive |= servers.stream().anyMatch(s -> s.passive().isDown(now));
            }
        }
        if (without.isEmpty() || (in.rule().require() == NodeHealthConfig.Require.ANY_UPSTREAM && without.size() < names.size())) {
            return new Verdict(true, "");
        }
        String quoted = "'" + String.join("', '", without) + "'";
        String why = passive ? " (taken out by passive failures: max_fails within fail_timeout)" : "";
        if (in.rule().require() == NodeHealthConfig.Require.ANY_UPSTREAM) {
            return new Verdict(false, "no upstream has a server up (" + quoted + ")" + why);
        }
        return new Verdict(false, (without.size() == 1 ? "upstream " + quoted + " has" : "upstreams " + quoted + " have")
                + " no server up" + why);
    }
}
