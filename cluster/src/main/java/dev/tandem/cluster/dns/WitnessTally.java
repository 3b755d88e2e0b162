package dev.tandem.cluster.dns;

import java.util.Map;
import java.util.Set;

/**
 * Counts the witnesses for {@link DnsElection}. Two kinds:
 * <ul>
 * <li><b>Tandem nodes</b>: every other node of {@code cluster.nodes}. Each one's heartbeat (authenticated with the
 *     cluster key, replay-checked like every advert) lists the nodes it hears, so it answers "do you reach the
 *     holder?" with no new protocol. A node whose heartbeat this node does not hear is a witness not reached.</li>
 * <li><b>Probe witnesses</b> ({@code cluster.witnesses}: ICMP echo or TCP connect): this node can only tell that it
 *     reaches them; it cannot ask them about the holder. Each one reached counts as confirming (the weaker,
 *     local rule: "I reach the internet, and I lost the holder").</li>
 * </ul>
 * A Tandem witness that hears the holder vetoes: the holder is alive, this node's path to it is what failed.
 */
public final class WitnessTally {

    private WitnessTally() {
    }

    /**
     * Whether this node reaches a majority of its witnesses: the other nodes it hears, and the probe witnesses
     * it reaches, out of all of them.
     *
     * @param others the number of other nodes
     */
    public static boolean majorityReached(int othersHeard, int others, int probesReached, int probes) {
        int total = others + probes;
        return total > 0 && 2 * (othersHeard + probesReached) > total;
    }

    /**
     * Whether a majority of the witnesses for {@code holder} (every node but this one and the holder, and the
     * probe witnesses) confirm it unreachable.
     *
     * @param heardBy for each node this node hears now (its heartbeat fresh), the nodes that node hears
     * @param otherNodes every node but this one
     */
    public static boolean confirmsUnreachable(String holder, Set<String> otherNodes, Map<String, Set<String>> heardBy,
                                              int probesReached, int probes) {
        int total = probes;
        int confirming = probesReached;
        for (String w : otherNodes) {
            if (w.equals(holder)) {
                continue;
            }
            total++;
            Set<String> hears = heardBy.get(w);
            if (hears == null) {
                continue;
            }
            if (hears.contains(holder)) {
                return false;
            }
            confirming++;
        }
        return total > 0 && 2 * confirming > total;
    }

    /**
     * Whether this node, as a witness, says in its heartbeat that it hears a peer last heard at {@code lastHeard}
     * (null: never): heard within {@code lostAfter}, or heard before and this node has not been listening for
     * {@code lostAfter} yet since {@code listeningSince} (its start, or the end of a stall of its own). A witness
     * that stalled has not read what the peer sent meanwhile: "I do not hear it" would be its own stall
     * speaking, and would confirm a loss that is none.
     */
    public static boolean vouches(Long lastHeard, long listeningSince, long now, long lostAfterNanos) {
        if (lastHeard == null) {
            return false;
        }
        return now - lastHeard < lostAfterNanos || now - listeningSince < lostAfterNanos;
    }

    /**
     * How many of a probe round's answers are news about a peer last heard at {@code lastHeard} (null: never):
     * only a round that began after this node noticed the peer's silence ({@code lostAfterNanos} past its last
     * advert) counts. A round begun before that, even just after the last advert, may have had its answers
     * before this node's own uplink failed, taking the peer's adverts and the witnesses with it.
     */
    public static int probeNews(int reached, long roundStartedAt, Long lastHeard, long lostAfterNanos) {
        return lastHeard == null || roundStartedAt - (lastHeard + lostAfterNanos) > 0 ? reached : 0;
    }
}
