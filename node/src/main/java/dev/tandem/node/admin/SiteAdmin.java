package dev.tandem.node.admin;

import dev.tandem.conf.SiteConfig;
import dev.tandem.node.admin.AdminRoute.Access;
import dev.tandem.node.wiring.Node;
import dev.tandem.proxy.guard.MaintenanceSwitches;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sites on the admin listener: each site's maintenance and access in the {@code sites} section of
 * {@code /status}, and
 *
 * <pre>
 * POST   /api/sites/{site}/maintenance/on    maintenance on for the site, over its config (200)
 * POST   /api/sites/{site}/maintenance/off   maintenance off, over its config (200)
 * DELETE /api/sites/{site}/maintenance       back to what the config says (200)
 * </pre>
 *
 * {@code {site}} is any host name of the site. A switch here is this node's alone; it outlives reloads that
 * leave the site's {@code maintenance.enabled} as it was, gives way to one that changes it, and is lost at a
 * restart (see {@link MaintenanceSwitches}).
 */
public final class SiteAdmin {

    private static final Logger log = LoggerFactory.getLogger(SiteAdmin.class);
    private static final String MAINTENANCE = "/api/sites/{site}/maintenance";

    private SiteAdmin() {
    }

    public static void add(Node node) {
        node.adminRoutes().add(AdminRoute.sync("POST", MAINTENANCE + "/on", Access.API, r -> maintenance(node, r, true)));
        node.adminRoutes().add(AdminRoute.sync("POST", MAINTENANCE + "/off", Access.API, r -> maintenance(node, r, false)));
        node.adminRoutes().add(AdminRoute.sync("DELETE", MAINTENANCE, Access.API, r -> maintenance(node, r, null)));
    }

    /** @param on null: drop the switch, the config decides */
    private static AdminResponse maintenance(Node node, AdminRequest r, Boolean on) {
        SiteConfig site = site(node, r.param("site"));
        if (site == null) {
            return AdminResponse.error(404, "no site serves '" + r.param("site") + "' (sites: "
                    + String.join(", ", node.proxy().config().config().sites().stream().map(SiteConfig::name).toList()) + ")");
        }
        MaintenanceSwitches switches = node.proxy().guards().maintenance();
        if (on == null) {
            switches.clear(site.name());
            log.info("site {}: maintenance switch dropped by the admin API: the config says {}", site.name(),
                    site.maintenance().enabled() ? "on" : "off");
        } else {
            switches.set(site.name(), on);
            log.info("site {}: maintenance switched {} by the admin API", site.name(), on ? "on" : "off");
        }
        return AdminResponse.json(200, view(site, switches));
    }

    /** The site one of whose hosts is {@code host}, in the config in force; null when none. */
    static SiteConfig site(Node node, String host) {
        String h = host == null ? "" : host.toLowerCase(Locale.ROOT);
        for (SiteConfig s : node.proxy().config().config().sites()) {
            if (s.hosts().contains(h)) {
                return s;
            }
        }
        return null;
    }

    private static Map<String, Object> view(SiteConfig s, MaintenanceSwitches switches) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        m.put("hosts", s.hosts());
        addGuard(m, s, switches);
        return m;
    }

    /** A site's maintenance and access, as the {@code sites} section of {@code /status} shows them. */
    static void addGuard(Map<String, Object> m, SiteConfig s, MaintenanceSwitches switches) {
        Map<String, Object> maintenance = new LinkedHashMap<>();
        maintenance.put("on", switches.on(s.name(), s.maintenance().enabled()));
        maintenance.put("configured", s.maintenance().enabled());
        maintenance.put("switched", switches.switched(s.name()).orElse(null));
        m.put("maintenance", maintenance);
        Map<String, Object> access = new LinkedHashMap<>();
        access.put("allow", s.access().allow().stream().map(Object::toString).toList());
        access.put("deny", s.access().deny().stream().map(Object::toString).toList());
        access.put("basic_auth", s.access().basicAuth().map(b -> b.realm()).orElse(null));
        m.put("access", access);
    }
}
