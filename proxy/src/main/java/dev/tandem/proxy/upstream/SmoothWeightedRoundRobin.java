package dev.tandem.proxy.upstream;

/**
 * nginx's smooth weighted round-robin: every pick adds each eligible server's weight to its running
 * score, takes the highest score and subtracts the total weight from it. Weights 5:1:1 give
 * a,a,b,a,c,a,a rather than a burst of five a's, and the sequence adapts at once when a server
 * becomes ineligible or its weight changes.
 */
public final class SmoothWeightedRoundRobin implements Balancer {

    private final int[] current;

    public SmoothWeightedRoundRobin(int servers) {
        this.current = new int[servers];
    }

    @Override
    public UpstreamServer pick(UpstreamServer[] servers, ServerFilter filter, long clientHash) {
        UpstreamServer best = null;
        int total = 0;
        for (UpstreamServer s : servers) {
            if (!filter.test(s)) {
                continue;
            }
            int w = s.weight();
            current[s.index()] += w;
            total += w;
            if (best == null || current[s.index()] > current[best.index()]) {
                best = s;
            }
        }
        if (best != null) {
            current[best.index()] -= total;
        }
        return best;
    }
}
