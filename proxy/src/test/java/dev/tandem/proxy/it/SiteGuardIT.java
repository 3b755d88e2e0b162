package dev.tandem.proxy.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.RawResponse;
import dev.tandem.testkit.Respond;
import dev.tandem.testkit.TestBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site's error pages, maintenance and access rules over real sockets: the exact status, headers and body
 * of each answer, what reaches the backend, and what a reload or an edit of the htpasswd file changes.
 */
class SiteGuardIT {

    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;
    private TestBackend backend;

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.start("app", x -> {
            String uri = x.request().uri();
            if (uri.startsWith("/status/")) {
                x.respond(Integer.parseInt(uri.substring(8)), "upstream's own body\n");
            } else {
                x.respond(200, "app\n");
            }
        });
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    /** One listener, site {@code app.test} (upstream web, with {@code rules}), site {@code other.test} without. */
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
                  - hosts: [other.test]
                    upstream: web
                upstreams:
                  web:
                    servers: [{ address: %s }]
                    timeouts: { connect: 2s, read: 1s, write: 5s }
                    retries: 0
                """.formatted(backend.hostPort()) + extra;
    }

    private Path file(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private static RawResponse get(TestProxy proxy, String host, String path, String... headers) throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            return c.send(request(host, path, headers)).read();
        }
    }

    private static String request(String host, String path, String... headers) {
        StringBuilder r = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n");
        for (String h : headers) {
            r.append(h).append("\r\n");
        }
        return r.append("\r\n").toString();
    }

    private static String basic(String user, String password) {
        return "Authorization: Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String bcrypt(String password, int cost) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return OpenBSDBCrypt.generate("2y", password.toCharArray(), salt, cost);
    }

    private static double count(TestProxy proxy, String name, String... tags) {
        var search = proxy.meters().find(name).tags(tags);
        return search.counter() == null ? 0 : search.counter().count();
    }

    private static void reload(TestProxy proxy, String yaml, long version) throws Exception {
        proxy.server().apply(ConfigLoader.fromBytes("test.yaml", yaml.getBytes(StandardCharsets.UTF_8), Path.of("/"), version));
    }

    // ---- error pages

    @Test
    void theSitesPagesReplaceTandemsOwnAnswers() throws Exception {
        Path p404 = file("404.html", "<h1>not here</h1>\n");
        Path p503 = file("503.html", "<h1>service currently not available</h1>\n");
        String yaml = config("""
                static: { root: %s, match: '^/files/', fallback: false }
                error_pages:
                  404: %s
                  503: %s
                  504: { body: "slow today\\n", type: text/plain; charset=utf-8 }
                """.formatted(dir, p404, p503), "");
        try (TestProxy proxy = TestProxy.start(yaml)) {
            RawResponse notFound = get(proxy, "app.test", "/files/missing.txt");
            assertEquals(404, notFound.status());
            assertEquals("text/html; charset=utf-8", notFound.header("Content-Type"));
            assertEquals("18", notFound.header("Content-Length"));
            assertEquals("no-store", notFound.header("Cache-Control"));
            assertEquals("<h1>not here</h1>\n", notFound.bodyText());

            // No server available: the site's own 503, the "service currently not available" page.
            proxy.state(backend.hostPort()).drained(true);
            RawResponse unavailable = get(proxy, "app.test", "/");
            assertEquals(503, unavailable.status());
            assertEquals("<h1>service currently not available</h1>\n", unavailable.bodyText());
            RawResponse builtIn = get(proxy, "other.test", "/");
            assertEquals(503, builtIn.status());
            assertTrue(builtIn.bodyText().contains("503 Service Unavailable"), builtIn.bodyText());
            proxy.state(backend.hostPort()).drained(false);

            // A server that does not answer in time: 504, with the inline page and its type.
            backend.nextRequests(Respond.hang());
            RawResponse timeout = get(proxy, "app.test", "/slow");
            assertEquals(504, timeout.status());
            assertEquals("text/plain; charset=utf-8", timeout.header("Content-Type"));
            assertEquals("slow today\n", timeout.bodyText());

            // The upstream's own 404 and 503 pass as they are: the pages are not marked upstream.
            RawResponse upstream404 = get(proxy, "app.test", "/status/404");
            assertEquals(404, upstream404.status());
            assertEquals("upstream's own body\n", upstream404.bodyText());
        }
    }

    @Test
    void anUpstreamErrorIsReplacedOnlyWhereAsked() throws Exception {
        String yaml = config("""
                error_pages:
                  500: { body: "<h1>sorry</h1>\\n", upstream: true }
                  404: { body: "<h1>ours</h1>\\n" }
                """, "");
        try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
            RawResponse replaced = c.send(request("app.test", "/status/500")).read();
            assertEquals(500, replaced.status());
            assertEquals("<h1>sorry</h1>\n", replaced.bodyText());
            assertEquals("text/html; charset=utf-8", replaced.header("Content-Type"));
            assertNull(replaced.header("Connection"), "kept alive");
            // The same connection carries on, and the upstream's 404 is its own.
            RawResponse own = c.send(request("app.test", "/status/404")).read();
            assertEquals(404, own.status());
            assertEquals("upstream's own body\n", own.bodyText());
            RawResponse ok = c.send(request("app.test", "/")).read();
            assertEquals("app\n", ok.bodyText());
            // Another site's 500 is the upstream's.
            assertEquals("upstream's own body\n", get(proxy, "other.test", "/status/500").bodyText());
        }
    }

    // ---- maintenance

    @Test
    void maintenanceAnswers503WithRetryAfterExceptToItsAllowList() throws Exception {
        Path page = file("maintenance.html", "<h1>back at 06:00</h1>\n");
        String rules = """
                maintenance: { enabled: true, page: %s, allow: [10.0.0.0/8], retry_after: 90s }
                """.formatted(page);
        String trusted = "forwarding: { trusted_proxies: [127.0.0.1/32] }\n";
        try (TestProxy proxy = TestProxy.start(config(rules, trusted))) {
            RawResponse m = get(proxy, "app.test", "/anything", "X-Forwarded-For: 192.0.2.7");
            assertEquals(503, m.status());
            assertEquals("90", m.header("Retry-After"));
            assertEquals("<h1>back at 06:00</h1>\n", m.bodyText());
            assertEquals("text/html; charset=utf-8", m.header("Content-Type"));
            assertEquals(0, backend.requests());

            RawResponse operator = get(proxy, "app.test", "/anything", "X-Forwarded-For: 10.1.2.3");
            assertEquals(200, operator.status(), "an address of the allow list is served as usual");
            assertEquals(200, get(proxy, "other.test", "/").status(), "another site is not in maintenance");
            assertEquals(1.0, count(proxy, "tandem.maintenance.answers", "site", "app.test"));

            // Switched off at run time; an unrelated reload keeps the switch.
            proxy.server().guards().maintenance().set("app.test", false);
            assertEquals(200, get(proxy, "app.test", "/", "X-Forwarded-For: 192.0.2.7").status());
            reload(proxy, config(rules, trusted + "limits: { max_body_bytes: 2m }\n"), 2);
            assertEquals(200, get(proxy, "app.test", "/", "X-Forwarded-For: 192.0.2.7").status());

            // A reload that changes the site's enabled is the later decision: it wins over the switch.
            reload(proxy, config(rules.replace("enabled: true", "enabled: false"), trusted), 3);
            proxy.server().guards().maintenance().set("app.test", true);
            assertEquals(503, get(proxy, "app.test", "/", "X-Forwarded-For: 192.0.2.7").status());
            reload(proxy, config(rules, trusted), 4);
            assertEquals(503, get(proxy, "app.test", "/", "X-Forwarded-For: 192.0.2.7").status());
            reload(proxy, config(rules.replace("enabled: true", "enabled: false"), trusted), 5);
            assertEquals(200, get(proxy, "app.test", "/", "X-Forwarded-For: 192.0.2.7").status());
        }
    }

    @Test
    void maintenanceWithoutAPageServesTheSites503PageOrTheBuiltInOne() throws Exception {
        Path p503 = file("503.html", "<h1>down</h1>\n");
        try (TestProxy proxy = TestProxy.start(config("error_pages: { 503: %s }\n".formatted(p503), ""))) {
            proxy.server().guards().maintenance().set("app.test", true);
            proxy.server().guards().maintenance().set("other.test", true);
            RawResponse own = get(proxy, "app.test", "/");
            assertEquals(503, own.status());
            assertEquals("120", own.header("Retry-After"), "the default retry_after");
            assertEquals("<h1>down</h1>\n", own.bodyText());
            RawResponse builtIn = get(proxy, "other.test", "/");
            assertEquals(503, builtIn.status());
            assertTrue(builtIn.bodyText().contains("503 Service Unavailable"));
        }
    }

    // ---- addresses

    @Test
    void denyIsCheckedFirstAndAllowRefusesEveryoneElse() throws Exception {
        Path p403 = file("403.html", "<h1>not for you</h1>\n");
        String rules = """
                access: { allow: [10.0.0.0/8], deny: [10.9.0.0/16] }
                error_pages: { 403: %s }
                """.formatted(p403);
        try (TestProxy proxy = TestProxy.start(config(rules, "forwarding: { trusted_proxies: [127.0.0.1/32] }\n"))) {
            assertEquals(200, get(proxy, "app.test", "/", "X-Forwarded-For: 10.1.1.1").status());
            RawResponse denied = get(proxy, "app.test", "/", "X-Forwarded-For: 10.9.1.1");
            assertEquals(403, denied.status());
            assertEquals("<h1>not for you</h1>\n", denied.bodyText());
            assertEquals(403, get(proxy, "app.test", "/", "X-Forwarded-For: 192.0.2.1").status());
            assertEquals(403, get(proxy, "app.test", "/").status(), "the proxy itself is not in allow");
            assertEquals(200, get(proxy, "other.test", "/", "X-Forwarded-For: 192.0.2.1").status());
            assertEquals(3.0, count(proxy, "tandem.access.denied", "site", "app.test", "status", "403"));
            assertEquals(2, backend.requests(), "the one let in, and the other site's");
        }
        // From a peer that is not a trusted proxy, X-Forwarded-For is not believed: no way in by claiming an address.
        try (TestProxy proxy = TestProxy.start(config(rules, ""))) {
            assertEquals(403, get(proxy, "app.test", "/", "X-Forwarded-For: 10.1.1.1").status());
        }
    }

    // ---- basic auth

    @Test
    void basicAuthAsksWithTheRealmAndAnEditOfTheFileAppliesWithoutAReload() throws Exception {
        Path htpasswd = file("htpasswd", "alice:" + bcrypt("wonderland", 5) + "\n");
        String rules = "access: { basic_auth: { realm: \"staff\", htpasswd: %s } }\n".formatted(htpasswd);
        try (TestProxy proxy = TestProxy.start(config(rules, ""))) {
            RawResponse none = get(proxy, "app.test", "/");
            assertEquals(401, none.status());
            assertEquals("Basic realm=\"staff\", charset=\"UTF-8\"", none.header("WWW-Authenticate"));
            assertTrue(none.bodyText().contains("401 Unauthorized"));

            assertEquals(401, get(proxy, "app.test", "/", basic("alice", "looking-glass")).status());
            assertEquals(401, get(proxy, "app.test", "/", basic("mallory", "wonderland")).status());
            assertEquals(401, get(proxy, "app.test", "/", "Authorization: Bearer abc").status());
            assertEquals(401, get(proxy, "app.test", "/", "Authorization: Basic !!!").status());
            try (RawHttpClient c = proxy.connect()) {
                // Twice on one connection: the second is remembered, not verified again.
                assertEquals(200, c.send(request("app.test", "/", basic("alice", "wonderland"))).read().status());
                assertEquals(200, c.send(request("app.test", "/", basic("alice", "wonderland"))).read().status());
            }
            assertEquals(1.0, count(proxy, "tandem.basic.auth.verifications", "site", "app.test", "result", "ok"));
            assertEquals(5.0, count(proxy, "tandem.access.denied", "site", "app.test", "status", "401"));
            assertEquals(200, get(proxy, "other.test", "/").status(), "another site asks nothing");

            // Alice leaves, Bob arrives: no reload.
            Files.writeString(htpasswd.resolveSibling("htpasswd.new"), "bob:" + bcrypt("builder", 5) + "\n");
            Files.move(htpasswd.resolveSibling("htpasswd.new"), htpasswd, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            await().atMost(Duration.ofSeconds(20)).until(() -> get(proxy, "app.test", "/", basic("bob", "builder")).status() == 200);
            assertEquals(401, get(proxy, "app.test", "/", basic("alice", "wonderland")).status(),
                    "a remembered success is forgotten with the version of the file it was checked against");

            // An edit that is not all bcrypt is held: Bob stays in.
            Files.writeString(htpasswd, "carol:$apr1$abc$def\n");
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(10))
                    .until(() -> get(proxy, "app.test", "/", basic("bob", "builder")).status() == 200);
        }
    }

    @Test
    void aHostileClientCannotStallTheEventLoop() throws Exception {
        // A cost that makes each wrong password cost the verifier milliseconds, as a real file's would.
        Path htpasswd = file("htpasswd", "alice:" + bcrypt("wonderland", 8) + "\n");
        String rules = "access: { basic_auth: { realm: \"staff\", htpasswd: %s } }\n".formatted(htpasswd);
        try (TestProxy proxy = TestProxy.start(config(rules, ""))) {
            // A huge Authorization header is refused unread.
            RawResponse huge = get(proxy, "app.test", "/", "Authorization: Basic " + "A".repeat(12_000));
            assertEquals(401, huge.status());
            assertEquals("Basic realm=\"staff\", charset=\"UTF-8\"", huge.header("WWW-Authenticate"));

            // 120 connections each send a distinct wrong password at once: more than the verifier queues.
            int guesses = 120;
            List<RawHttpClient> clients = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < guesses; i++) {
                    RawHttpClient c = proxy.connect();
                    c.timeout(Duration.ofSeconds(60));
                    clients.add(c);
                }
                for (int i = 0; i < guesses; i++) {
                    clients.get(i).send(request("app.test", "/", basic("alice", "guess-" + i)));
                }
                // Meanwhile the event loop answers everyone else at once (generous bound for a busy machine).
                for (int i = 0; i < 10; i++) {
                    long start = System.nanoTime();
                    try (RawHttpClient c = proxy.connect()) {
                        c.timeout(Duration.ofSeconds(5));
                        assertEquals(200, c.send(request("other.test", "/")).read().status());
                    }
                    assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos());
                }
                List<Integer> statuses = new java.util.ArrayList<>();
                for (RawHttpClient c : clients) {
                    RawResponse r = c.read();
                    statuses.add(r.status());
                    if (r.status() == 503) {
                        assertEquals("1", r.header("Retry-After"), "busy: try again in a second");
                    }
                }
                assertTrue(statuses.stream().allMatch(s -> s == 401 || s == 503), "only 401 or 503 (busy): " + statuses);
                double verified = count(proxy, "tandem.basic.auth.verifications", "site", "app.test", "result", "refused");
                double busy = count(proxy, "tandem.basic.auth.verifications", "site", "app.test", "result", "busy");
                assertEquals(guesses, verified + busy);
                assertEquals(busy, statuses.stream().filter(s -> s == 503).count());
                // The same wrong header again is remembered: no second bcrypt for it.
                int refusedBefore = (int) verified;
                RawResponse again = get(proxy, "app.test", "/", basic("alice", "guess-" + statuses.indexOf(401)));
                assertEquals(401, again.status());
                assertEquals(refusedBefore, (int) count(proxy, "tandem.basic.auth.verifications", "site", "app.test",
                        "result", "refused"));
            } finally {
                for (RawHttpClient c : clients) {
                    c.close();
                }
            }
            // The right password still gets in.
            assertEquals(200, get(proxy, "app.test", "/", basic("alice", "wonderland")).status());
            assertEquals(11, backend.requests(), "no guess reached the backend: only the right password and the others");
        }
    }
}
