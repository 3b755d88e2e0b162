package dev.tandem.proxy.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.RawResponse;
import dev.tandem.testkit.RecordedRequest;
import dev.tandem.testkit.Respond;
import dev.tandem.testkit.TestBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routes within a site over real sockets: returns and redirects, prefixes stripped and replaced, static roots
 * with and without fallback, nginx's order with stop, header rules both ways, the hostile paths and values,
 * and a reload that changes the routes.
 */
class RoutesIT {

    private static final String CONFIG = """
            workers: 1
            listeners:
              - name: http
                bind: 127.0.0.1:0
            upstreams:
              web: { servers: [{ address: WEB }], timeouts: { connect: 2s, read: 5s, write: 5s } }
              api: { servers: [{ address: API }], timeouts: { connect: 2s, read: 5s, write: 5s } }
            sites:
              - hosts: [www.example.com]
                routes:
                  - prefix: /
                    redirect: { status: 301, to: "https://example.com$request_uri" }
              - hosts: [example.com]
                upstream: web
                routes:
                  - exact: /healthz
                    return: { status: 200, body: "ok\\n" }
                  - exact: /vars
                    return: { status: 203, body: "$scheme $host $request_uri $uri $args $remote_addr $node" }
                  - prefix: /api/
                    upstream: api
                    strip_prefix: true
                    headers:
                      request: { set: { X-Route: api }, add: { X-Client: "$remote_addr" } }
                      response: { set: { Cache-Control: no-cache } }
                  - prefix: /v1/
                    upstream: api
                    replace_prefix: /backend/
                  - prefix: /assets/
                    stop: true
                    strip_prefix: true
                    static: { root: DIR/assets, fallback: false }
                  - regex: '\\.(jpg|png|css)$'
                    ignore_case: true
                    static: { root: DIR/site, fallback: true }
                  - prefix: /old/
                    redirect: { status: 308, to: "https://$host/new$uri?$args" }
                  - prefix: /echo/
                    headers:
                      request: { set: { X-Path: "$uri" } }
                      response: { set: { X-Echo-Path: "$uri" } }
                  - prefix: /go/
                    redirect: { to: "/landing$uri" }
                headers:
                  request:  { set: { X-Site: example }, remove: [X-Debug] }
                  response: { set: { X-Frame-Options: DENY }, add: { X-Served-By: "$node" }, remove: [Server] }
            """;

    @TempDir
    Path dir;
    private TestBackend web;
    private TestBackend api;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        web = TestBackend.start("web", Respond.withHeaders(Map.of("Server", "backend/1.0", "X-Upstream", "web"), "web"));
        api = TestBackend.start("api", Respond.withHeaders(Map.of("Server", "backend/1.0"), "api"));
        Files.createDirectories(dir.resolve("assets"));
        Files.createDirectories(dir.resolve("site/img"));
        Files.writeString(dir.resolve("assets/app.css"), "body{}");
        Files.writeString(dir.resolve("assets/logo.png"), "assets-png");
        Files.writeString(dir.resolve("site/img/logo.png"), "site-png");
        proxy = TestProxy.start(config(CONFIG));
    }

    private String config(String yaml) {
        return yaml.replace("WEB", web.hostPort()).replace("API", api.hostPort()).replace("DIR", dir.toString());
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        web.close();
        api.close();
    }

    private RawResponse get(String target, String host) throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            return c.send("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").read();
        }
    }

    private RawResponse get(String target) throws Exception {
        return get(target, "example.com");
    }

    private double drops() {
        return proxy.meters().get("tandem.header.rule.drops").tag("site", "example.com").counter().count();
    }

    @Test
    void anExactRouteReturnsItsBodyWithTheSitesResponseRules() throws Exception {
        RawResponse r = get("/healthz");
        assertEquals(200, r.status());
        assertEquals("ok\n", r.bodyText());
        assertEquals("text/plain; charset=utf-8", r.header("Content-Type"));
        assertEquals("3", r.header("Content-Length"));
        assertEquals("DENY", r.header("X-Frame-Options"));
        assertEquals(System.getenv().getOrDefault("HOSTNAME", "tandem"), r.header("X-Served-By"));
        assertEquals(0, web.received().size() + api.received().size(), "answered without an upstream");
        assertEquals(200, get("/healthz?probe=1").status(), "the query is not part of the path");
        assertEquals("web", get("/healthz/").bodyText(), "an exact path is exact");
        assertEquals(2.0, proxy.meters().get("tandem.route.requests").tag("site", "example.com")
                .tag("route", "exact /healthz").counter().count(), 0.0);
    }

    @Test
    void variablesAreTheRequests() throws Exception {
        RawResponse r = get("/v%61rs?a=1&b=%20", "Example.COM:8080");
        assertEquals(203, r.status());
        assertEquals("http example.com /v%61rs?a=1&b=%20 /vars a=1&b=%20 127.0.0.1 "
                + System.getenv().getOrDefault("HOSTNAME", "tandem"), r.bodyText());
    }

    @Test
    void eachRequestOfAConnectionHasItsOwnVariables() throws Exception {
        String node = System.getenv().getOrDefault("HOSTNAME", "tandem");
        try (RawHttpClient c = proxy.connect()) {
            assertEquals("http example.com /vars?a=1 /vars a=1 127.0.0.1 " + node,
                    c.send("GET /vars?a=1 HTTP/1.1\r\nHost: Example.COM\r\n\r\n").read().bodyText());
            assertEquals("http example.com /vars?a=1 /vars a=1 127.0.0.1 " + node,
                    c.send("GET /vars?a=1 HTTP/1.1\r\nHost: Example.COM\r\n\r\n").read().bodyText());
            assertEquals("http example.com /v%61rs?a=2 /vars a=2 127.0.0.1 " + node,
                    c.send("GET /v%61rs?a=2 HTTP/1.1\r\nHost: example.com.:81\r\n\r\n").read().bodyText());
            assertEquals("http example.com /vars /vars  127.0.0.1 " + node,
                    c.send("GET /vars HTTP/1.1\r\nHost: EXAMPLE.com\r\n\r\n").read().bodyText());
        }
    }

    @Test
    void aPrefixIsStrippedOnTheWayUpstreamWithTheRoutesAndTheSitesRules() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send("GET /api/users/7?full=1 HTTP/1.1\r\nHost: example.com\r\nX-Debug: 1\r\n"
                    + "X-Route: forged\r\n\r\n").read();
            assertEquals(200, r.status());
            assertEquals("api", r.bodyText());
            assertNull(r.header("Server"), "the site removes Server");
            assertEquals("no-cache", r.header("Cache-Control"));
            assertEquals("DENY", r.header("X-Frame-Options"));
        }
        RecordedRequest seen = api.received().get(0);
        assertEquals("/users/7?full=1", seen.uri());
        assertEquals("example", seen.header("X-Site"));
        assertEquals(List.of("api"), seen.headerValues("X-Route"), "set replaces the client's own");
        assertEquals("127.0.0.1", seen.header("X-Client"));
        assertNull(seen.header("X-Debug"));
        assertEquals("example.com", seen.header("Host"));
        assertEquals("127.0.0.1", seen.header("X-Real-IP"));
        assertEquals("127.0.0.1", seen.header("X-Forwarded-For"));
        assertEquals(0, web.received().size());
    }

    @Test
    void aPrefixIsReplacedAndTheRestReencoded() throws Exception {
        assertEquals(200, get("/v1/a%20b/c?x=%2F").status());
        assertEquals(200, get("/v1/").status());
        assertEquals("/backend/a%20b/c?x=%2F", api.received().get(0).uri());
        assertEquals("/backend/", api.received().get(1).uri());
    }

    @Test
    void staticRootsWithAndWithoutFallbackAndStopKeepingTheRegexAway() throws Exception {
        RawResponse css = get("/assets/app.css");
        assertEquals(200, css.status());
        assertEquals("body{}", css.bodyText());
        assertEquals("DENY", css.header("X-Frame-Options"), "response rules apply to files too");
        assertEquals(404, get("/assets/missing.css").status(), "fallback: false");
        assertEquals("assets-png", get("/assets/logo.png").bodyText(), "stop: the regex never sees /assets/");
        assertEquals("site-png", get("/img/logo.png").bodyText());
        assertEquals(0, web.received().stream().filter(r -> r.uri().startsWith("/assets/")).count());
        RawResponse fallback = get("/img/none.PNG");
        assertEquals(200, fallback.status(), "ignore_case matched, no file, fallback to the site's upstream");
        assertEquals("web", fallback.bodyText());
        assertTrue(web.received().stream().anyMatch(r -> r.uri().equals("/img/none.PNG")));
    }

    @Test
    void redirectsCarryTheirLocation() throws Exception {
        RawResponse www = get("/some/page?q=1", "www.example.com");
        assertEquals(301, www.status());
        assertEquals("https://example.com/some/page?q=1", www.header("Location"));
        RawResponse old = get("/old/x%2Fy?a=b");
        assertEquals(308, old.status());
        assertEquals("https://example.com/new/old/x/y?a=b", old.header("Location"));
        RawResponse relative = get("/go/there");
        assertEquals(302, relative.status(), "a redirect's status defaults to 302, as nginx's return does");
        assertEquals("/landing/go/there", relative.header("Location"));
        assertEquals(0, web.received().size());
    }

    @Test
    void encodedDotSegmentsAndDoubleSlashesCannotEscapeARoute() throws Exception {
        // /api/%2e%2e/secret is /secret: not the api route's, so it goes to the site's upstream, as sent.
        assertEquals("web", get("/api/%2e%2e/secret").bodyText());
        assertEquals("/api/%2e%2e/secret", web.received().get(0).uri());
        assertEquals(0, api.received().size());
        // //api//users is /api/users: the api route's, rewritten from the normalized path.
        assertEquals("api", get("//api//users").bodyText());
        assertEquals("/users", api.received().get(0).uri());
        assertEquals("assets-png", get("/img/..%2fassets/logo.png").bodyText(), "normalized into /assets/: stop");
        assertEquals(400, get("/%2e%2e/etc/passwd").status(), "above the root");
        assertEquals(400, get("/a%00b").status());
    }

    @Test
    void aVariableThatWouldInjectCrLfIsDroppedAndCounted() throws Exception {
        double before = drops();
        RawResponse r = get("/echo/a%0d%0aSet-Cookie:%20x=1");
        assertEquals(200, r.status());
        assertNull(r.header("Set-Cookie"));
        assertNull(r.header("X-Echo-Path"));
        RecordedRequest seen = web.received().get(0);
        assertNull(seen.header("X-Path"));
        assertNull(seen.header("Set-Cookie"));
        assertEquals(before + 2, drops(), 0.0);
        assertEquals("/echo/plain", get("/echo/plain").header("X-Echo-Path"));
        RawResponse redirect = get("/go/%0d%0aSet-Cookie:%20x=1");
        assertEquals(400, redirect.status(), "a Location that would split the response");
        assertNull(redirect.header("Set-Cookie"));
        assertEquals(before + 3, drops(), 0.0);
    }

    @Test
    void aReloadChangesTheRoutes() throws Exception {
        assertEquals("ok\n", get("/healthz").bodyText());
        String next = config(CONFIG).replace("body: \"ok\\n\"", "body: \"ready\\n\"");
        proxy.server().apply(new Snapshot(ConfigLoader.parse("test.yaml", next, proxy.dir()), "test", 2, "test.yaml"));
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/healthz").bodyText().equals("ready\n"));
        assertFalse(get("/assets/app.css").bodyText().isEmpty());
    }
}
