package dev.tandem.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.node.wiring.Node;
import dev.tandem.node.wiring.TestBackend;
import dev.tandem.node.wiring.TestNodes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site's rules on the command line: {@code tandem check} locating a missing page, a missing or non-bcrypt
 * htpasswd file and a bad network; {@code tandem maintenance on|off|config SITE} against a running node, and
 * what a reload does to a switch.
 */
class SiteRulesCliTest {

    private static final String TOKEN = "s3cret-token";

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int tandem(String... args) {
        out.reset();
        err.reset();
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private List<String> errLines() {
        return err.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void checkLocatesEveryBrokenFileAndNetwork() throws Exception {
        Files.writeString(dir.resolve("htpasswd"), """
                # staff
                alice:$2y$05$abcdefghijklmnopqrstuu5Jq2Yy9ZaCHKx8Gf0V7YTyJ4jh1Ut0W
                bob:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/
                carol:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=
                """);
        Files.writeString(dir.resolve("404.html"), "gone\n");
        Path config = dir.resolve("tandem.yaml");
        Files.writeString(config, """
                listeners: [{name: http, bind: "127.0.0.1:0"}]
                upstreams:
                  web: {servers: [{address: "127.0.0.1:9"}]}
                sites:
                  - hosts: [a.test]
                    upstream: web
                    error_pages: { 404: 404.html, 503: errors/503.html }
                    maintenance: { page: maintenance.html }
                    access: { basic_auth: { htpasswd: htpasswd } }
                  - hosts: [b.test]
                    upstream: web
                    access: { allow: [10.0.0.0/8, 10.1.2.3/40], basic_auth: { htpasswd: missing-htpasswd } }
                """);
        assertEquals(Main.INVALID, tandem("check", config.toString()));
        assertEquals(List.of(
                config + ":12:35: sites[1].access.allow[1]: '10.1.2.3/40' (expected: a prefix length of 0-32)"),
                errLines(), "the parser's errors come first, alone");

        Files.writeString(config, Files.readString(config).replace("10.1.2.3/40", "10.1.2.3/32"));
        assertEquals(Main.INVALID, tandem("check", config.toString()));
        assertEquals(List.of(
                config + ":7:40: sites[0].error_pages.503: '" + dir.resolve("errors/503.html")
                        + "' does not exist (expected: a page file of at most 1m)",
                config + ":8:26: sites[0].maintenance.page: '" + dir.resolve("maintenance.html")
                        + "' does not exist (expected: a page file of at most 1m)",
                config + ":9:39: sites[0].access.basic_auth.htpasswd: '" + dir.resolve("htpasswd")
                        + "' line 3: user 'bob' has a non-bcrypt ($apr1$ MD5) entry (expected: bcrypt, as written by htpasswd -B)",
                config + ":9:39: sites[0].access.basic_auth.htpasswd: '" + dir.resolve("htpasswd")
                        + "' line 4: user 'carol' has a non-bcrypt ({SHA}) entry (expected: bcrypt, as written by htpasswd -B)",
                config + ":12:73: sites[1].access.basic_auth.htpasswd: '" + dir.resolve("missing-htpasswd")
                        + "' does not exist (expected: an htpasswd file of bcrypt entries, made with htpasswd -B)"),
                errLines());
    }

    private static String nodeConfig(TestBackend backend, boolean enabled, String extra) {
        return """
                workers: 1
                listeners:
                  - name: http
                    bind: 127.0.0.1:0
                sites:
                  - hosts: [app.test, www.app.test, 127.0.0.1]
                    upstream: web
                    maintenance: { enabled: %s, retry_after: 30s }
                upstreams:
                  web:
                    servers: [{ address: "%s" }]
                admin:
                  bind: 127.0.0.1:0
                  token: %s
                %s""".formatted(enabled, backend.address(), TOKEN, extra);
    }

    private static int status(Node node) throws Exception {
        return TestNodes.get(TestNodes.proxyUrl(node, "/")).statusCode();
    }

    @Test
    @SuppressWarnings("unchecked")
    void maintenanceIsSwitchedOnARunningNodeAndOutlivesAnUnrelatedReload() throws Exception {
        try (TestBackend backend = TestBackend.start("app")) {
            Node node = TestNodes.start(dir, nodeConfig(backend, false, ""));
            try {
                String admin = "127.0.0.1:" + node.adminAddress().getPort();
                assertEquals(200, status(node));

                assertEquals(Main.INVALID, tandem("maintenance", "on", "app.test", "--admin", admin));
                assertTrue(err.toString(StandardCharsets.UTF_8).contains("wants a token"), err.toString(StandardCharsets.UTF_8));
                assertEquals(200, status(node));

                assertEquals(Main.OK, tandem("maintenance", "on", "www.app.test", "--admin", admin, "--token", TOKEN));
                HttpResponse<String> m = TestNodes.get(TestNodes.proxyUrl(node, "/"));
                assertEquals(503, m.statusCode());
                assertEquals("30", m.headers().firstValue("Retry-After").orElse(null));

                List<Object> sites = (List<Object>) TestNodes.status(node).get("sites");
                Map<String, Object> maintenance = (Map<String, Object>) ((Map<String, Object>) sites.get(0)).get("maintenance");
                assertEquals(Map.of("on", true, "configured", false, "switched", true), maintenance);

                // An edit of something else: the switch holds.
                Files.writeString(dir.resolve("tandem.yaml"), nodeConfig(backend, false, "limits: { max_body_bytes: 2m }\n"));
                assertTrue(node.reload("test").get().ok());
                assertEquals(503, status(node));

                assertEquals(Main.OK, tandem("maintenance", "config", "app.test", "--admin", admin, "--token", TOKEN));
                assertEquals(200, status(node));

                assertEquals(Main.INVALID, tandem("maintenance", "on", "nope.test", "--admin", admin, "--token", TOKEN));
                assertTrue(err.toString(StandardCharsets.UTF_8).contains("no site serves 'nope.test' (sites: app.test)"),
                        err.toString(StandardCharsets.UTF_8));
            } finally {
                node.stop(Duration.ofSeconds(2));
            }
        }
    }
}
