package dev.tandem.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.ConfigLoader;
import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.RawResponse;
import dev.tandem.testkit.TestBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A route's own access rules and error pages over real sockets: what the route's requests are answered, what
 * the site's other paths are, and what reaches the backend.
 */
class RouteGuardIT {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String TRUSTED = "forwarding: { trusted_proxies: [127.0.0.1/32] }\n";

    @TempDir
    Path dir;
    private TestBackend backend;

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.start("app", x -> x.respond(200, "app " + x.request().uri() + "\n"));
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    /** Site {@code app.test} (upstream web) with {@code rules} (its routes among them). */
    private String config(String rules, String extra) {
        return """
                workers: 1
                listeners:
                  - name: http
                    bind: 127.0.0.1:0
                sites:
                  - hosts: [app.test]
                    upstream: web
                """ + rules.stripIndent().lines().map(l -> "    " + l + "\n").reduce("", String::concat) + """
                upstreams:
                  web:
                    servers: [{ address: %s }]
                    timeouts: { connect: 2s, read: 5s, write: 5s }
                    retries: 0
                """.formatted(backend.hostPort()) + extra;
    }

    private Path file(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private static RawResponse get(TestProxy proxy, String path, String... headers) throws Exception {
        StringBuilder r = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: app.test\r\n");
        for (String h : headers) {
            r.append(h).append("\r\n");
        }
        try (RawHttpClient c = proxy.connect()) {
            return c.send(r.append("\r\n").toString()).read();
        }
    }

    private static String from(String address) {
        return "X-Forwarded-For: " + address;
    }

    private static double count(TestProxy proxy, String name, String... tags) {
        var search = proxy.meters().find(name).tags(tags);
        return search.counter() == null ? 0 : search.counter().count();
    }

    @Test
    void aPrefixRoutesAllowListRefusesOthersWhileTheRestOfTheSiteIsOpen() throws Exception {
        String rules = """
                routes:
                  - prefix: /admin/
                    access: { allow: [127.0.0.2/32] }
                  - prefix: /
                """;
        try (TestProxy proxy = TestProxy.start(config(rules, TRUSTED))) {
            RawResponse refused = get(proxy, "/admin/users");
            assertEquals(403, refused.status());
            assertTrue(refused.bodyText().contains("403 Forbidden"), refused.bodyText());
            assertEquals(403, get(proxy, "/admin/users", from("192.0.2.1")).status());
            RawResponse admitted = get(proxy, "/admin/users", from("127.0.0.2"));
            assertEquals(200, admitted.status());
            assertEquals("app /admin/users\n", admitted.bodyText());
            assertEquals(200, get(proxy, "/", from("192.0.2.1")).status(), "the site itself is open");
            assertEquals(200, get(proxy, "/adminx").status(), "a path outside the prefix is not the route's");
            assertEquals(2.0, count(proxy, "tandem.access.denied", "site", "app.test", "status", "403"));
            assertEquals(3, backend.requests(), "no refused request reached the backend");

            // A reload that widens the route's list applies to the next request.
            proxy.server().apply(ConfigLoader.fromBytes("test.yaml", config(rules.replace("127.0.0.2/32",
                    "127.0.0.0/8"), TRUSTED).getBytes(StandardCharsets.UTF_8), Path.of("/"), 2));
            assertEquals(200, get(proxy, "/admin/users").status());
        }
    }

    @Test
    void aRoutesAddressListsReplaceTheSitesAsNginxDoes() throws Exception {
        String rules = """
                access: { allow: [10.0.0.0/8] }
                routes:
                  - prefix: /partners/
                    access: { allow: [192.0.2.0/24] }
                  - prefix: /inherits/
                """;
        try (TestProxy proxy = TestProxy.start(config(rules, TRUSTED))) {
            assertEquals(200, get(proxy, "/partners/a", from("192.0.2.9")).status(), "the route's list lets it in");
            assertEquals(403, get(proxy, "/partners/a", from("10.1.1.1")).status(), "the site's list is replaced");
            assertEquals(403, get(proxy, "/inherits/a", from("192.0.2.9")).status(), "a route without access: the site's");
            assertEquals(200, get(proxy, "/inherits/a", from("10.1.1.1")).status());
            assertEquals(403, get(proxy, "/", from("192.0.2.9")).status());
        }
    }

    @Test
    void aRoutesBasicAuthAsksWithItsRealmWhileTheSiteIsOpen() throws Exception {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        Path htpasswd = file("htpasswd", "alice:" + OpenBSDBCrypt.generate("2y", "wonderland".toCharArray(), salt, 5) + "\n");
        String rules = """
                routes:
                  - prefix: /staff/
                    access: { basic_auth: { realm: "staff only", htpasswd: %s } }
                """.formatted(htpasswd);
        try (TestProxy proxy = TestProxy.start(config(rules, ""))) {
            RawResponse asked = get(proxy, "/staff/pay");
            assertEquals(401, asked.status());
            assertEquals("Basic realm=\"staff only\", charset=\"UTF-8\"", asked.header("WWW-Authenticate"));
            String good = "Authorization: Basic "
                    + Base64.getEncoder().encodeToString("alice:wonderland".getBytes(StandardCharsets.UTF_8));
            assertEquals(200, get(proxy, "/staff/pay", good).status());
            assertEquals(200, get(proxy, "/").status(), "the site asks nothing");
            assertEquals(2, backend.requests());
        }
    }

    @Test
    void aRoutesOwnPagesAnswerForItsRequestsAndTheSitesForTheRest() throws Exception {
        Files.createDirectories(dir.resolve("docs"));
        Path site404 = file("site404.html", "<h1>site: not here</h1>\n");
        Path site503 = file("site503.html", "<h1>site: down</h1>\n");
        String rules = """
                error_pages: { 404: %s, 503: %s }
                routes:
                  - prefix: /docs/
                    static: { root: %s, fallback: false }
                    error_pages: { 404: { body: "<h1>docs: no such page</h1>\\n" } }
                  - prefix: /files/
                    static: { root: %s, fallback: false }
                  - prefix: /api/
                    error_pages: { 404: { body: "<h1>api: none</h1>\\n" } }
                """.formatted(site404, site503, dir, dir);
        try (TestProxy proxy = TestProxy.start(config(rules, ""))) {
            RawResponse docs = get(proxy, "/docs/missing.html");
            assertEquals(404, docs.status());
            assertEquals("<h1>docs: no such page</h1>\n", docs.bodyText());
            RawResponse files = get(proxy, "/files/missing.html");
            assertEquals(404, files.status());
            assertEquals("<h1>site: not here</h1>\n", files.bodyText(), "a route without pages: the site's");
            // A route's page for one status leaves the site's for the others.
            proxy.state(backend.hostPort()).drained(true);
            RawResponse down = get(proxy, "/api/x");
            assertEquals(503, down.status());
            assertEquals("<h1>site: down</h1>\n", down.bodyText());
        }
    }

    @Test
    void aRoutesReturnIsBehindItsDeny() throws Exception {
        String rules = """
                routes:
                  - exact: /healthz
                    return: { status: 200, body: "ok\\n" }
                    access: { deny: [127.0.0.1/32] }
                  - exact: /version
                    return: { status: 200, body: "v1\\n" }
                """;
        try (TestProxy proxy = TestProxy.start(config(rules, ""))) {
            RawResponse denied = get(proxy, "/healthz");
            assertEquals(403, denied.status());
            assertTrue(denied.bodyText().contains("403 Forbidden"), denied.bodyText());
            RawResponse open = get(proxy, "/version");
            assertEquals(200, open.status());
            assertEquals("v1\n", open.bodyText());
            assertEquals(0, backend.requests());
        }
    }
}
