package dev.tandem.node.admin;

import dev.tandem.node.admin.AdminRoute.Access;
import dev.tandem.node.reload.ReloadResult;
import dev.tandem.node.wiring.Node;
import dev.tandem.proxy.upstream.UpstreamGroup;
import dev.tandem.proxy.upstream.UpstreamServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in routes of the admin listener.
 *
 * <pre>
 * GET  /metrics                                            Prometheus text format, or OpenMetrics when accepted
 * GET  /status                                             JSON: every status section
 * GET  /dashboard                                          the status page (GET / redirects there)
 * POST /api/reload                                         reload the config file; 200 or 422 with the errors
 * POST /api/upstreams/{upstream}/servers/{server}/drain    no new requests to the server
 * POST /api/upstreams/{upstream}/servers/{server}/undrain  back in rotation
 * POST /api/upstreams/{upstream}/servers/{server}/weight   body: a weight 0-1000 (0 = no new requests)
 * DELETE /api/upstreams/{upstream}/servers/{server}/weight back to the configured weight
 * </pre>
 *
 * Drains and weights set here live in the server's long-lived state: they survive reloads for as long as
 * the server stays in the config, and are lost at a restart.
 */
public final class AdminApi {

    private static final Logger log = LoggerFactory.getLogger(AdminApi.class);

    static final int MAX_WEIGHT = 1000;
    private static final String SERVER = "/api/upstreams/{upstream}/servers/{server}";

    private AdminApi() {
    }

    public static void addRoutes(Node node) {
        AdminRoutes routes = node.adminRoutes();
        byte[] dashboard = resource("dashboard.html");
        routes.add(AdminRoute.sync("GET", "/metrics", Access.READ,
                r -> MetricsExposition.scrape(node.meters(), r)));
        routes.add(AdminRoute.sync("GET", "/status", Access.READ,
                r -> AdminResponse.json(200, node.statusSections().render())));
        routes.add(AdminRoute.sync("GET", "/dashboard", Access.PUBLIC,
                r -> new AdminResponse(200, "text/html; charset=utf-8", dashboard)));
        routes.add(AdminRoute.sync("GET", "/", Access.PUBLIC,
                r -> new AdminResponse(200, "text/html; charset=utf-8",
                        "<!doctype html><meta http-equiv=refresh content=\"0; url=/dashboard\"><a href=/dashboard>dashboard</a>"
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        routes.add(new AdminRoute("POST", "/api/reload", Access.API, r -> reload(node, "true".equals(r.queryParam("force")))));
        routes.add(AdminRoute.sync("POST", SERVER + "/drain", Access.API, r -> drain(node, r, true)));
        routes.add(AdminRoute.sync("POST", SERVER + "/undrain", Access.API, r -> drain(node, r, false)));
        routes.add(AdminRoute.sync("POST", SERVER + "/weight", Access.API, r -> weight(node, r)));
        routes.add(AdminRoute.sync("DELETE", SERVER + "/weight", Access.API, r -> resetWeight(node, r)));
    }

    private static CompletionStage<AdminResponse> reload(Node node, boolean force) {
        return node.reload("api", force).handle((ReloadResult result, Throwable error) -> {
            if (error != null) {
                return AdminResponse.error(503, String.valueOf(error.getMessage()));
            }
            return AdminResponse.json(result.ok() ? 200 : 422, result.toJson());
        });
    }

    /** The server named in the path, in the config in force; null when there is none. */
    private static UpstreamServer server(Node node, AdminRequest r) {
        UpstreamGroup g = node.proxy().config().upstream(r.param("upstream"));
        if (g == null) {
            return null;
        }
        for (UpstreamServer s : g.primaries()) {
            if (s.label().equals(r.param("server"))) {
                return s;
            }
        }
        for (UpstreamServer s : g.backups()) {
            if (s.label().equals(r.param("server"))) {
                return s;
            }
        }
        return null;
    }

    private static AdminResponse notFound(AdminRequest r) {
        return AdminResponse.error(404, "no server " + r.param("server") + " in upstream '" + r.param("upstream") + "'");
    }

    private static AdminResponse drain(Node node, AdminRequest r, boolean drained) {
        UpstreamServer s = server(node, r);
        if (s == null) {
            return notFound(r);
        }
        s.state().drained(drained);
        log.info("server {} in upstream '{}' {} by the admin API", s.label(), r.param("upstream"),
                drained ? "drained" : "back in rotation");
        return AdminResponse.json(200, view(r, s));
    }

    private static AdminResponse weight(Node node, AdminRequest r) {
        UpstreamServer s = server(node, r);
        if (s == null) {
            return notFound(r);
        }
        Integer weight = parseWeight(r.body());
        if (weight == null) {
            return AdminResponse.error(400, "weight: '" + r.body().strip() + "' (expected: a whole number 0-" + MAX_WEIGHT
                    + ", as the body or as {\"weight\": N})");
        }
        s.state().weightOverride(weight);
        log.info("server {} in upstream '{}' weight set to {} by the admin API", s.label(), r.param("upstream"), weight);
        return AdminResponse.json(200, view(r, s));
    }

    private static AdminResponse resetWeight(Node node, AdminRequest r) {
        UpstreamServer s = server(node, r);
        if (s == null) {
            return notFound(r);
        }
        s.state().weightOverride(-1);
        log.info("server {} in upstream '{}' back to its configured weight", s.label(), r.param("upstream"));
        return AdminResponse.json(200, view(r, s));
    }

    /** A weight as a bare number or as {@code {"weight": N}}; null when it is neither or out of range. */
    static Integer parseWeight(String body) {
        String text = body.strip();
        Object value;
        try {
            value = Json.parse(text);
        } catch (IOException e) {
            return null;
        }
        if (value instanceof Map<?, ?> map && map.size() == 1) {
            value = map.get("weight");
        }
        if (value instanceof Long n && n >= 0 && n <= MAX_WEIGHT) {
            return n.intValue();
        }
        return null;
    }

    private static Map<String, Object> view(AdminRequest r, UpstreamServer s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("upstream", r.param("upstream"));
        m.put("server", s.label());
        m.put("drained", s.state().drained());
        m.put("weight", s.weight());
        m.put("configured_weight", s.config().weight());
        m.put("weight_override", s.state().weightOverride() >= 0 ? s.state().weightOverride() : null);
        return m;
    }

    private static byte[] resource(String name) {
        try (InputStream in = AdminApi.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
