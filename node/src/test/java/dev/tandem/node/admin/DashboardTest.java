package dev.tandem.node.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.tandem.node.wiring.Node;
import dev.tandem.node.wiring.TestBackend;
import dev.tandem.node.wiring.TestNodes;
import dev.tandem.proxy.transport.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard rendered by a real browser (Debian's headless Chromium, run with --no-sandbox: the tests run as
 * root, where Chromium's sandbox refuses to start) against live nodes: the DOM after the page's scripts ran must
 * hold what an operator needs, and screenshots at a desktop and a phone width are kept in target/screenshots for
 * people to look at. At 390 px the page itself writes its scroll width into the DOM, which must not exceed 390.
 * Nothing the page needs comes from outside the node (no CDN): the browser runs with no network beyond loopback.
 */
class DashboardTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path SHOTS = Path.of("target", "screenshots");
    private static final Pattern SERVER_ROW = Pattern.compile(
            "<tr class=\"server-row\" data-upstream=\"web\" data-server=\"([^\"]+)\">(.*?)</tr>");
    private static final Pattern PHONE_WIDTHS = Pattern.compile("<output id=\"widths\">(\\d+) (\\d+)</output>");

    @Test
    void dashboardRendersTheUpstreamServersInABrowser(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "skipped: " + CHROMIUM + " is missing (apt-get install chromium)");
        try (TestBackend a = TestBackend.start("a"); TestBackend b = TestBackend.start("b")) {
            Node node = TestNodes.start(dir, TestNodes.config(TestNodes.server(a, 2) + "\n" + TestNodes.server(b, 1), ""));
            try {
                for (int i = 0; i < 6; i++) {
                    assertEquals(200, TestNodes.get(TestNodes.proxyUrl(node, "/")).statusCode());
                }
                TestNodes.send("POST", TestNodes.adminUrl(node, "/api/upstreams/web/servers/" + b.address() + "/drain"),
                        "", Map.of());
                String url = TestNodes.adminUrl(node, "/dashboard");

                String dom = chromium(dir, "--dump-dom", url);
                List<String> servers = new ArrayList<>();
                Matcher m = SERVER_ROW.matcher(dom);
                while (m.find()) {
                    servers.add(m.group(1));
                    String row = m.group(2);
                    String state = m.group(1).equals(b.address()) ? "drained" : "unchecked";
                    assertTrue(row.contains("<span class=\"badge " + state + "\">" + state + "</span>"), row);
                }
                assertEquals(List.of(a.address(), b.address()), servers, dom);
                assertTrue(row(dom, b.address()).contains("drained by an operator"), "why the server takes no traffic");
                assertTrue(dom.contains("no cluster"), "cluster section says there is none");
                assertTrue(dom.contains("data-node=\"test-node\" data-reachable=\"true\""), "the node itself is shown");
                Matcher error = Pattern.compile("<div id=\"error\"[^>]*>([^<]*)</div>").matcher(dom);
                assertTrue(error.find(), "error box present");
                assertEquals("", error.group(1), "no fetch error shown");

                Files.createDirectories(SHOTS);
                screenshot(dir, "dashboard.png", "1280,900", url);
                screenshot(dir, "dashboard-phone.png", "390,844", url);
                assertTrue(phoneScrollWidth(dir, url) <= 390, "nothing sticks out sideways on a phone");
            } finally {
                node.stop(Duration.ofSeconds(2));
            }
        }
    }

    /**
     * Two nodes of a three-node cluster running (the third never started), every request failing because the
     * only upstream server refuses connections: node a's page shows both running nodes and the dead one as not
     * answering, an error rate of 100% with no answer time (failures do not make the latency look better), why
     * and since when the server is down, and the timeline of both nodes.
     */
    @Test
    void theWholeClusterAndItsFailuresOnOnePage(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "skipped: " + CHROMIUM + " is missing (apt-get install chromium)");
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        int udp;
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            udp = s.getLocalPort();
        }
        int admin;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.41"), 0));
            admin = s.getLocalPort();
        }
        Node a = null;
        Node b = null;
        ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor();
        try {
            a = startClusterNode(dir, "a", "127.0.0.41", admin, udp, dead);
            b = startClusterNode(dir, "b", "127.0.0.42", admin, udp, dead);
            Node proxy = a;
            // Failing traffic while the page looks: bounded in count, paced rather than flat out.
            AtomicInteger sent = new AtomicInteger();
            load.scheduleAtFixedRate(() -> {
                if (sent.incrementAndGet() <= 3000) {
                    try {
                        TestNodes.get(TestNodes.proxyUrl(proxy, "/"));
                    } catch (IOException | InterruptedException e) {
                        // counted or not, the page's rates come from what the node saw
                    }
                }
            }, 0, 20, TimeUnit.MILLISECONDS);
            String url = "http://127.0.0.41:" + admin + "/dashboard#token=t0ken";
            // The timeline comes from a look at the node's status once a second: the page is read once that look
            // has seen the dead server, not before.
            String events = "http://127.0.0.41:" + admin + "/api/events";
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String seen;
            while (!(seen = TestNodes.send("GET", events, null, Map.of("Authorization", "Bearer t0ken")).body())
                    .matches("(?s).*\"kind\"\\s*:\\s*\"health\".*")) {
                assertTrue(System.nanoTime() < until, "the server going down never reached the node's timeline: " + seen);
                Thread.sleep(50);
            }

            String dom = chromium(dir, "--dump-dom", url);
            Files.createDirectories(SHOTS);
            Files.writeString(SHOTS.resolve("dashboard-cluster.html"), dom);
            assertTrue(dom.contains("data-node=\"a\" data-reachable=\"true\""), "this node");
            assertTrue(dom.contains("data-node=\"b\" data-reachable=\"true\""), "the peer, read from its admin listener");
            assertTrue(dom.contains("data-node=\"c\" data-reachable=\"false\""), "the node that does not run");
            assertTrue(dom.contains("connection refused"), "and why it is not shown");
            assertEquals("100%", text(dom, "error-rate"), "every request failed");
            assertEquals("no answers", text(dom, "lat-p95"), "failures do not make the latency look better");
            String row = row(dom, "127.0.0.1:" + dead);
            assertTrue(row.contains("<span class=\"badge down\">down</span>"), row);
            assertTrue(row.contains("failed attempt") && row.contains("since"), "why and since when: " + row);
            assertTrue(dom.contains("data-kind=\"health\""), "the server going down is on the timeline");
            assertTrue(Pattern.compile("<td data-label=\"Node\">b</td>").matcher(dom).find(), "b's events are merged in");

            screenshot(dir, "dashboard-cluster.png", "1280,1400", url);
            screenshot(dir, "dashboard-cluster-phone.png", "390,2400", url);
            int width = phoneScrollWidth(dir, url);
            assertTrue(width <= 390, "scroll width " + width + " at 390 px");
        } finally {
            load.shutdownNow();
            load.awaitTermination(10, TimeUnit.SECONDS);
            for (Node n : new Node[]{a, b}) {
                if (n != null) {
                    n.stop(Duration.ZERO);
                }
            }
        }
    }

    private static Node startClusterNode(Path dir, String name, String address, int admin, int udp, int dead) throws Exception {
        Path home = dir.resolve(name);
        Files.createDirectories(home);
        Files.write(home.resolve("cluster.key"), "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        String yaml = TestNodes.config("- { address: \"127.0.0.1:" + dead + "\" }", """
                cluster:
                  nodes: {a: 127.0.0.41, b: 127.0.0.42, c: 127.0.0.43}
                  port: %d
                  secret_file: cluster.key
                  state_dir: cluster-state
                """.formatted(udp))
                .replaceFirst("admin:\n  bind: 127\\.0\\.0\\.1:0", "admin:\n  bind: " + address + ":" + admin + "\n  token: t0ken");
        Path file = home.resolve("tandem.yaml");
        Files.writeString(file, yaml);
        return Node.start(file, Transport.detect(), name);
    }

    /** The server row of {@code server}. */
    private static String row(String dom, String server) {
        Matcher m = SERVER_ROW.matcher(dom);
        while (m.find()) {
            if (m.group(1).equals(server)) {
                return m.group(2);
            }
        }
        throw new AssertionError("no row for " + server + " in " + dom);
    }

    /** The text of the element with {@code id}. */
    private static String text(String dom, String id) {
        Matcher m = Pattern.compile("id=\"" + id + "\"[^>]*>([^<]*)<").matcher(dom);
        assertTrue(m.find(), "no #" + id);
        return m.group(1);
    }

    /**
     * The page's scroll width in a 390 px wide viewport. Headless Chromium lays a window out at least 500 px wide
     * whatever --window-size says (its screenshots are cut to the size asked for, its DOM is not), so the page
     * runs in a 390 px iframe of a harness page that copies what the page wrote into its #scroll-width, with the
     * frame's client width to show the measure was taken at 390. The harness must be of the page's origin to read
     * the frame: a small server of this test serves it and passes every other GET on to the admin listener.
     */
    private static int phoneScrollWidth(Path dir, String url) throws Exception {
        URI page = URI.create(url);
        String harness = """
                <!doctype html><html><body style="margin:0">
                <iframe id="f" src="%s" style="width:390px;height:844px;border:0"></iframe><output id="widths"></output>
                <script>setInterval(() => {
                  const d = document.getElementById("f").contentDocument, o = d && d.getElementById("scroll-width");
                  if (o && o.value) document.getElementById("widths").textContent = o.value + " " + d.documentElement.clientWidth;
                }, 500);</script></body></html>""".formatted(page.getRawPath() + (page.getRawFragment() == null ? "" : "#" + page.getRawFragment()));
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", x -> {
            try (x) {
                byte[] body;
                int status = 200;
                String type = "text/html; charset=utf-8";
                if (x.getRequestURI().getPath().equals("/harness")) {
                    body = harness.getBytes(StandardCharsets.UTF_8);
                } else {
                    HttpRequest.Builder b = HttpRequest.newBuilder(page.resolve(x.getRequestURI().toString())).timeout(Duration.ofSeconds(10));
                    String auth = x.getRequestHeaders().getFirst("Authorization");
                    if (auth != null) {
                        b.header("Authorization", auth);
                    }
                    HttpResponse<byte[]> r = TestNodes.CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
                    body = r.body();
                    status = r.statusCode();
                    type = r.headers().firstValue("Content-Type").orElse("application/octet-stream");
                }
                x.getResponseHeaders().set("Content-Type", type);
                x.sendResponseHeaders(status, body.length);
                x.getResponseBody().write(body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        try {
            String dom = chromium(dir, "--dump-dom", "http://127.0.0.1:" + server.getAddress().getPort() + "/harness");
            Matcher m = PHONE_WIDTHS.matcher(dom);
            assertTrue(m.find(), "the page wrote its scroll width: " + dom);
            assertEquals(390, Integer.parseInt(m.group(2)), "measured in a 390 px viewport");
            return Integer.parseInt(m.group(1));
        } finally {
            server.stop(0);
        }
    }

    private static void screenshot(Path dir, String name, String size, String url) throws Exception {
        Path shot = SHOTS.resolve(name).toAbsolutePath();
        chromium(dir, "--screenshot=" + shot, "--window-size=" + size, url);
        assertTrue(Files.size(shot) > 10_000, "a screenshot with something in it: " + shot);
    }

    /** Runs headless Chromium on {@code url} with a fresh profile; returns what it printed. */
    static String chromium(Path dir, String... args) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(dir, "chromium-");
        List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + profile,
                "--window-size=1280,900", "--virtual-time-budget=7000"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("chromium.err").toFile()).start();
        byte[] out;
        try {
            out = p.getInputStream().readAllBytes();
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                throw new AssertionError("chromium did not finish within 90s");
            }
        } finally {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), () -> "chromium failed: " + readQuietly(dir.resolve("chromium.err")));
        return new String(out, StandardCharsets.UTF_8);
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
