package dev.tandem.proxy.upstream;

/**
 * The eligible server with the fewest requests in flight relative to its weight; servers that tie are
 * taken in smooth weighted round-robin order so an idle pool still spreads by weight. In-flight counts
 * are shared by all event loops.
 */
public final class LeastConnections implements Balancer {

    private final SmoothWeightedRoundRobin tieBreaker;

    public LeastConnections(int servers) {
        this.tieBreaker = new SmoothWeightedRoundRobin(servers);
    }

    @Override
    public UpstreamServer pick(UpstreamServer[] servers, ServerFilter filter, long clientHash) {
        UpstreamServer least = null;
        int ties = 0;
        for (UpstreamServer s : servers) {
            if (!filter.test(s)) {
                continue;
            }
            if (least == null) {
                least = s;
                ties = 1;
                continue;
            }
            // a.inFlight / a.weight < b.inFlight / b.weight, without division
            long lhs = (long) s.state().inFlight() * least.weight();
            long rhs = (long) least.state().inFlight() * s.weight();
            if (lhs < rhs) {
                least = s;
                ties = 1;
            } else if (lhs == rhs) {
                ties++;
            }
        }
        if (ties <= 1) {
            return least;
        }
        UpstreamServer reference = least;
        return tieBreaker.pick(servers, s -> filter.test(s) && sameLoad(s, reference), clientHash);
    }

    private static boolean sameLoad(UpstreamServer a, UpstreamServer b) {
        return (long) a.state().inFlight() * b.weight() == (long) b.state().inFlight() * a.weight();
    }
}
