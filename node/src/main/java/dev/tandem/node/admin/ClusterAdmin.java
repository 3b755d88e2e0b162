package dev.tandem.node.admin;

import dev.tandem.cluster.ClusterNode;
import dev.tandem.cluster.ClusterStatus;
import dev.tandem.cluster.dns.DnsSupervisor;
import dev.tandem.node.admin.AdminRoute.Access;
import dev.tandem.node.wiring.ClusterService;
import dev.tandem.node.wiring.Node;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The cluster on the admin listener: the {@code cluster} section of {@code /status}, and
 *
 * <pre>
 * POST /api/handover   maintenance: hand every VIP this node holds to a peer (202; follow it in /status)
 * POST /api/resume     end maintenance: take part in elections again (200)
 * </pre>
 */
public final class ClusterAdmin {

    private ClusterAdmin() {
    }

    public static void add(Node node, ClusterService cluster) {
        ClusterNode c = cluster.node();
        node.statusSections().add(StatusSection.of("cluster", () -> tree(c.status())));
        if (cluster.dnsConfigured()) {
            // cluster.dns: each record as this node last read it back and changed it.
            node.statusSections().add(StatusSection.of("dns", () -> dnsTree(c.dnsStatus())));
        }
        node.adminRoutes().add(AdminRoute.sync("POST", "/api/handover", Access.API, r -> {
            c.handover();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("handover", "started");
            body.put("cluster", tree(c.status()));
            return AdminResponse.json(202, body);
        }));
        node.adminRoutes().add(new AdminRoute("POST", "/api/resume", Access.API, r -> c.resume().handle((ok, error) ->
                error != null ? AdminResponse.error(503, String.valueOf(error.getMessage()))
                        : AdminResponse.json(200, tree(c.status())))));
    }

    static List<Object> dnsTree(List<DnsSupervisor.RecordStatus> records) {
        List<Object> out = new ArrayList<>();
        for (DnsSupervisor.RecordStatus r : records) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("record", r.name());
            m.put("mode", r.mode());
            m.put("ttl_seconds", r.ttlSeconds());
            m.put("published", r.published());
            m.put("addresses", r.addresses());
            m.put("serial", r.serial());
            m.put("last_change", r.lastChange());
            m.put("last_change_at", r.lastChangeAt() == null ? null : r.lastChangeAt().toString());
            m.put("last_error", r.lastError());
            m.put("updating", r.updating());
            m.put("failures", r.failures());
            m.put("retry_at", r.retryAt() == null ? null : r.retryAt().toString());
            out.add(m);
        }
        return out;
    }

    /** The status as a JSON tree. */
    public static Map<String, Object> tree(ClusterStatus s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", s.node());
        m.put("maintenance", s.maintenance());
        m.put("handover_pending", s.handoverPending());
        m.put("healthy", s.healthy());
        m.put("health_reason", s.healthReason());
        m.put("witnesses_reached", s.witnessesReached());
        m.put("witness_verdict", s.witnessVerdict());
        m.put("witnesses", s.witnesses());
        List<Object> vips = new ArrayList<>();
        for (ClusterStatus.VipStatus v : s.vips()) {
            Map<String, Object> vm = new LinkedHashMap<>();
            vm.put("vip", v.vip());
            vm.put("prefix_length", v.prefixLength());
            vm.put("interface", v.iface());
            vm.put("candidate", v.candidate());
            vm.put("state", v.state());
            vm.put("holder", v.holder());
            vm.put("priority", v.priority());
            Map<String, Object> peers = new LinkedHashMap<>();
            new TreeMap<>(v.peers()).forEach((name, p) -> {
                Map<String, Object> pm = new LinkedHashMap<>();
                pm.put("priority", p.priority());
                pm.put("master", p.master());
                pm.put("announced", p.announced());
                pm.put("maintenance", p.maintenance());
                pm.put("fault", p.fault());
                pm.put("age_ms", p.ageMillis());
                peers.put(name, pm);
            });
            vm.put("peers", peers);
            vm.put("last_transition", v.lastTransition() == null ? null : v.lastTransition().toString());
            vm.put("last_reason", v.lastReason());
            vm.put("address_present", v.addressPresent());
            vm.put("announced", v.announced());
            vips.add(vm);
        }
        m.put("vips", vips);
        return m;
    }
}
