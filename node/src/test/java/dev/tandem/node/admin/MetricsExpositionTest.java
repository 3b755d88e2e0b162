package dev.tandem.node.admin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.node.wiring.Node;
import dev.tandem.node.wiring.TestBackend;
import dev.tandem.node.wiring.TestNodes;
import dev.tandem.testkit.RawHttpClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real scrape of a node that has served, retried, failed and lost a client: every metric the README promises
 * is there, every histogram has the same 15 buckets, the exposition passes {@code promtool check metrics}, and
 * the admin listener answers gzip and OpenMetrics when asked.
 */
class MetricsExpositionTest {

    private static final Pattern BUCKET = Pattern.compile("^(\\w+)_bucket\\{(.*)le=\"([^\"]+)\"", Pattern.MULTILINE);

    private TestBackend backend;
    private Node node;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        backend = TestBackend.start("A");
        // web: a server that refuses (127.0.0.1:1) beside a real one, so a request is retried; gone: only a
        // refusing server, which its health check soon says is down: then there is no server available.
        node = TestNodes.start(dir, """
                workers: 1
                listeners:
                  - name: http
                    bind: 127.0.0.1:0
                sites:
                  - hosts: [gone.test]
                    upstream: gone
                  - hosts: ["*"]
                    upstream: web
                upstreams:
                  web:
                    servers:
                      - { address: "127.0.0.1:1" }
                      - { address: "%s" }
                    retries: 1
                    keepalive: 4
                    health: { tcp: true, interval: 1s }
                  gone:
                    servers: [{ address: "127.0.0.1:2" }]
                    retries: 0
                    health: { tcp: true, interval: 100ms, fall: 1 }
                admin:
                  bind: 127.0.0.1:0
                """.formatted(backend.address()));
        for (int i = 0; i < 4; i++) {
            assertEquals(200, TestNodes.get(TestNodes.proxyUrl(node, "/")).statusCode());
        }
        assertEquals(200, TestNodes.post(TestNodes.proxyUrl(node, "/"), "hello").statusCode());
        await().atMost(Duration.ofSeconds(20)).until(() -> !node.proxy().config().upstream("gone").anyAvailable(System.nanoTime()));
        assertEquals(503, gone());
        // A client that gives up while its request is at the server.
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", node.proxy().boundAddress("http").getPort()));
            s.getOutputStream().write("GET /held HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.requests() >= 6);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> scrape().contains("tandem_client_aborts_total{listener=\"http\",site=\"*\"} 1.0"));
        backend.release();
    }

    /** A request for site gone.test (the JDK's client sets no Host of its own choosing). */
    private int gone() throws IOException {
        try (RawHttpClient c = RawHttpClient.connect(node.proxy().boundAddress("http"))) {
            c.timeout(Duration.ofSeconds(10)).send("GET / HTTP/1.1\r\nHost: gone.test\r\nConnection: close\r\n\r\n");
            return c.read().status();
        }
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.stop(Duration.ZERO);
        }
        if (backend != null) {
            backend.close();
        }
    }

    private String scrape() throws IOException, InterruptedException {
        HttpResponse<String> r = TestNodes.get(TestNodes.adminUrl(node, "/metrics"));
        assertEquals(200, r.statusCode());
        return r.body();
    }

    @Test
    void everyDocumentedMetricIsScraped() throws Exception {
        String m = scrape();
        for (String name : new String[] {
            // Micrometer's binders
            "jvm_memory_used_bytes{", "jvm_gc_", "jvm_threads_live_threads ", "jvm_classes_loaded_classes ",
            "process_files_open_files ", "process_files_max_files ", "process_cpu_usage ", "system_cpu_processors ",
            "process_uptime_seconds ", "process_start_time_seconds ",
            // ours
            "tandem_build_info{java_vendor=", "tandem_responses_total{code=\"200\",listener=\"http\",site=\"*\"} 5.0",
            "tandem_responses_total{code=\"503\",listener=\"http\",site=\"gone.test\"} 1.0",
            "tandem_responses_total{code=\"499\",listener=\"http\",site=\"*\"} 1.0",
            "tandem_upstream_responses_total{code=\"200\",server=\"" + backend.address() + "\",upstream=\"web\"} 5.0",
            "tandem_received_bytes_total{listener=\"http\",site=\"*\"} 5.0",
            "tandem_sent_bytes_total{listener=\"http\",site=\"*\"} 5.0",
            "tandem_upstream_sent_bytes_total{server=\"" + backend.address() + "\",upstream=\"web\"} 5.0",
            "tandem_upstream_received_bytes_total{server=\"" + backend.address() + "\",upstream=\"web\"} 5.0",
            "tandem_upstream_connect_seconds_bucket{server=\"" + backend.address() + "\",upstream=\"web\",le=\"0.001\"}",
            "tandem_upstream_first_byte_seconds_bucket{server=\"" + backend.address() + "\",upstream=\"web\",le=\"0.001\"}",
            "tandem_upstream_retries_total{server=\"127.0.0.1:1\",upstream=\"web\"} 1.0",
            "tandem_upstream_unavailable_total{listener=\"http\",site=\"gone.test\",upstream=\"gone\"} 1.0",
            "tandem_client_aborts_total{listener=\"http\",site=\"*\"} 1.0",
            "tandem_upstream_connections{server=\"" + backend.address() + "\",state=\"idle\",upstream=\"web\"}",
            "tandem_upstream_connections{server=\"" + backend.address() + "\",state=\"in_use\",upstream=\"web\"}",
            "tandem_upstream_connections_opened_total{server=\"" + backend.address() + "\",upstream=\"web\"}",
            "tandem_upstream_connections_reused_total{server=\"" + backend.address() + "\",upstream=\"web\"}",
            "tandem_health_check_duration_seconds_bucket{",
        }) {
            assertTrue(m.contains(name), name + " missing from:\n" + m);
        }
        // Requests one after the other on one event loop: a kept-alive connection is reused.
        assertTrue(!m.contains("tandem_upstream_connections_reused_total{server=\"" + backend.address()
                + "\",upstream=\"web\"} 0.0"), m);
    }

    @Test
    void everyHistogramHasTheSame15Buckets() throws Exception {
        Map<String, Set<String>> les = new TreeMap<>();
        Matcher b = BUCKET.matcher(scrape());
        while (b.find()) {
            les.computeIfAbsent(b.group(1) + "{" + b.group(2), k -> new TreeSet<>()).add(b.group(3));
        }
        assertTrue(les.keySet().stream().anyMatch(k -> k.startsWith("tandem_health_check_duration_seconds")), les.toString());
        Set<String> standard = null;
        for (Map.Entry<String, Set<String>> h : les.entrySet()) {
            assertEquals(16, h.getValue().size(), h.getKey() + " has buckets " + h.getValue() + " (15 and +Inf expected)");
            if (standard == null) {
                standard = h.getValue();
            }
            assertEquals(standard, h.getValue(), h.getKey());
        }
    }

    @Test
    void promtoolFindsNothingWrong() throws Exception {
        Path promtool = Path.of("/usr/bin/promtool");
        assumeTrue(Files.isExecutable(promtool),
                "promtool is not installed (Debian package prometheus; .ci/run installs it): exposition not checked");
        String m = scrape();
        // Kept as test output: what an operator's Prometheus would see.
        Files.writeString(Path.of("target", "metrics-scrape.txt"), m);
        Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(m.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals(0, p.exitValue(), out);
        assertEquals("", out.strip(), "promtool check metrics:\n" + out);
    }

    @Test
    void gzipWhenTheScraperAcceptsIt() throws Exception {
        HttpResponse<byte[]> r = TestNodes.CLIENT.send(HttpRequest.newBuilder(URI.create(TestNodes.adminUrl(node, "/metrics")))
                .header("Accept-Encoding", "gzip").timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertEquals("gzip", r.headers().firstValue("Content-Encoding").orElse(""));
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(r.body()))) {
            in.transferTo(text);
        }
        assertTrue(text.size() > 4 * r.body().length, "compressed " + text.size() + " bytes to " + r.body().length);
        assertTrue(text.toString(StandardCharsets.UTF_8).contains("# TYPE tandem_requests_total counter"));
    }

    @Test
    void openMetricsWhenTheScraperAsksForIt() throws Exception {
        HttpResponse<String> r = TestNodes.send("GET", TestNodes.adminUrl(node, "/metrics"), null,
                Map.of("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text; version=1.0.0"),
                r.headers().toString());
        assertTrue(r.body().endsWith("# EOF\n"), r.body());
        assertTrue(r.body().contains("# TYPE tandem_requests counter"), r.body());

        HttpResponse<String> plain = TestNodes.get(TestNodes.adminUrl(node, "/metrics"));
        assertEquals(MetricsExposition.PROMETHEUS_TEXT, plain.headers().firstValue("Content-Type").orElse(""));
    }
}
