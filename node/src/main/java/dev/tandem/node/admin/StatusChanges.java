package dev.tandem.node.admin;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What changed between two {@code /status} documents of one node, as timeline entries: VIP transitions and
 * failovers, reloads (with their errors), health changes of upstream servers (with the reason), the node's own
 * ability to serve and maintenance, held mirror deletions and conflicts.
 *
 * <p>Pure: the documents in, the changes out. It works on the JSON trees rather than on the modules' objects so
 * that it sees exactly what an operator sees in {@code /status}, and so that the cluster, health and mirror need
 * no listener interface for it. A change that comes and goes between two looks is not seen (the metrics'
 * transition counters still count it); where the source keeps its own time (a health verdict's {@code since}, a
 * VIP's {@code last_transition}, a reload's {@code at}) the entry carries that time, not the time of the look.
 */
public final class StatusChanges {

    /** One change; {@link EventRing#add} numbers it. */
    public record Change(Instant at, String kind, String level, String subject, String text) {
    }

    private StatusChanges() {
    }

    /** The changes from {@code before} to {@code after}, seen at {@code now}. */
    public static List<Change> between(Map<String, Object> before, Map<String, Object> after, Instant now) {
        List<Change> out = new ArrayList<>();
        node(map(before.get("node")), map(after.get("node")), now, out);
        reload(map(map(before.get("config")).get("last_reload")), map(map(after.get("config")).get("last_reload")), now, out);
        servers(servers(before), servers(after), now, out);
        cluster(map(before.get("cluster")), map(after.get("cluster")), now, out);
        mirror(map(before.get("mirror")), map(after.get("mirror")), now, out);
        return out;
    }

    /**
     * What is already wrong in the first document looked at: servers that take no traffic and why, a node that
     * cannot serve, held deletions. Without it, a server that went down before the first look would never be on
     * the timeline.
     */
    public static List<Change> initial(Map<String, Object> status, Instant now) {
        List<Change> out = new ArrayList<>();
        Map<String, Object> node = map(status.get("node"));
        if (Boolean.FALSE.equals(node.get("can_serve"))) {
            out.add(new Change(now, "node", "error", "node", "cannot serve: " + str(node.get("health_reason"))));
        }
        servers(status).forEach((key, s) -> {
            if ("down".equals(s.get("state"))) {
                out.add(new Change(instant(s.get("down_since"), now), "health", "error", key, "down: " + str(s.get("down_reason"))));
            }
        });
        Map<String, Object> mirror = map(status.get("mirror"));
        if (!mirror.isEmpty()) {
            mirror(Map.of("held_deletions", List.of(), "conflicts", List.of()), mirror, now, out);
        }
        return out;
    }

    private static void node(Map<String, Object> b, Map<String, Object> a, Instant now, List<Change> out) {
        if (b.isEmpty() || a.isEmpty() || Objects.equals(b.get("can_serve"), a.get("can_serve"))) {
            return;
        }
        if (Boolean.TRUE.equals(a.get("can_serve"))) {
            out.add(new Change(now, "node", "info", "node", "can serve again"));
        } else {
            out.add(new Change(now, "node", "error", "node", "cannot serve: " + str(a.get("health_reason"))));
        }
    }

    private static void reload(Map<String, Object> b, Map<String, Object> a, Instant now, List<Change> out) {
        if (a.isEmpty() || (Objects.equals(b.get("at"), a.get("at")) && Objects.equals(b.get("trigger"), a.get("trigger")))) {
            return;
        }
        boolean ok = "ok".equals(a.get("result"));
        StringBuilder text = new StringBuilder(ok ? "reload" : "reload refused");
        text.append(" (").append(str(a.get("trigger"))).append(")");
        if (a.get("message") != null && !str(a.get("message")).isEmpty()) {
            text.append(": ").append(str(a.get("message")));
        }
        for (Object e : list(a.get("errors"))) {
            text.append("\n").append(str(map(e).get("text")));
        }
        out.add(new Change(instant(a.get("at"), now), "reload", ok ? "info" : "error", "config", text.toString()));
    }

    /** Every server by {@code upstream/address}. */
    private static Map<String, Map<String, Object>> servers(Map<String, Object> status) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (Object u : list(status.get("upstreams"))) {
            Map<String, Object> um = map(u);
            for (Object s : list(um.get("servers"))) {
                Map<String, Object> sm = map(s);
                out.put(str(um.get("name")) + "/" + str(sm.get("address")), sm);
            }
        }
        return out;
    }

    private static void servers(Map<String, Map<String, Object>> b, Map<String, Map<String, Object>> a, Instant now,
                                List<Change> out) {
        a.forEach((key, s) -> {
            Map<String, Object> was = b.get(key);
            if (was == null || Objects.equals(was.get("state"), s.get("state"))) {
                return;
            }
            String state = str(s.get("state"));
            String level = switch (state) {
                case "down" -> "error";
                case "drained", "unknown" -> "warn";
                default -> "info";
            };
            String text = str(was.get("state")) + " → " + state;
            String reason = str(s.get("down_reason"));
            if (state.equals("down") && !reason.isEmpty()) {
                text += ": " + reason;
            }
            boolean activeChange = !Objects.equals(was.get("active"), s.get("active"));
            Instant at = activeChange ? instant(s.get("active_since"), now) : now;
            out.add(new Change(at, "health", level, key, text));
        });
    }

    private static void cluster(Map<String, Object> b, Map<String, Object> a, Instant now, List<Change> out) {
        if (a.isEmpty() || b.isEmpty()) {
            return;
        }
        if (!Objects.equals(b.get("maintenance"), a.get("maintenance"))) {
            out.add(new Change(now, "node", "warn", "cluster",
                    Boolean.TRUE.equals(a.get("maintenance")) ? "maintenance: out of elections" : "maintenance over: in elections again"));
        }
        if (!Objects.equals(b.get("healthy"), a.get("healthy"))) {
            out.add(new Change(now, "node", Boolean.TRUE.equals(a.get("healthy")) ? "info" : "error", "cluster",
                    Boolean.TRUE.equals(a.get("healthy")) ? "healthy again for the elections"
                            : "unhealthy for the elections: " + str(a.get("health_reason"))));
        }
        Map<String, Map<String, Object>> was = new LinkedHashMap<>();
        for (Object v : list(b.get("vips"))) {
            was.put(str(map(v).get("vip")), map(v));
        }
        for (Object v : list(a.get("vips"))) {
            Map<String, Object> vm = map(v);
            String vip = str(vm.get("vip"));
            Map<String, Object> old = was.get(vip);
            if (old == null) {
                continue;
            }
            String reason = str(vm.get("last_reason"));
            Instant at = instant(vm.get("last_transition"), now);
            if (!Objects.equals(old.get("state"), vm.get("state"))
                    || !Objects.equals(old.get("last_transition"), vm.get("last_transition"))) {
                out.add(new Change(at, "transition", "FAULT".equals(vm.get("state")) ? "error" : "info", vip,
                        str(old.get("state")) + " → " + str(vm.get("state")) + (reason.isEmpty() ? "" : " (" + reason + ")")));
            }
            String from = str(old.get("holder"));
            String to = str(vm.get("holder"));
            if (!from.isEmpty() && !to.isEmpty() && !from.equals(to)) {
                out.add(new Change(at, "failover", reason.contains("handover") ? "info" : "warn", vip,
                        "moved from " + from + " to " + to + (reason.isEmpty() ? "" : " (" + reason + ")")));
            } else if (!from.isEmpty() && to.isEmpty()) {
                out.add(new Change(at, "failover", "error", vip, "no holder (was " + from + ")"));
            }
        }
    }

    private static void mirror(Map<String, Object> b, Map<String, Object> a, Instant now, List<Change> out) {
        if (a.isEmpty() || b.isEmpty()) {
            return;
        }
        Map<String, Map<String, Object>> held = keyed(b.get("held_deletions"), "root", "since");
        Map<String, Map<String, Object>> holding = keyed(a.get("held_deletions"), "root", "since");
        holding.forEach((k, h) -> {
            if (!held.containsKey(k)) {
                out.add(new Change(instant(h.get("since"), now), "mirror", "warn", str(h.get("root")),
                        "deletion of " + str(h.get("files")) + " of " + str(h.get("files_then")) + " files held"
                                + (h.get("from") == null ? "" : " (from " + str(h.get("from")) + ")") + ": confirm or restore"));
            }
        });
        held.forEach((k, h) -> {
            if (!holding.containsKey(k)) {
                out.add(new Change(now, "mirror", "info", str(h.get("root")), "held deletion no longer held"));
            }
        });
        Map<String, Map<String, Object>> conflicts = keyed(b.get("conflicts"), "path", "at");
        keyed(a.get("conflicts"), "path", "at").forEach((k, c) -> {
            if (!conflicts.containsKey(k)) {
                out.add(new Change(instant(c.get("at"), now), "mirror", "warn", str(c.get("path")),
                        "conflict: " + str(c.get("winner")) + " won, " + str(c.get("loser")) + "'s copy kept as "
                                + str(c.get("kept_as"))));
            }
        });
    }

    private static Map<String, Map<String, Object>> keyed(Object items, String k1, String k2) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (Object o : list(items)) {
            Map<String, Object> m = map(o);
            out.put(str(m.get(k1)) + "\n" + str(m.get(k2)), m);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    static List<?> list(Object o) {
        return o instanceof List<?> l ? l : List.of();
    }

    static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    private static Instant instant(Object o, Instant otherwise) {
        if (o instanceof String s && !s.isEmpty()) {
            try {
                return Instant.parse(s);
            } catch (DateTimeParseException e) {
                return otherwise;
            }
        }
        return otherwise;
    }
}
