package dev.tandem.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.RawResponse;
import dev.tandem.testkit.Respond;
import dev.tandem.testkit.TestBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site's response header rules are on every answer the site gives, as nginx's {@code add_header ... always}:
 * the upstream's, and Tandem's own (error pages 400, 404, 502, 503, 504, a page that replaces the upstream's,
 * returns and redirects, maintenance, 401 and 403), each with the route's rules after the site's; and a
 * variable that would put CR LF in such a header still cannot.
 */
@Timeout(60)
class OwnAnswerHeaderRulesIT {

    @TempDir
    Path dir;
    private TestBackend backend;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.start("app", x -> {
            String uri = x.request().uri();
            x.respond(uri.startsWith("/status/") ? Integer.parseInt(uri.substring(8)) : 200, "app\n");
        });
        Files.createDirectories(dir.resolve("files"));
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        Files.writeString(dir.resolve("htpasswd"), "staff:" + OpenBSDBCrypt.generate("2y", "secret".toCharArray(), salt, 4) + "\n");
        proxy = TestProxy.start("""
                workers: 1
                listeners:
                  - name: http
                    bind: 127.0.0.1:0
                sites:
                  - hosts: [app.test]
                    upstream: web
                    headers:
                      response:
                        set: { X-Frame-Options: DENY, X-Content-Type-Options: nosniff }
                        add: { X-Site-Host: "$host" }
                    error_pages:
                      500: { body: "<h1>sorry</h1>\\n", upstream: true }
                    routes:
                      - exact: /healthz
                        return: { status: 200, body: "ok\\n" }
                      - prefix: /old/
                        redirect: { status: 301, to: "https://$host/new$uri" }
                      - prefix: /files/
                        static: { root: %1$s/files, fallback: false }
                        headers: { response: { set: { X-Route: files, X-Path: "$uri" } } }
                      - prefix: /staff/
                        access: { basic_auth: { realm: staff, htpasswd: %1$s/htpasswd } }
                        headers: { response: { set: { X-Route: staff } } }
                      - prefix: /office/
                        access: { allow: [10.0.0.0/8] }
                        headers: { response: { set: { X-Route: office } } }
                upstreams:
                  web:
                    servers: [{ address: %2$s }]
                    timeouts: { connect: 2s, read: 1s, write: 5s }
                    retries: 0
                """.formatted(dir, backend.hostPort()));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    private RawResponse get(String path, String... headers) throws Exception {
        StringBuilder r = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: app.test\r\n");
        for (String h : headers) {
            r.append(h).append("\r\n");
        }
        try (RawHttpClient c = proxy.connect()) {
            return c.send(r.append("\r\n").toString()).read();
        }
    }

    /** The site's rules are on {@code r}, each once. */
    private static void assertSiteRules(RawResponse r) {
        assertEquals(List.of("DENY"), r.headerValues("X-Frame-Options"), r.toString());
        assertEquals(List.of("nosniff"), r.headerValues("X-Content-Type-Options"), r.toString());
        assertEquals(List.of("app.test"), r.headerValues("X-Site-Host"), r.toString());
    }

    @Test
    void theUpstreamsAnswersAndTheSitesOwnPagesCarryTheRules() throws Exception {
        RawResponse ok = get("/");
        assertEquals(200, ok.status());
        assertSiteRules(ok);

        RawResponse replaced = get("/status/500");
        assertEquals(500, replaced.status());
        assertEquals("<h1>sorry</h1>\n", replaced.bodyText());
        assertSiteRules(replaced);

        backend.nextRequests(Respond.raw("HTTP/1.1 abc\r\nno header line\r\n\r\n", true));
        RawResponse badGateway = get("/a");
        assertEquals(502, badGateway.status());
        assertSiteRules(badGateway);

        backend.nextRequests(Respond.hang());
        RawResponse timeout = get("/b");
        assertEquals(504, timeout.status());
        assertSiteRules(timeout);

        proxy.state(backend.hostPort()).drained(true);
        RawResponse unavailable = get("/c");
        assertEquals(503, unavailable.status());
        assertSiteRules(unavailable);
        proxy.state(backend.hostPort()).drained(false);

        // Before a route is chosen: a path above the root belongs to none, the site's rules alone.
        RawResponse above = get("/%2e%2e/etc/passwd");
        assertEquals(400, above.status());
        assertSiteRules(above);
        assertFalse(above.hasHeader("X-Route"));
    }

    @Test
    void returnsRedirectsAndTheDisksAnswersCarryTheSitesThenTheRoutesRules() throws Exception {
        RawResponse health = get("/healthz");
        assertEquals(200, health.status());
        assertEquals("ok\n", health.bodyText());
        assertSiteRules(health);

        RawResponse redirect = get("/old/page");
        assertEquals(301, redirect.status());
        assertEquals("https://app.test/new/old/page", redirect.header("Location"));
        assertSiteRules(redirect);

        RawResponse missing = get("/files/missing.txt");
        assertEquals(404, missing.status());
        assertSiteRules(missing);
        assertEquals("files", missing.header("X-Route"));
        assertEquals("/files/missing.txt", missing.header("X-Path"));
    }

    @Test
    void maintenanceAndAccessRefusalsCarryTheRules() throws Exception {
        RawResponse refused = get("/office/plan");
        assertEquals(403, refused.status());
        assertSiteRules(refused);
        assertEquals("office", refused.header("X-Route"));

        RawResponse challenge = get("/staff/");
        assertEquals(401, challenge.status());
        assertEquals("Basic realm=\"staff\", charset=\"UTF-8\"", challenge.header("WWW-Authenticate"));
        assertSiteRules(challenge);
        assertEquals("staff", challenge.header("X-Route"));

        RawResponse wrong = get("/staff/", "Authorization: Basic "
                + Base64.getEncoder().encodeToString("staff:wrong".getBytes(StandardCharsets.UTF_8)));
        assertEquals(401, wrong.status());
        assertSiteRules(wrong);

        proxy.server().guards().maintenance().set("app.test", true);
        RawResponse maintenance = get("/anything");
        assertEquals(503, maintenance.status());
        assertEquals("120", maintenance.header("Retry-After"));
        assertSiteRules(maintenance);
        assertEquals(0, backend.requests(), "nothing reached the upstream");
    }

    @Test
    void aVariableCannotPutCrLfIntoTheHeadersOfAnOwnAnswer() throws Exception {
        double before = drops();
        RawResponse r = get("/files/a%0d%0aX-Evil:%201");
        assertTrue(r.status() == 404 || r.status() == 400, r.toString());
        assertSiteRules(r);
        assertNull(r.header("X-Evil"));
        assertFalse(r.hasHeader("X-Path"), "the value $uri filled with CR LF is dropped");
        assertEquals("files", r.header("X-Route"), "the route's other rules still apply");
        assertEquals(before + 1, drops());
    }

    private double drops() {
        var c = proxy.meters().find("tandem.header.rule.drops").tag("site", "app.test").counter();
        return c == null ? 0 : c.count();
    }
}
