package dev.tandem.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard rendered by a real browser (Debian's headless Chromium) against a live node: the DOM must
 * hold a row per upstream server with its state, and a screenshot is kept in target/ for people to look at.
 */
class DashboardTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Pattern SERVER_ROW = Pattern.compile(
            "<tr class=\"server-row\" data-upstream=\"web\" data-server=\"([^\"]+)\">(.*?)</tr>");

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
                assertTrue(dom.contains("no cluster"), "cluster section says there is none");
                Matcher error = Pattern.compile("<div id=\"error\"[^>]*>([^<]*)</div>").matcher(dom);
                assertTrue(error.find(), "error box present");
                assertEquals("", error.group(1), "no fetch error shown");

                Path shots = Path.of("target", "screenshots");
                Files.createDirectories(shots);
                Path shot = shots.resolve("dashboard.png").toAbsolutePath();
                chromium(dir, "--screenshot=" + shot, url);
                assertTrue(Files.size(shot) > 10_000, "a screenshot with something in it");
                Path phone = shots.resolve("dashboard-phone.png").toAbsolutePath();
                chromium(dir, "--screenshot=" + phone, "--window-size=390,1200", url);
                assertTrue(Files.size(phone) > 10_000);
            } finally {
                node.stop(Duration.ofSeconds(2));
            }
        }
    }

    /** Runs headless Chromium on {@code url} with a fresh profile; returns what it printed. */
    private static String chromium(Path dir, String... args) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(dir, "chromium-");
        List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + profile,
                "--window-size=1280,900", "--virtual-time-budget=5000"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("chromium.err").toFile()).start();
        byte[] out;
        try {
            out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("chromium did not finish within 60s");
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
