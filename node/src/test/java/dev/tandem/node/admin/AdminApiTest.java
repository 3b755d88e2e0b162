package dev.tandem.node.admin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.node.cli.Main;
import dev.tandem.node.wiring.Node;
import dev.tandem.node.wiring.PrometheusText;
import dev.tandem.node.wiring.TestBackend;
import dev.tandem.node.wiring.TestNodes;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin listener end to end: /metrics, /status and the API, against a live node. */
class AdminApiTest {

    private static final String TOKEN = "s3cret-token";

    @TempDir
    Path dir;
    private TestBackend a;
    private TestBackend b;
    private Node node;

    @BeforeEach
    void start() throws Exception {
        a = TestBackend.start("a");
        b = TestBackend.start("b");
        node = TestNodes.start(dir, TestNodes.config(TestNodes.server(a, 1) + "\n" + TestNodes.server(b, 1), "")
                .replace("admin:\n  bind: 127.0.0.1:0\n", "admin:\n  bind: 127.0.0.1:0\n  token: " + TOKEN + "\n"));
    }

    @AfterEach
    void stop() {
        node.stop(Duration.ofSeconds(2));
        a.close();
        b.close();
    }

    private HttpResponse<String> api(String method, String path, String body) throws Exception {
        return TestNodes.send(method, TestNodes.adminUrl(node, path), body, Map.of("Authorization", "Bearer " + TOKEN));
    }

    private String serverPath(TestBackend backend) {
        return "/api/upstreams/web/servers/" + backend.address();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> serverStatus(TestBackend backend) throws Exception {
        List<Map<String, Object>> upstreams = (List<Map<String, Object>>) TestNodes.status(node).get("upstreams");
        for (Object s : (List<Object>) upstreams.get(0).get("servers")) {
            Map<String, Object> server = (Map<String, Object>) s;
            if (server.get("address").equals(backend.address())) {
                return server;
            }
        }
        throw new AssertionError("no " + backend.address() + " in /status");
    }

    private double gauge(String family, TestBackend backend) throws Exception {
        var families = PrometheusText.parse(TestNodes.get(TestNodes.adminUrl(node, "/metrics")).body());
        return families.get(family).samples().stream()
                .filter(s -> backend.address().equals(s.labels().get("server")))
                .findFirst().orElseThrow().value();
    }

    private static double requests2xx(Map<String, PrometheusText.Family> families) {
        PrometheusText.Family requests = families.get("tandem_requests_total");
        return requests == null ? 0 : requests.samples().stream()
                .filter(s -> s.labels().equals(Map.of("listener", "http", "site", "*", "status_class", "2xx")))
                .mapToDouble(PrometheusText.Sample::value).sum();
    }

    @Test
    void metricsAreStrictPrometheusTextWithTheDesignNames() throws Exception {
        for (int i = 0; i < 4; i++) {
            assertEquals(200, TestNodes.get(TestNodes.proxyUrl(node, "/")).statusCode());
        }
        // A request is counted once its response is written, which the client may see first: waited for.
        await().atMost(Duration.ofSeconds(10)).until(() -> requests2xx(PrometheusText.parse(
                TestNodes.get(TestNodes.adminUrl(node, "/metrics")).body())) == 4.0);
        HttpResponse<String> r = TestNodes.get(TestNodes.adminUrl(node, "/metrics"));
        assertEquals(200, r.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("Content-Type").orElseThrow());
        Map<String, PrometheusText.Family> families = PrometheusText.parse(r.body());

        Map<String, String> expected = Map.of(
                "tandem_requests_total", "counter",
                "tandem_request_duration_seconds", "histogram",
                "tandem_upstream_requests_total", "counter",
                "tandem_upstream_response_seconds", "histogram",
                "tandem_upstream_failures_total", "counter",
                "tandem_active_connections", "gauge",
                "tandem_config_version", "gauge",
                "tandem_config_reloads_total", "counter",
                "tandem_upstream_in_flight", "gauge",
                "tandem_upstream_server_weight", "gauge");
        expected.forEach((name, type) -> {
            assertNotNull(families.get(name), name + " missing");
            assertEquals(type, families.get(name).type(), name);
        });
        // Tandem's own, and the JVM's and the process's under the names of Micrometer's binders.
        for (String name : families.keySet()) {
            assertTrue(name.startsWith("tandem_") || name.startsWith("jvm_") || name.startsWith("process_")
                    || name.startsWith("system_"), "unprefixed metric " + name);
        }
        assertEquals(4.0, requests2xx(families));
        assertEquals(1.0, families.get("tandem_config_version").samples().get(0).value());
        assertEquals(Set.of("ok", "rejected"), Set.copyOf(families.get("tandem_config_reloads_total").samples().stream()
                .map(s -> s.labels().get("result")).toList()));
        // 15 fixed boundaries from 1ms to 60s, then +Inf.
        List<String> les = families.get("tandem_request_duration_seconds").samples().stream()
                .filter(s -> s.name().endsWith("_bucket") && "*".equals(s.labels().get("site")))
                .map(s -> s.labels().get("le")).toList();
        assertEquals(List.of("0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5",
                "5.0", "10.0", "30.0", "60.0", "+Inf"), les);
    }

    @Test
    void drainedServerTakesNoNewRequests() throws Exception {
        HttpResponse<String> r = api("POST", serverPath(b) + "/drain", "");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(true, serverStatus(b).get("drained"));
        assertEquals("drained", serverStatus(b).get("state"));
        assertEquals(1.0, gauge("tandem_upstream_server_drained", b));

        long before = b.requests();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> p = TestNodes.get(TestNodes.proxyUrl(node, "/"));
            assertEquals("a", p.body());
        }
        assertEquals(before, b.requests(), "no request reached the drained server");

        assertEquals(200, api("POST", serverPath(b) + "/undrain", "").statusCode());
        long seen = 0;
        for (int i = 0; i < 4; i++) {
            seen += TestNodes.get(TestNodes.proxyUrl(node, "/")).body().equals("b") ? 1 : 0;
        }
        assertEquals(2, seen, "back in the round-robin");
    }

    @Test
    void weightSetAtRuntimeShowsInStatusAndMetricsAndSurvivesAReload() throws Exception {
        HttpResponse<String> r = api("POST", serverPath(a) + "/weight", "7");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(7L, serverStatus(a).get("weight"));
        assertEquals(1L, serverStatus(a).get("configured_weight"));
        assertEquals(7.0, gauge("tandem_upstream_server_weight", a));

        assertEquals(200, api("POST", serverPath(a) + "/weight", "{\"weight\": 3}").statusCode());
        assertEquals(3L, serverStatus(a).get("weight"));
        int fromA = 0;
        for (int i = 0; i < 8; i++) {
            fromA += TestNodes.get(TestNodes.proxyUrl(node, "/")).body().equals("a") ? 1 : 0;
        }
        assertEquals(6, fromA, "weights 3:1");

        assertTrue(node.reload("test").get(10, TimeUnit.SECONDS).ok());
        assertEquals(3L, serverStatus(a).get("weight"), "runtime weight kept across a reload");

        assertEquals(200, api("DELETE", serverPath(a) + "/weight", null).statusCode());
        assertEquals(1L, serverStatus(a).get("weight"));
        assertNull(serverStatus(a).get("weight_override"));
        assertEquals(1.0, gauge("tandem_upstream_server_weight", a));
    }

    @Test
    void badRequestsAreRefusedClearly() throws Exception {
        assertEquals(400, api("POST", serverPath(a) + "/weight", "heavy").statusCode());
        assertEquals(400, api("POST", serverPath(a) + "/weight", "1001").statusCode());
        assertEquals(400, api("POST", serverPath(a) + "/weight", "-1").statusCode());
        HttpResponse<String> missing = api("POST", "/api/upstreams/web/servers/10.9.9.9:1/drain", "");
        assertEquals(404, missing.statusCode());
        assertTrue(missing.body().contains("no server 10.9.9.9:1 in upstream 'web'"), missing.body());
        assertEquals(404, api("POST", "/api/upstreams/nope/servers/" + a.address() + "/drain", "").statusCode());
        assertEquals(404, api("GET", "/nothing-here", null).statusCode());
        HttpResponse<String> wrongMethod = api("GET", "/api/reload", null);
        assertEquals(405, wrongMethod.statusCode());
        assertEquals("POST", wrongMethod.headers().firstValue("Allow").orElseThrow());
    }

    @Test
    void apiNeedsTheTokenButLoopbackReadsDoNot() throws Exception {
        String drain = TestNodes.adminUrl(node, serverPath(a) + "/drain");
        HttpResponse<String> none = TestNodes.post(drain, "");
        assertEquals(401, none.statusCode());
        assertEquals("Bearer realm=\"tandem\"", none.headers().firstValue("WWW-Authenticate").orElseThrow());
        assertEquals(401, TestNodes.send("POST", drain, "", Map.of("Authorization", "Bearer wrong")).statusCode());
        assertEquals(false, serverStatus(a).get("drained"));
        assertEquals(200, TestNodes.get(TestNodes.adminUrl(node, "/status")).statusCode());
        assertEquals(200, TestNodes.get(TestNodes.adminUrl(node, "/metrics")).statusCode());
        assertEquals(401, TestNodes.post(TestNodes.adminUrl(node, "/api/reload"), "").statusCode());
    }

    @Test
    void statusShowsNodeConfigListenersSitesAndUpstreams() throws Exception {
        Map<String, Object> status = TestNodes.status(node);
        assertEquals(List.of("node", "config", "listeners", "sites", "upstreams"), List.copyOf(status.keySet()));
        assertEquals("test-node", ((Map<?, ?>) status.get("node")).get("name"));
        Map<?, ?> config = (Map<?, ?>) status.get("config");
        assertEquals(1L, config.get("version"));
        assertEquals(node.reloader().current().hash(), config.get("hash"));
        assertEquals(64, ((String) config.get("hash")).length());
        assertEquals("ok", ((Map<?, ?>) config.get("last_reload")).get("result"));
        Map<?, ?> listener = (Map<?, ?>) ((List<?>) status.get("listeners")).get(0);
        assertEquals("http", listener.get("name"));
        assertEquals("127.0.0.1:" + node.proxy().boundAddress("http").getPort(), listener.get("address"));
    }

    @Test
    void sectionsAndRoutesFromElsewherePlugIn() throws Exception {
        node.statusSections().add(dev.tandem.node.admin.StatusSection.of("cluster",
                () -> Map.of("vips", List.of(Map.of("address", "203.0.113.10", "state", "master")))));
        node.adminRoutes().add(dev.tandem.node.admin.AdminRoute.sync("POST", "/api/handover",
                dev.tandem.node.admin.AdminRoute.Access.API,
                req -> dev.tandem.node.admin.AdminResponse.json(200, Map.of("handed_over", List.of()))));
        assertTrue(TestNodes.status(node).get("cluster").toString().contains("203.0.113.10"));
        assertEquals(401, TestNodes.post(TestNodes.adminUrl(node, "/api/handover"), "").statusCode());
        assertEquals(200, api("POST", "/api/handover", "").statusCode());
    }

    @Test
    void statusCommandPrintsTablesAndJson() throws Exception {
        String admin = "127.0.0.1:" + node.adminAddress().getPort();
        var out = new java.io.ByteArrayOutputStream();
        var err = new java.io.ByteArrayOutputStream();
        int code = Main.run(new String[] {"status", "--admin", admin}, new java.io.PrintStream(out, true),
                new java.io.PrintStream(err, true));
        assertEquals(0, code, err.toString());
        String text = out.toString();
        assertTrue(text.contains("node      test-node"), text);
        assertTrue(text.contains("config    version 1"), text);
        assertTrue(text.contains("UPSTREAM  SERVER"), text);
        assertTrue(text.contains(a.address()) && text.contains(b.address()), text);
        assertTrue(text.contains("no cluster"), text);

        out.reset();
        code = Main.run(new String[] {"status", "--admin", admin, "--json"}, new java.io.PrintStream(out, true),
                new java.io.PrintStream(err, true));
        assertEquals(0, code);
        assertTrue(dev.tandem.node.admin.Json.parse(out.toString()) instanceof Map);

        // --config finds the admin address (and token) in the file.
        out.reset();
        Path withPort = dir.resolve("status.yaml");
        Files.writeString(withPort, Files.readString(dir.resolve("tandem.yaml"))
                .replace("bind: 127.0.0.1:0\n  token", "bind: " + admin + "\n  token"));
        code = Main.run(new String[] {"status", "--config", withPort.toString()}, new java.io.PrintStream(out, true),
                new java.io.PrintStream(err, true));
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().contains("test-node"));
    }

    @Test
    void statusCommandSaysWhenNothingAnswers() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        var out = new java.io.ByteArrayOutputStream();
        var err = new java.io.ByteArrayOutputStream();
        int code = Main.run(new String[] {"status", "--admin", "127.0.0.1:" + port}, new java.io.PrintStream(out, true),
                new java.io.PrintStream(err, true));
        assertEquals(1, code);
        assertTrue(err.toString().contains("cannot reach the admin listener at 127.0.0.1:" + port), err.toString());
    }
}
