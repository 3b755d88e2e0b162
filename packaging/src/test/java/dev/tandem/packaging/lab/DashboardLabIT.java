package dev.tandem.packaging.lab;

import static org.awaitility.Awaitility.await;
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
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The dashboard of a real two-node cluster, seen by headless Chromium from the client's namespace: both nodes
 * with the VIP's holder, read by n1 from n2's admin listener across the lab's network; then n1 is killed
 * (SIGKILL), and n2's page shows n1 as not answering, itself as the VIP's holder, and the failover on the
 * timeline. Screenshots go to target/screenshots. Needs what every lab needs, and Chromium (--no-sandbox: the
 * labs run as root).
 */
class DashboardLabIT {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final String ADMIN = "admin:\n  bind: \"0.0.0.0:9090\"\n  token: t0ken\n";

    private static LabNodes nodes;
    private static Lab lab;

    @RegisterExtension
    static final LabNodes.Failures FAILURES = new LabNodes.Failures();

    @BeforeAll
    static void buildLab() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "skipped: " + CHROMIUM + " is missing (apt-get install chromium)");
        nodes = LabNodes.open("tandem-dash-", 2);
        lab = nodes.lab;
        nodes.backend("n1", "0.0.0.0");
        nodes.backend("n2", "0.0.0.0");
    }

    @AfterAll
    static void removeLab() throws IOException {
        if (nodes != null) {
            nodes.close(FAILURES.keep(), "the nodes' logs and the pages Chromium saw");
        }
    }

    @Test
    void theClusterAndAFailoverOnThePage() throws Exception {
        Process n1 = start("n1");
        Process n2 = start("n2");
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .failFast(() -> !n1.isAlive() || !n2.isAlive())
                .until(() -> lab.output(lab.client, "curl", "-s", "-m", "1", "http://" + Lab.VIP + "/").trim().equals("n1"));

        String dom = page("n1", "1280,900", "--dump-dom");
        Files.writeString(nodes.work.resolve("page-n1.html"), dom);
        assertTrue(dom.contains("data-node=\"n1\" data-reachable=\"true\""), "n1 itself");
        assertTrue(dom.contains("data-node=\"n2\" data-reachable=\"true\""), "n2, read from its admin listener: " + dom);
        assertTrue(vipRow(dom).contains("<td data-label=\"Holder\">n1</td>"), vipRow(dom));
        shot("n1", "dashboard-lab.png", "1280,1300");

        Lab.kill(n1);
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> lab.output(lab.client, "curl", "-s", "-m", "1", "http://" + Lab.VIP + "/").trim().equals("n2"));
        // The timeline looks once a second: wait until n2 has recorded the move.
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(500)).until(() ->
                lab.output(lab.client, "curl", "-s", "-m", "2", "-H", "Authorization: Bearer t0ken",
                        "http://" + Lab.NET + ".2:9090/api/events").contains("moved from n1 to n2"));

        dom = page("n2", "1280,900", "--dump-dom");
        Files.writeString(nodes.work.resolve("page-n2.html"), dom);
        assertTrue(dom.contains("data-node=\"n1\" data-reachable=\"false\""), "n1 shown as not answering: " + dom);
        assertTrue(dom.contains("connection refused") || dom.contains("no connection within"), "with why");
        assertTrue(vipRow(dom).contains("<td data-label=\"Holder\">n2</td>"), vipRow(dom));
        assertTrue(dom.contains("data-kind=\"failover\""), "the failover on the timeline");
        assertTrue(dom.contains("moved from n1 to n2"), "who it moved from and to");
        shot("n2", "dashboard-lab-failover.png", "1280,1300");
        shot("n2", "dashboard-lab-failover-phone.png", "390,2000");
        assertTrue(n2.isAlive());
    }

    private static Process start(String name) throws IOException {
        LabNodes.NodeConfig config = nodes.config(name);
        Files.writeString(nodes.configFile(name), config.yaml() + ADMIN);
        return nodes.run(name, nodes.configFile(name), nodes.log(name));
    }

    private static String vipRow(String dom) {
        var m = Pattern.compile("<tr class=\"vip-row\" data-vip=\"" + Pattern.quote(Lab.VIP) + "\">(.*?)</tr>").matcher(dom);
        assertTrue(m.find(), "a row for the VIP");
        return m.group(1);
    }

    private static void shot(String node, String name, String size) throws Exception {
        Path shots = Files.createDirectories(Path.of("target", "screenshots")).toAbsolutePath();
        page(node, size, "--screenshot=" + shots.resolve(name));
        assertTrue(Files.size(shots.resolve(name)) > 10_000, name);
    }

    /** Chromium in the client's namespace on node {@code node}'s dashboard; what it printed. */
    private static String page(String node, String size, String what) throws Exception {
        Path profile = Files.createTempDirectory(nodes.work, "chromium-");
        String url = "http://" + Lab.NET + "." + node.substring(1) + ":9090/dashboard#token=t0ken";
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", lab.client, CHROMIUM.toString(), "--headless",
                "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--user-data-dir=" + profile, "--window-size=" + size, "--virtual-time-budget=7000", what, url));
        Path err = nodes.work.resolve("chromium.err");
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(err.toFile())).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(90, TimeUnit.SECONDS), "chromium finished");
            assertEquals(0, p.exitValue(), () -> "chromium failed: " + Lab.tail(err));
            return new String(out, StandardCharsets.UTF_8);
        } finally {
            p.destroyForcibly();
        }
    }
}
