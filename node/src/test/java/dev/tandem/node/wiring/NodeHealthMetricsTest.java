package dev.tandem.node.wiring;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.transport.Transport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's health signal and the health meters as Prometheus shows them. */
class NodeHealthMetricsTest {

    @Test
    void aNodeWhoseOnlyServerRefusesCannotServeAndSaysSoInItsMetrics(@TempDir Path dir) throws Exception {
        TestBackend backend = TestBackend.start("web");
        String server = backend.address();
        Path config = dir.resolve("tandem.yaml");
        // The admin listener on a port of its own: another node on this host may hold the default.
        Files.writeString(config, """
                workers: 1
                listeners:
                  - name: http
                    bind: 127.0.0.1:0
                sites:
                  - hosts: ["*"]
                    upstream: web
                upstreams:
                  web:
                    servers: [{address: "%s"}]
                    health: {tcp: true, interval: 50ms, fall: 2}
                admin:
                  bind: 127.0.0.1:0
                """.formatted(server));
        Node node = Node.start(config, Transport.detect());
        AtomicInteger notified = new AtomicInteger();
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> node.nodeHealth().canServe());
            node.nodeHealth().addListener(notified::incrementAndGet);
            // its only server goes away: every check is refused
            backend.close();
            await().atMost(Duration.ofSeconds(20)).until(() -> !node.nodeHealth().canServe());
            assertEquals("upstream 'web' has no server up", node.nodeHealth().reason());
            // told just after the verdict is in place (a reader may see the verdict first), and once
            await().atMost(Duration.ofSeconds(5)).until(() -> notified.get() >= 1);
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> notified.get() == 1);

            String scrape = node.meters().scrape();
            String labels = "server=\"" + server + "\",upstream=\"web\"";
            assertTrue(scrape.contains("tandem_upstream_server_up{" + labels + "} 0.0"), scrape);
            assertTrue(scrape.contains("tandem_health_transitions_total{server=\"" + server
                    + "\",to=\"down\",upstream=\"web\"} 1.0"), scrape);
            assertTrue(scrape.contains("tandem_health_checks_total{outcome=\"refused\"," + labels + "}"), scrape);
            assertTrue(scrape.contains("tandem_health_check_duration_seconds_bucket{" + labels + ",le="), scrape);
        } finally {
            node.stop(Duration.ZERO);
            backend.close();
        }
        assertFalse(node.nodeHealth().canServe());
        assertEquals("stopping", node.nodeHealth().reason());
    }

    @Test
    void withoutActiveChecksBackendsThatRefuseEveryConnectionMakeTheNodeUnableToServe(@TempDir Path dir)
            throws Exception {
        // Nothing listens on port 1 or 2: every connection is refused. No health checks are configured.
        Node node = TestNodes.start(dir, TestNodes.config("""
                - { address: "127.0.0.1:1" }
                - { address: "127.0.0.1:2" }""", ""));
        try {
            assertTrue(node.nodeHealth().canServe(), "unchecked servers count as up until traffic says otherwise");
            Map<String, Object> before = TestNodes.status(node);
            assertEquals(true, ((Map<?, ?>) before.get("node")).get("can_serve"));
            // live traffic: each request fails on one server (retries: 0), max_fails 1 takes it out
            for (int i = 0; i < 2; i++) {
                assertEquals(502, TestNodes.get(TestNodes.proxyUrl(node, "/")).statusCode());
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> !node.nodeHealth().canServe());
            assertEquals("upstream 'web' has no server up (taken out by passive failures: max_fails within fail_timeout)",
                    node.nodeHealth().reason());
            Map<?, ?> status = (Map<?, ?>) TestNodes.status(node).get("node");
            assertEquals(false, status.get("can_serve"));
            assertEquals(node.nodeHealth().reason(), status.get("health_reason"));
        } finally {
            node.stop(Duration.ZERO);
        }
    }
}
