package dev.tandem.node.wiring;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.node.admin.Json;
import dev.tandem.node.reload.ReloadResult;
import dev.tandem.node.reload.Signals;
import java.net.ConnectException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way in for a new config: the API, a change of the file, SIGHUP. A config that does not validate
 * changes nothing and is reported (API response, /status, metric); one that does is applied, including
 * listeners added and removed.
 */
class ReloadPathsTest {

    private static final String BROKEN = """
            listeners:
              - name: http
                bind: 127.0.0.1:0
            upstreams:
              web:
                servers: [{address: "127.0.0.1:1", wieght: 2}]
            """;

    @TempDir
    Path dir;
    private TestBackend a;
    private TestBackend b;
    private Node node;
    private Path file;
    private String good;

    @BeforeEach
    void start() throws Exception {
        a = TestBackend.start("a");
        b = TestBackend.start("b");
        good = TestNodes.config(TestNodes.server(a, 1), "");
        node = TestNodes.start(dir, good);
        file = dir.resolve("tandem.yaml");
    }

    @AfterEach
    void stop() {
        node.stop(Duration.ofSeconds(2));
        a.close();
        b.close();
    }

    private void assertOldConfigServes() throws Exception {
        HttpResponse<String> r = TestNodes.get(TestNodes.proxyUrl(node, "/"));
        assertEquals(200, r.statusCode());
        assertEquals("a", r.body());
        assertEquals(1, node.reloader().current().version());
    }

    private double rejectedMetric() throws Exception {
        var families = PrometheusText.parse(TestNodes.get(TestNodes.adminUrl(node, "/metrics")).body());
        return families.get("tandem_config_reloads_total").samples().stream()
                .filter(s -> "rejected".equals(s.labels().get("result"))).mapToDouble(PrometheusText.Sample::value).sum();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> lastReload() throws Exception {
        return (Map<String, Object>) ((Map<String, Object>) TestNodes.status(node).get("config")).get("last_reload");
    }

    @Test
    @SuppressWarnings("unchecked")
    void invalidConfigThroughTheApiIsRefusedWithItsErrors() throws Exception {
        Files.writeString(file, BROKEN);
        HttpResponse<String> r = TestNodes.post(TestNodes.adminUrl(node, "/api/reload"), "");

        assertEquals(422, r.statusCode());
        Map<String, Object> body = (Map<String, Object>) Json.parse(r.body());
        assertEquals("rejected", body.get("result"));
        List<Map<String, Object>> errors = (List<Map<String, Object>>) body.get("errors");
        assertEquals(1, errors.size());
        assertEquals(file + ":6:40: upstreams.web.servers[0]: unknown key 'wieght' (did you mean 'weight'?)",
                errors.get(0).get("text"));
        assertEquals(6L, errors.get(0).get("line"));
        // The file watcher may refuse the same file too.
        assertTrue(rejectedMetric() >= 1.0);
        assertEquals("rejected", lastReload().get("result"));
        assertTrue(lastReload().get("errors").toString().contains("unknown key 'wieght'"));
        assertOldConfigServes();
    }

    @Test
    void validConfigThroughTheApiIsApplied() throws Exception {
        Files.writeString(file, TestNodes.config(TestNodes.server(b, 1), ""));
        HttpResponse<String> r = TestNodes.post(TestNodes.adminUrl(node, "/api/reload"), "");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("b", TestNodes.get(TestNodes.proxyUrl(node, "/")).body());
        assertEquals(2, node.reloader().current().version());
    }

    @Test
    void invalidFileChangeIsRefusedAndValidOneApplied() throws Exception {
        TestNodes.replaceFile(file, BROKEN);
        await().atMost(Duration.ofSeconds(10)).until(() -> "rejected".equals(lastReload().get("result")));
        assertEquals("file", lastReload().get("trigger"));
        assertEquals(1.0, rejectedMetric());
        assertOldConfigServes();

        TestNodes.replaceFile(file, TestNodes.config(TestNodes.server(b, 1), ""));
        await().atMost(Duration.ofSeconds(10)).until(() -> node.reloader().current().version() == 2);
        assertEquals("b", TestNodes.get(TestNodes.proxyUrl(node, "/")).body());
        assertEquals("ok", lastReload().get("result"));
    }

    @Test
    void fileWrittenInPlaceIsSeenToo() throws Exception {
        Files.writeString(file, TestNodes.config(TestNodes.server(b, 1), ""));
        await().atMost(Duration.ofSeconds(10)).until(() -> node.reloader().current().version() == 2);
        assertEquals("b", TestNodes.get(TestNodes.proxyUrl(node, "/")).body());
    }

    @Test
    void invalidConfigThroughSighupIsRefused() throws Exception {
        try (Signals signals = Signals.install(() -> node.reload("SIGHUP"), () -> { })) {
            // The watcher must not get there first: the file is replaced while no watcher runs.
            node.stop(Duration.ZERO);
            node = TestNodes.start(dir, good);
            Files.writeString(dir.resolve("other.yaml"), BROKEN);
            signals.close();
            try (Signals again = Signals.install(() -> node.reload("SIGHUP"), () -> { })) {
                Files.move(dir.resolve("other.yaml"), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                Signals.raise("HUP");
                await().atMost(Duration.ofSeconds(10)).until(() -> "SIGHUP".equals(lastReload().get("trigger"))
                        || "file".equals(lastReload().get("trigger")));
                await().atMost(Duration.ofSeconds(10)).until(() -> rejectedMetric() >= 1.0);
                assertEquals("rejected", lastReload().get("result"));
                assertOldConfigServes();
            }
        }
    }

    @Test
    void sighupReloadsTheFile() throws Exception {
        try (Signals signals = Signals.install(() -> node.reload("SIGHUP"), () -> { })) {
            Files.writeString(file, TestNodes.config(TestNodes.server(b, 1), ""));
            Signals.raise("HUP");
            await().atMost(Duration.ofSeconds(10)).until(() -> node.reloader().current().version() >= 2);
            assertEquals("b", TestNodes.get(TestNodes.proxyUrl(node, "/")).body());
        }
    }

    @Test
    void listenerAddedAndRemovedByReload() throws Exception {
        String withExtra = good.replace("""
                listeners:
                  - name: http
                    bind: 127.0.0.1:0
                """, """
                listeners:
                  - name: http
                    bind: 127.0.0.1:0
                  - name: extra
                    bind: 127.0.0.2:0
                """);
        Files.writeString(file, withExtra);
        ReloadResult added = node.reload("test").get(10, TimeUnit.SECONDS);
        assertTrue(added.ok(), added::toString);
        int httpPort = node.proxy().boundAddress("http").getPort();
        var extra = node.proxy().boundAddress("extra");
        assertNotNull(extra);
        assertEquals("a", TestNodes.get("http://127.0.0.2:" + extra.getPort() + "/").body());
        assertTrue(TestNodes.status(node).get("listeners").toString().contains("extra"));

        Files.writeString(file, good);
        ReloadResult removed = node.reload("test").get(10, TimeUnit.SECONDS);
        assertTrue(removed.ok(), removed::toString);
        assertNull(node.proxy().boundAddress("extra"));
        assertEquals(httpPort, node.proxy().boundAddress("http").getPort(), "the kept listener was not reopened");
        assertThrows(ConnectException.class, () -> TestNodes.get("http://127.0.0.2:" + extra.getPort() + "/"));
        assertEquals("a", TestNodes.get(TestNodes.proxyUrl(node, "/")).body());
    }

    @Test
    void listenerMovedToAnotherAddressByReload() throws Exception {
        int oldPort = node.proxy().boundAddress("http").getPort();
        Files.writeString(file, good.replace("bind: 127.0.0.1:0", "bind: 127.0.0.2:0"));
        ReloadResult moved = node.reload("test").get(10, TimeUnit.SECONDS);
        assertTrue(moved.ok(), moved::toString);
        var now = node.proxy().boundAddress("http");
        assertEquals("127.0.0.2", now.getAddress().getHostAddress());
        assertEquals("a", TestNodes.get("http://127.0.0.2:" + now.getPort() + "/").body());
        assertThrows(ConnectException.class, () -> TestNodes.get("http://127.0.0.1:" + oldPort + "/"));
    }

    @Test
    void listenerThatCannotBindRejectsTheWholeReload() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            String clash = TestNodes.config(TestNodes.server(b, 1), "").replace("""
                      - name: http
                        bind: 127.0.0.1:0
                    """, """
                      - name: http
                        bind: 127.0.0.1:0
                      - name: clash
                        bind: 127.0.0.1:%d
                    """.formatted(taken.getLocalPort()));
            Files.writeString(file, clash);
            ReloadResult r = node.reload("test").get(10, TimeUnit.SECONDS);
            assertEquals(ReloadResult.Outcome.REJECTED, r.outcome());
            assertTrue(r.message().contains("cannot bind"), r.message());
            assertNull(node.proxy().boundAddress("clash"));
            assertOldConfigServes();
        }
    }
}
