package dev.tandem.cluster;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What {@code tandem status} and the admin's {@code /status} show about the cluster, as seen by this node.
 *
 * @param maintenance      the node is handing its VIPs over or has handed them over, and takes part in no
 *                         election until resumed or restarted
 * @param handoverPending  VIPs this node still holds during a handover (waiting for a peer, or draining)
 */
public record ClusterStatus(String node, boolean maintenance, List<String> handoverPending, boolean healthy,
                            String healthReason, boolean witnessesReached, List<String> witnesses,
                            List<VipStatus> vips) {

    public ClusterStatus {
        handoverPending = List.copyOf(handoverPending);
        witnesses = List.copyOf(witnesses);
        vips = List.copyOf(vips);
    }

    /**
     * One VIP.
     *
     * @param state          MASTER, BACKUP or INIT ({@code candidate} false: this node is not in {@code prefer})
     * @param holder         the node holding it as far as this node knows, or null
     * @param priority       this node's priority now (1 while its health says it cannot serve)
     * @param peers          what each peer last advertised for it
     * @param lastTransition when it last changed state on this node, and {@code lastReason} why
     * @param addressPresent whether the address is on this node's interface
     * @param announced      whether this node has announced it (gratuitous ARP done)
     */
    public record VipStatus(String vip, int prefixLength, String iface, boolean candidate, String state,
                            String holder, int priority, Map<String, PeerStatus> peers, Instant lastTransition,
                            String lastReason, boolean addressPresent, boolean announced) {
        public VipStatus {
            peers = Map.copyOf(peers);
        }
    }

    /** A peer's last advert for a VIP, {@code ageMillis} ago. */
    public record PeerStatus(int priority, boolean master, boolean announced, boolean maintenance, boolean fault,
                             long ageMillis) {
    }

    /** The status as a JSON object (for the admin endpoint and the CLI). */
    public String toJson() {
        StringBuilder b = new StringBuilder(512);
        b.append("{\"node\":");
        str(b, node);
        b.append(",\"maintenance\":").append(maintenance);
        b.append(",\"handover_pending\":");
        strings(b, handoverPending);
        b.append(",\"healthy\":").append(healthy).append(",\"health_reason\":");
        str(b, healthReason);
        b.append(",\"witnesses_reached\":").append(witnessesReached).append(",\"witnesses\":");
        strings(b, witnesses);
        b.append(",\"vips\":[");
        for (int i = 0; i < vips.size(); i++) {
            VipStatus v = vips.get(i);
            b.append(i == 0 ? "" : ",").append("{\"vip\":");
            str(b, v.vip());
            b.append(",\"prefix_length\":").append(v.prefixLength()).append(",\"interface\":");
            str(b, v.iface());
            b.append(",\"candidate\":").append(v.candidate()).append(",\"state\":");
            str(b, v.state());
            b.append(",\"holder\":");
            str(b, v.holder());
            b.append(",\"priority\":").append(v.priority()).append(",\"peers\":{");
            int j = 0;
            for (Map.Entry<String, PeerStatus> e : new java.util.TreeMap<>(v.peers()).entrySet()) {
                PeerStatus p = e.getValue();
                b.append(j++ == 0 ? "" : ",");
                str(b, e.getKey());
                b.append(":{\"priority\":").append(p.priority()).append(",\"master\":").append(p.master())
                        .append(",\"announced\":").append(p.announced()).append(",\"maintenance\":")
                        .append(p.maintenance()).append(",\"fault\":").append(p.fault()).append(",\"age_ms\":")
                        .append(p.ageMillis()).append('}');
            }
            b.append("},\"last_transition\":");
            str(b, v.lastTransition() == null ? null : v.lastTransition().toString());
            b.append(",\"last_reason\":");
            str(b, v.lastReason());
            b.append(",\"address_present\":").append(v.addressPresent()).append(",\"announced\":")
                    .append(v.announced()).append('}');
        }
        return b.append("]}").toString();
    }

    private static void strings(StringBuilder b, List<String> list) {
        b.append('[');
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            str(b, list.get(i));
        }
        b.append(']');
    }

    private static void str(StringBuilder b, String s) {
        if (s == null) {
            b.append("null");
            return;
        }
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
