package dev.tandem.proxy.upstream;

import dev.tandem.conf.Balance;
import dev.tandem.conf.UpstreamConfig;
import dev.tandem.proxy.log.RateLimitedLog;
import java.util.List;

/**
 * An upstream as one config snapshot defines it: its servers split into primaries and backups, and one
 * pair of balancers per event loop so that balancing never takes a lock.
 */
public final class UpstreamGroup {

    private final UpstreamConfig config;
    private final UpstreamServer[] primaries;
    private final UpstreamServer[] backups;
    private final Balancer[] primaryBalancers;
    private final Balancer[] backupBalancers;
    private final RateLimitedLog<String> lines = new RateLimitedLog<>(ServerState.LOG_EVERY);

    public UpstreamGroup(UpstreamConfig config, List<UpstreamServer> primaries, List<UpstreamServer> backups, int loops) {
        this.config = config;
        this.primaries = primaries.toArray(UpstreamServer[]::new);
        this.backups = backups.toArray(UpstreamServer[]::new);
        this.primaryBalancers = new Balancer[loops];
        this.backupBalancers = new Balancer[loops];
        for (int i = 0; i < loops; i++) {
            primaryBalancers[i] = Balancer.create(config.balance(), this.primaries.length);
            backupBalancers[i] = Balancer.create(config.balance(), this.backups.length);
        }
    }

    public String name() {
        return config.name();
    }

    public UpstreamConfig config() {
        return config;
    }

    /** Counts one event of {@code reason} for the log: see {@link ServerState#logLine}. */
    public long logLine(String reason, long nanoTime) {
        return lines.record(reason, nanoTime);
    }

    public List<UpstreamServer> primaries() {
        return List.of(primaries);
    }

    public List<UpstreamServer> backups() {
        return List.of(backups);
    }

    /**
     * Chooses the server for the next attempt of a request and records it in {@code attempts}: a primary
     * not tried yet with a connection slot free, else one not tried yet (the request will wait for its slot), else
     * a backup not tried yet, else any server but the one that just failed, else that one again, unless it refused
     * the connection (see {@link Attempts#lastRefused}). When active checks leave servers up but passive
     * accounting took every one of them out, a first attempt goes to one as its probe when that is due, and
     * otherwise to none: as nginx's "no live upstreams", the client is answered at once rather than at the cost
     * of a connection that will most likely fail, while the trickle of probes finds a server that came back (see
     * {@link dev.tandem.health.PassiveFailures#tryProbe}). A retry goes to such a server anyway (again avoiding
     * the one that just failed while another is left): passive accounting is a heuristic, and a request that is
     * safe to send again keeps its retries. Either is sent as a probe: its success ends the server's penalty.
     *
     * @param loop the index of the calling event loop
     * @return the server, or null when no server is up or none may be probed now
     */
    public UpstreamServer select(int loop, long clientHash, Attempts attempts, long nanoTime) {
        for (Attempts.Pass pass : Attempts.PASSES) {
            if ((pass == Attempts.Pass.NOT_LAST || pass == Attempts.Pass.ANY
                    || pass == Attempts.Pass.IGNORING_PASSIVE_NOT_LAST) && attempts.count() == 0) {
                // Without attempts these passes see no more than the one before.
                continue;
            }
            if (pass == Attempts.Pass.FRESH_WITH_ROOM && config.balance() == Balance.IP_HASH) {
                // A client keeps its server when that is busy: it waits for it rather than move.
                continue;
            }
            attempts.prepare(pass, nanoTime);
            UpstreamServer s = primaryBalancers[loop].pick(primaries, attempts, clientHash);
            // A full primary is still preferred to a backup: backups stand in for servers that are down, not busy.
            if (s == null && backups.length > 0 && pass != Attempts.Pass.FRESH_WITH_ROOM) {
                s = backupBalancers[loop].pick(backups, attempts, clientHash);
            }
            if (s != null) {
                boolean probe = attempts.ignoringPassive() && !s.available(nanoTime);
                if (probe && attempts.count() == 0 && !s.state().health().passive().tryProbe(nanoTime)) {
                    // Another event loop took the probe that was due: this request is answered without one.
                    return null;
                }
                attempts.add(s);
                if (probe) {
                    attempts.lastIsProbe();
                }
                return s;
            }
        }
        return null;
    }

    /**
     * True when a retry of the request with {@code attempts} could go anywhere: some server is up by active checks
     * (the widest pass of {@link #select} for a retry) and is not the one that just refused it. Looked up before a
     * retry waits out its backoff, so that a request whose only server refused is answered at once.
     */
    public boolean mayRetry(Attempts attempts) {
        for (UpstreamServer s : primaries) {
            if (s.availableIgnoringPassive() && attempts.mayRetryOn(s)) {
                return true;
            }
        }
        for (UpstreamServer s : backups) {
            if (s.availableIgnoringPassive() && attempts.mayRetryOn(s)) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when some server is up by active checks and neither drained nor weighted 0, though passive accounting
     * may have taken it out: when {@link #select} finds nothing for a first attempt, this tells "no live server"
     * (every one serving a passive penalty, no probe due: 502) from "no server" (503).
     */
    public boolean anyUpIgnoringPassive() {
        for (UpstreamServer s : primaries) {
            if (s.availableIgnoringPassive()) {
                return true;
            }
        }
        for (UpstreamServer s : backups) {
            if (s.availableIgnoringPassive()) {
                return true;
            }
        }
        return false;
    }

    /** True when at least one server may take traffic now (for the node's health signal and status). */
    public boolean anyAvailable(long nanoTime) {
        for (UpstreamServer s : primaries) {
            if (s.available(nanoTime)) {
                return true;
            }
        }
        for (UpstreamServer s : backups) {
            if (s.available(nanoTime)) {
                return true;
            }
        }
        return false;
    }
}
