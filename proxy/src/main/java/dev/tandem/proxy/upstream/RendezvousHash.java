package dev.tandem.proxy.upstream;

/**
 * ip-hash as weighted rendezvous hashing: each client address scores every server and takes the highest
 * score. A client stays on its server while that server is eligible; when a server leaves, only its own
 * clients move (spread over the others by weight), and they come back when it returns.
 */
public final class RendezvousHash implements Balancer {

    @Override
    public UpstreamServer pick(UpstreamServer[] servers, ServerFilter filter, long clientHash) {
        UpstreamServer best = null;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (UpstreamServer s : servers) {
            if (!filter.test(s)) {
                continue;
            }
            double score = score(clientHash, s);
            if (score > bestScore) {
                bestScore = score;
                best = s;
            }
        }
        return best;
    }

    private static double score(long clientHash, UpstreamServer s) {
        long h = mix(clientHash ^ mix(s.config().address().hashCode() * 0x9E3779B97F4A7C15L + s.config().address().port()));
        // A uniform value in (0, 1); -w / ln(u) makes the winning probability proportional to the weight.
        double u = ((h >>> 11) + 0.5) / (double) (1L << 53);
        return -s.weight() / Math.log(u);
    }

    /** The MurmurHash3 finalizer: spreads every input bit over the whole word. */
    static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    /** The hash of a client's address that {@link #pick} expects. */
    public static long hashAddress(byte[] address) {
        long h = 0x243F6A8885A308D3L;
        for (byte b : address) {
            h = mix(h ^ (b & 0xff));
        }
        return h;
    }
}
