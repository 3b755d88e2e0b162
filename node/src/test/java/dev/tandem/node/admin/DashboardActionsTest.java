package dev.tandem.node.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.node.wiring.Node;
import dev.tandem.node.wiring.TestBackend;
import dev.tandem.node.wiring.TestNodes;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's actions on a live node, as a browser and as the command line send them: the admin token as a
 * header, and from a browser a CSRF token of this listener and a same-origin request; another site's page is
 * refused even on a listener with no token; and the timeline and the cluster view say what happened.
 */
class DashboardActionsTest {

    @Test
    void actionsNeedTheTokenAndFromABrowserACsrfTokenAndTheSameOrigin(@TempDir Path dir) throws Exception {
        try (TestBackend a = TestBackend.start("a")) {
            Node node = TestNodes.start(dir, TestNodes.config(TestNodes.server(a, 1), "").replace(
                    "admin:\n  bind: 127.0.0.1:0", "admin:\n  bind: 127.0.0.1:0\n  token: t0ken"));
            try {
                String host = "127.0.0.1:" + node.adminAddress().getPort();
                String drain = TestNodes.adminUrl(node, "/api/upstreams/web/servers/" + a.address() + "/drain");
                Map<String, String> bearer = Map.of("Authorization", "Bearer t0ken");

                // Another site's page: refused before anything runs, token or not.
                assertEquals(403, TestNodes.send("POST", drain, "", Map.of("Origin", "https://evil.example",
                        "Sec-Fetch-Site", "cross-site", "Authorization", "Bearer t0ken")).statusCode());
                assertEquals(403, TestNodes.send("GET", TestNodes.adminUrl(node, "/api/session"), null,
                        Map.of("Sec-Fetch-Site", "cross-site", "Authorization", "Bearer t0ken")).statusCode());
                // The page itself, without its CSRF token: refused; the session route wants the admin token.
                Map<String, String> page = Map.of("Origin", "http://" + host, "Sec-Fetch-Site", "same-origin",
                        "Authorization", "Bearer t0ken");
                assertEquals(403, TestNodes.send("POST", drain, "", page).statusCode());
                assertEquals(401, TestNodes.send("GET", TestNodes.adminUrl(node, "/api/session"), null,
                        Map.of("Sec-Fetch-Site", "same-origin")).statusCode());
                HttpResponse<String> session = TestNodes.send("GET", TestNodes.adminUrl(node, "/api/session"), null,
                        Map.of("Sec-Fetch-Site", "same-origin", "Authorization", "Bearer t0ken"));
                assertEquals(200, session.statusCode(), session.body());
                String csrf = (String) ((Map<?, ?>) Json.parse(session.body())).get("csrf");
                Map<String, String> withCsrf = new java.util.HashMap<>(page);
                withCsrf.put("X-Tandem-CSRF", csrf);
                assertEquals(200, TestNodes.send("POST", drain, "", withCsrf).statusCode());
                // The command line: the admin token alone.
                assertEquals(200, TestNodes.send("POST", drain.replace("/drain", "/undrain"), "", bearer).statusCode());
                assertEquals(401, TestNodes.send("POST", drain, "", Map.of()).statusCode());

                // The calls are on the timeline as they were made, the refused ones too.
                String path = "/api/upstreams/web/servers/" + a.address();
                List<String> texts = texts(node);
                assertTrue(texts.stream().anyMatch(t -> t.startsWith("POST " + path + "/drain → 200")), texts.toString());
                assertTrue(texts.stream().anyMatch(t -> t.startsWith("POST " + path + "/undrain → 200")), texts.toString());
                assertTrue(texts.stream().anyMatch(t -> t.startsWith("POST " + path + "/drain → 403")), texts.toString());
                Map<?, ?> cluster = (Map<?, ?>) Json.parse(TestNodes.get(TestNodes.adminUrl(node, "/api/cluster")).body());
                List<?> nodes = (List<?>) cluster.get("nodes");
                assertEquals(1, nodes.size(), "no cluster: this node alone");
                assertEquals(true, ((Map<?, ?>) nodes.get(0)).get("self"));
            } finally {
                node.stop(Duration.ofSeconds(2));
            }
        }
    }

    private static List<String> texts(Node node) throws Exception {
        Map<?, ?> events = (Map<?, ?>) Json.parse(TestNodes.get(TestNodes.adminUrl(node, "/api/events")).body());
        return ((List<?>) events.get("events")).stream().map(e -> (String) ((Map<?, ?>) e).get("text")).toList();
    }
}
