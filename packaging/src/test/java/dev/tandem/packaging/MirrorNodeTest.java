package dev.tandem.packaging;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.transport.Transport;
import java.net.DatagramSocket;
import java.net.InetAddress;
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
 * Two nodes in this process, each with its own directory and config file (the same text), a cluster without
 * VIPs over loopback (127.0.0.41 and .42) and a mirror of the config and a static root: what the mirror does
 * to a running node (reload, static files served at once, status, the CLI's table).
 */
class MirrorNodeTest {

    @TempDir
    Path dir;
    private TestBackend one;
    private TestBackend two;
    private int port;
    private Node a;
    private Node b;

    @BeforeEach
    void backends() throws Exception {
        one = TestBackend.start("one");
        two = TestBackend.start("two");
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        byte[] key = "0123456789abcdef0123456789abcdef".getBytes();
        for (String n : List.of("a", "b")) {
            Files.createDirectories(dir.resolve(n).resolve("www"));
            Files.write(dir.resolve(n).resolve("cluster.key"), key);
        }
    }

    @AfterEach
    void stop() {
        for (Node n : new Node[]{a, b}) {
            if (n != null) {
                n.stop(Duration.ZERO);
            }
        }
        one.close();
        two.close();
    }

    private String config(TestBackend backend) {
        return TestNodes.config("- { address: \"" + backend.address() + "\" }", """
                cluster:
                  nodes: {a: 127.0.0.41, b: 127.0.0.42}
                  port: %d
                  secret_file: cluster.key
                  mirror:
                    paths: [tandem.yaml, www]
                    state_dir: state
                    debounce: 20ms
                """.formatted(port)).replace("""
                    upstream: web
                """, """
                    upstream: web
                    static:
                      root: www
                      match: '\\.html$'
                      open_file_cache: {valid: 1h}
                """);
    }

    private Node start(String name, String yaml) throws Exception {
        Path file = dir.resolve(name).resolve("tandem.yaml");
        if (!Files.exists(file)) {
            Files.writeString(file, yaml);
        }
        return Node.start(file, Transport.detect(), name);
    }

    private static String get(Node n, String path) throws Exception {
        return TestNodes.get(TestNodes.proxyUrl(n, path)).body();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> mirror(Node n) throws Exception {
        return (Map<String, Object>) TestNodes.status(n).get("mirror");
    }

    @Test
    void aConfigEditOnOneNodeIsReloadedOnBothAndStaticFilesAreServedAtOnce() throws Exception {
        a = start("a", config(one));
        b = start("b", config(one));
        await().atMost(20, TimeUnit.SECONDS).until(() -> mirror(a).get("first_sync") != null
                && mirror(b).get("first_sync") != null);
        assertEquals("one", get(b, "/"));
        assertFalse(a.watching(), "with a mirror, the mirror reloads the config, not the node's own watcher");

        TestNodes.replaceFile(dir.resolve("a/tandem.yaml"), config(two));
        await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20)).until(() -> get(b, "/").equals("two"));
        await().atMost(5, TimeUnit.SECONDS).until(() -> get(a, "/").equals("two"));
        assertEquals(2L, ((Number) ((Map<?, ?>) TestNodes.status(b).get("config")).get("version")).longValue());

        // a missed page (the backend answers, and the miss is cached for an hour), then the page made on a
        assertEquals("two", get(b, "/page.html"));
        Files.writeString(dir.resolve("a/www/page.html"), "static page");
        await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20))
                .until(() -> get(b, "/page.html").equals("static page"));

        await().atMost(10, TimeUnit.SECONDS).until(() -> {
            Map<String, Object> m = mirror(b);
            return ((List<?>) m.get("peers")).stream().allMatch(p -> Boolean.TRUE.equals(((Map<?, ?>) p).get("in_sync")));
        });
        Map<String, Object> m = mirror(b);
        assertEquals("synced with a", m.get("first_sync"));
        Map<?, ?> config = (Map<?, ?>) ((List<?>) m.get("paths")).get(0);
        assertEquals("tandem.yaml", config.get("id"));
        assertEquals("a", config.get("origin"));
        String table = StatusCommand.StatusTable.render(TestNodes.status(b));
        assertTrue(table.contains("mirror    first sync: synced with a"), table);
        assertTrue(table.contains("tandem.yaml"), table);
        assertTrue(table.contains("a=in sync"), table);
        assertTrue(table.contains("peer      a: sending, receiving, in sync"), table);
        String metrics = TestNodes.get(TestNodes.adminUrl(b, "/metrics")).body();
        assertTrue(metrics.contains("tandem_mirror_files_total{direction=\"received\"}"), metrics);
        assertTrue(metrics.contains("tandem_mirror_lag_seconds{peer=\"a\"} 0.0"), metrics);
        assertTrue(metrics.contains("tandem_mirror_bytes_total{direction=\"received\"}"), metrics);
        assertTrue(metrics.contains("tandem_mirror_in_sync{peer=\"a\"} 1.0"), metrics);
        assertTrue(metrics.contains("tandem_mirror_tracked_files 2.0"), metrics);
    }

    @Test
    void anInvalidEditIsRefusedAndShownAndTheRunningConfigStays() throws Exception {
        a = start("a", config(one));
        b = start("b", config(one));
        await().atMost(20, TimeUnit.SECONDS).until(() -> mirror(a).get("first_sync") != null
                && mirror(b).get("first_sync") != null);
        TestNodes.replaceFile(dir.resolve("a/tandem.yaml"), config(two).replace("upstream: web", "upstream: wbe"));
        await().atMost(10, TimeUnit.SECONDS).until(() -> mirror(a).get("config_rejected") != null);
        Map<?, ?> rejected = (Map<?, ?>) mirror(a).get("config_rejected");
        List<?> errors = (List<?>) rejected.get("errors");
        assertTrue(errors.stream().anyMatch(e -> String.valueOf(e).contains("tandem.yaml:7:")
                && String.valueOf(e).contains("'wbe'")), errors.toString());
        await().during(500, TimeUnit.MILLISECONDS).atMost(3, TimeUnit.SECONDS)
                .until(() -> get(a, "/").equals("one") && get(b, "/").equals("one"));
        String table = StatusCommand.StatusTable.render(TestNodes.status(a));
        assertTrue(table.contains("edited here, not valid: not sent, not applied"), table);
        String metrics = TestNodes.get(TestNodes.adminUrl(a, "/metrics")).body();
        assertTrue(metrics.contains("tandem_mirror_rejected_total{reason=\"invalid_config\"} 1.0"), metrics);
        assertNotNull(mirror(b).get("paths"));
    }
}
