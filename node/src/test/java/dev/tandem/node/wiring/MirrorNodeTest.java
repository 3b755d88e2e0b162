package dev.tandem.node.wiring;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.node.cli.StatusCommand;
import dev.tandem.proxy.transport.Transport;
import dev.tandem.testkit.TestCertificates;
import java.math.BigInteger;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes in this process, each with its own directory and config file (the same text), a cluster without
 * VIPs over loopback (127.0.0.41 and .42) and a mirror of the config, a static root and (with TLS) the
 * certificates: what the mirror does to a running node (reload, static files served at once, certificates
 * served anew, status, the CLI's table).
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
        return config(backend, "[tandem.yaml, www]");
    }

    private String config(TestBackend backend, String paths) {
        return TestNodes.config("- { address: \"" + backend.address() + "\" }", """
                cluster:
                  nodes: {a: 127.0.0.41, b: 127.0.0.42}
                  port: %d
                  secret_file: cluster.key
                  state_dir: cluster-state
                  mirror:
                    paths: %s
                    state_dir: state
                    debounce: 20ms
                """.formatted(port, paths)).replace("""
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

        // the status and its gauges are published a moment after the file is in place (and "in sync" may still
        // be the one from before the page was made): wait for the page to be counted
        await().atMost(10, TimeUnit.SECONDS).until(() -> {
            Map<String, Object> m = mirror(b);
            return ((List<?>) m.get("peers")).stream().allMatch(p -> Boolean.TRUE.equals(((Map<?, ?>) p).get("in_sync")))
                    && TestNodes.get(TestNodes.adminUrl(b, "/metrics")).body().contains("tandem_mirror_tracked_files 2.0");
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
        // every error, at its place in the file: FILE:LINE:COL: message
        String file = dir.resolve("a/tandem.yaml").toRealPath().toString();
        assertTrue(table.lines().anyMatch(l -> l.strip().startsWith(file + ":7:") && l.contains("'wbe'")), table);
        String metrics = TestNodes.get(TestNodes.adminUrl(a, "/metrics")).body();
        assertTrue(metrics.contains("tandem_mirror_rejected_total{reason=\"invalid_config\"} 1.0"), metrics);
        assertNotNull(mirror(b).get("paths"));
    }

    /** A TLS listener serving {@code certs/site.pem} for site.test, beside the plain one. */
    private String tlsConfig(TestBackend backend) {
        return config(backend, "[tandem.yaml, www, certs]").replace("""
                listeners:
                  - name: http
                    bind: 127.0.0.1:0
                """, """
                listeners:
                  - name: http
                    bind: 127.0.0.1:0
                  - name: https
                    bind: 127.0.0.1:0
                    tls:
                      certificates:
                        - { cert: certs/site.pem, key: certs/site.key }
                """);
    }

    /** The serial number of the certificate node {@code n} serves for site.test. */
    private static BigInteger servedSerial(Node n, SSLContext client) throws Exception {
        int https = n.proxy().boundAddress("https").getPort();
        try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", https)) {
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName("site.test")));
            s.setSSLParameters(p);
            s.setSoTimeout(5000);
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    @Test
    void aCertificateReplacedOnOneNodeIsServedByTheOther() throws Exception {
        TestCertificates ca = TestCertificates.authority("Mirror test CA");
        TestCertificates.Issued first = ca.issue("site.test", "site.test");
        for (String n : List.of("a", "b")) {
            Path certs = Files.createDirectories(dir.resolve(n).resolve("certs"));
            first.write(certs.resolve("site.pem"), certs.resolve("site.key"));
        }
        a = start("a", tlsConfig(one));
        b = start("b", tlsConfig(one));
        await().atMost(20, TimeUnit.SECONDS).until(() -> mirror(a).get("first_sync") != null
                && mirror(b).get("first_sync") != null);
        assertEquals(first.certificate().getSerialNumber(), servedSerial(b, ca.clientContext()));

        // renewed on a, with a new key: b serves it, without a restart or a reload of its config
        TestCertificates.Issued second = ca.issue("site.test", "site.test");
        second.write(dir.resolve("a/certs/site.pem"), dir.resolve("a/certs/site.key"));
        await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50))
                .until(() -> second.certificate().getSerialNumber().equals(servedSerial(b, ca.clientContext())));
        assertEquals(Files.readString(dir.resolve("a/certs/site.key")), Files.readString(dir.resolve("b/certs/site.key")));
        assertEquals(1L, ((Number) ((Map<?, ?>) TestNodes.status(b).get("config")).get("version")).longValue(),
                "the certificate alone changed: no config reload");
        // a, where it was renewed, serves it too (read again by its own certificate watcher)
        await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50))
                .until(() -> second.certificate().getSerialNumber().equals(servedSerial(a, ca.clientContext())));
        String metrics = TestNodes.get(TestNodes.adminUrl(b, "/metrics")).body();
        assertTrue(metrics.contains("tandem_tls_certificate_reloads_total{listener=\"https\",result=\"ok\"}"), metrics);
    }

    @Test
    void aMirrorOfOtherPathsLeavesTheConfigFileToTheNodesOwnWatcher() throws Exception {
        a = start("a", config(one, "[www]"));
        await().atMost(20, TimeUnit.SECONDS).until(() -> mirror(a).get("first_sync") != null);
        assertTrue(a.watching(), "the mirror does not cover the config file: the node watches it");
        TestNodes.replaceFile(dir.resolve("a/tandem.yaml"), config(two, "[www]"));
        await().atMost(10, TimeUnit.SECONDS).until(() -> get(a, "/").equals("two"));
    }
}
