package dev.tandem.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.RecordedRequest;
import dev.tandem.testkit.Respond;
import dev.tandem.testkit.TestBackend;
import dev.tandem.testkit.TestCertificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site's routes, returns and redirects, header rules, access control, error pages and maintenance over
 * HTTP/2 (TLS with ALPN {@code h2}, the JDK's client), each answer checked to have come over HTTP/2: a stream
 * is served by the same steps as an HTTP/1.1 request, and Tandem's own answers carry no connection header
 * (which HTTP/2 forbids) whatever the rules say.
 */
@Timeout(60)
@SuppressWarnings("try")
class RoutesHttp2IT {

    private static final TestCertificates CA = TestCertificates.authority("Tandem Test CA");

    @TempDir
    Path dir;
    private TestBackend web;
    private TestBackend api;
    private TestProxy proxy;
    private HttpClient client;

    @BeforeEach
    void start() throws Exception {
        web = TestBackend.start("web", Respond.withHeaders(Map.of("Server", "backend/1"), "web\n"));
        api = TestBackend.start("api", x -> x.respond(x.request().uri().startsWith("/status/")
                ? Integer.parseInt(x.request().uri().substring(8)) : 200, "api\n"));
        CA.issue("localhost", "localhost").write(dir.resolve("cert.pem"), dir.resolve("key.pem"));
        Files.createDirectories(dir.resolve("assets"));
        Files.createDirectories(dir.resolve("www/img"));
        Files.writeString(dir.resolve("assets/app.css"), "body{}\n");
        Files.writeString(dir.resolve("www/img/logo.PNG"), "png bytes\n");
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        Files.writeString(dir.resolve("htpasswd"), "staff:" + OpenBSDBCrypt.generate("2y", "secret".toCharArray(), salt, 4) + "\n");
        proxy = TestProxy.start("""
                workers: 1
                listeners:
                  - name: https
                    bind: 127.0.0.1:0
                    tls:
                      certificates: [{ cert: %1$s/cert.pem, key: %1$s/key.pem }]
                forwarding: { trusted_proxies: [127.0.0.1/32] }
                sites:
                  - hosts: [localhost]
                    upstream: web
                    headers:
                      request: { set: { X-Site: example }, remove: [X-Debug] }
                      response: { set: { X-Frame-Options: DENY }, add: { X-Site-Host: "$host" }, remove: [Server] }
                    error_pages:
                      404: { body: "<h1>not here</h1>\\n" }
                      503: { body: "<h1>service currently not available</h1>\\n" }
                    routes:
                      - exact: /healthz
                        return: { status: 200, body: "ok\\n" }
                      - prefix: /api/
                        upstream: api
                        strip_prefix: true
                        headers:
                          request: { set: { X-Route: api, X-Uri: "$uri" } }
                          response: { set: { X-Route: api } }
                      - prefix: /assets/
                        stop: true
                        static: { root: %1$s/assets, fallback: false }
                        strip_prefix: true
                      - regex: '\\.(png|css)$'
                        ignore_case: true
                        static: { root: %1$s/www, fallback: true }
                      - prefix: /old/
                        redirect: { status: 301, to: "https://$host/new$request_uri" }
                      - prefix: /office/
                        access: { allow: [10.0.0.0/8] }
                      - prefix: /staff/
                        access: { basic_auth: { realm: staff, htpasswd: %1$s/htpasswd } }
                upstreams:
                  web:
                    servers: [{ address: %2$s }]
                    timeouts: { connect: 2s, read: 1s, write: 5s }
                    retries: 0
                  api:
                    servers: [{ address: %3$s }]
                    timeouts: { connect: 2s, read: 1s, write: 5s }
                    retries: 0
                """.formatted(dir, web.hostPort(), api.hostPort()));
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(CA.clientContext())
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        web.close();
        api.close();
    }

    /** GET {@code path} over HTTP/2, with {@code headers} (name, value, ...). */
    private HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://localhost:"
                + proxy.server().boundAddress("https").getPort() + path)).timeout(Duration.ofSeconds(20));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, r.version(), "answered over HTTP/2");
        return r;
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    /** The site's response rules are on {@code r}, each once; no connection header. */
    private static void assertSiteRules(HttpResponse<?> r) {
        assertEquals(List.of("DENY"), r.headers().allValues("x-frame-options"), r.headers().toString());
        assertEquals(List.of("localhost"), r.headers().allValues("x-site-host"), r.headers().toString());
        assertNull(header(r, "connection"));
        assertNull(header(r, "server"));
    }

    @Test
    void routesReturnsRedirectsAndHeaderRules() throws Exception {
        HttpResponse<String> health = get("/healthz");
        assertEquals(200, health.statusCode());
        assertEquals("ok\n", health.body());
        assertEquals("text/plain; charset=utf-8", header(health, "content-type"));
        assertSiteRules(health);

        HttpResponse<String> users = get("/api/users?page=2", "X-Debug", "1", "X-Site", "forged");
        assertEquals(200, users.statusCode());
        assertEquals("api\n", users.body());
        assertSiteRules(users);
        assertEquals("api", header(users, "x-route"));
        RecordedRequest seen = api.lastRequest();
        assertEquals("/users?page=2", seen.uri(), "the prefix stripped, the query kept");
        assertEquals(List.of("example"), seen.headerValues("x-site"), "set replaces the client's own");
        assertNull(seen.header("x-debug"));
        assertEquals("api", seen.header("x-route"));
        assertEquals("/api/users", seen.header("x-uri"));
        assertEquals("https", seen.header("x-forwarded-proto"));
        assertEquals(0, web.requests());

        HttpResponse<String> page = get("/index.html");
        assertEquals("web\n", page.body());
        assertSiteRules(page);
        assertEquals("example", web.lastRequest().header("x-site"));
        assertNull(web.lastRequest().header("x-route"), "the api route's rules are its own");

        HttpResponse<String> css = get("/assets/app.css");
        assertEquals(200, css.statusCode());
        assertEquals("body{}\n", css.body());
        assertSiteRules(css);
        HttpResponse<String> logo = get("/img/logo.PNG");
        assertEquals("png bytes\n", logo.body(), "the regex route's root");
        assertEquals("web\n", get("/img/missing.png").body(), "a miss falls back to the upstream");
        HttpResponse<String> missing = get("/assets/missing.css");
        assertEquals(404, missing.statusCode(), "stop: the regex route never sees it, and no fallback");
        assertEquals("<h1>not here</h1>\n", missing.body());
        assertSiteRules(missing);

        HttpResponse<String> moved = get("/old/page?x=1");
        assertEquals(301, moved.statusCode());
        assertEquals("https://localhost/new/old/page?x=1", header(moved, "location"));
        assertSiteRules(moved);
    }

    @Test
    void accessControl() throws Exception {
        HttpResponse<String> refused = get("/office/plan");
        assertEquals(403, refused.statusCode());
        assertSiteRules(refused);
        assertEquals(200, get("/office/plan", "X-Forwarded-For", "10.1.2.3").statusCode(),
                "the client address the trusted proxy names");

        HttpResponse<String> challenge = get("/staff/");
        assertEquals(401, challenge.statusCode());
        assertEquals("Basic realm=\"staff\", charset=\"UTF-8\"", header(challenge, "www-authenticate"));
        assertSiteRules(challenge);
        assertEquals(401, get("/staff/", "Authorization", basic("staff", "wrong")).statusCode());
        HttpResponse<String> in = get("/staff/", "Authorization", basic("staff", "secret"));
        assertEquals(200, in.statusCode());
        assertEquals("web\n", in.body());
    }

    @Test
    void errorPagesAndMaintenance() throws Exception {
        web.nextRequests(Respond.raw("HTTP/1.1 abc\r\nno header line\r\n\r\n", true));
        HttpResponse<String> badGateway = get("/a");
        assertEquals(502, badGateway.statusCode());
        assertSiteRules(badGateway);

        web.nextRequests(Respond.hang());
        HttpResponse<String> timeout = get("/b");
        assertEquals(504, timeout.statusCode());
        assertSiteRules(timeout);

        proxy.state(web.hostPort()).drained(true);
        HttpResponse<String> unavailable = get("/c");
        assertEquals(503, unavailable.statusCode());
        assertEquals("<h1>service currently not available</h1>\n", unavailable.body());
        assertSiteRules(unavailable);
        assertEquals(200, get("/api/still").statusCode(), "another route's upstream is still there");
        proxy.state(web.hostPort()).drained(false);

        int apiBefore = api.requests();
        proxy.server().guards().maintenance().set("localhost", true);
        HttpResponse<String> maintenance = get("/api/users");
        assertEquals(503, maintenance.statusCode());
        assertEquals("120", header(maintenance, "retry-after"));
        assertSiteRules(maintenance);
        assertEquals(503, get("/api/users", "X-Forwarded-For", "10.1.2.3").statusCode(),
                "maintenance without an allow list answers everyone");
        assertEquals(0, api.requests() - apiBefore, "nothing reached the upstream");
    }

    @Test
    void hostilePathsAndValues() throws Exception {
        HttpResponse<String> above = get("/%2e%2e/etc/passwd");
        assertEquals(400, above.statusCode());
        assertSiteRules(above);

        // /api/%2e%2e/x is /x: not the api route's.
        assertEquals("web\n", get("/api/%2e%2e/x").body());

        HttpResponse<String> crlf = get("/api/a%0d%0aX-Evil:%201");
        assertEquals(200, crlf.statusCode());
        RecordedRequest seen = api.lastRequest();
        assertNull(seen.header("x-uri"), "the value $uri filled with CR LF is dropped");
        assertNull(seen.header("x-evil"));
        assertEquals("api", seen.header("x-route"), "the route's other rules still apply");
        assertFalse(crlf.headers().map().containsKey("x-evil"));
        assertTrue(proxy.meters().find("tandem.header.rule.drops").tag("site", "localhost").counter().count() >= 1);
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
