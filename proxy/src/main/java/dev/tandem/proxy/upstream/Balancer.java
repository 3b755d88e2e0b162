package dev.tandem.proxy.upstream;

import dev.tandem.conf.Balance;

/**
 * Chooses a server for a request. An instance belongs to one event loop (like an nginx worker's view
 * of an upstream) and is never shared, so implementations keep plain mutable state without locks.
 */
public interface Balancer {

    /**
     * @param servers    the candidates, indexed by {@link UpstreamServer#index()}
     * @param filter     which candidates are eligible for this pick
     * @param clientHash a hash of the client's address, for policies that keep a client on one server
     * @return the chosen server, or null when none is eligible
     */
    UpstreamServer pick(UpstreamServer[] servers, ServerFilter filter, long clientHash);

    static Balancer create(Balance policy, int servers) {
        return switch (policy) {
            case WEIGHTED_ROUND_ROBIN -> new SmoothWeightedRoundRobin(servers);
            case LEAST_CONNECTIONS -> new LeastConnections(servers);
            case IP_HASH -> new RendezvousHash();
        };
    }
}
