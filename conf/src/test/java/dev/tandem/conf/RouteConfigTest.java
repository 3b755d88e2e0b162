package dev.tandem.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code sites[].routes} and {@code headers}: the shape of issue 14, and every mistake as FILE:LINE:COL. */
class RouteConfigTest {

    private static final String HEAD = """
            listeners:
              - name: http
                bind: :80
            upstreams:
              web: {servers: [{address: "b:80"}]}
              api: {servers: [{address: "c:80"}]}
            sites:
              - hosts: [example.com]
                upstream: web
            """;

    private static Config parse(String sites) throws ConfigException {
        return ConfigLoader.parse("t.yaml", HEAD + sites, Path.of("/etc/tandem"));
    }

    private static List<String> errors(String sites) {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(sites));
        return e.errors().stream().map(ConfigError::toString).toList();
    }

    @Test
    void theIssuesShapeBinds() throws Exception {
        Config c = parse("""
                    routes:
                      - exact: /healthz
                        return: { status: 200, body: "ok\\n" }
                      - prefix: /api/
                        upstream: api
                        strip_prefix: true
                      - prefix: /assets/
                        stop: true
                        static: { root: /var/www/assets, fallback: false }
                      - regex: '\\.(jpg|jpeg|gif|png|css|js|ico)$'
                        ignore_case: true
                        static: { root: /var/www/example.com, fallback: true }
                      - prefix: /old/
                        redirect: { status: 301, to: "https://$host/new$request_uri" }
                    headers:
                      request:  { set: { X-Site: example }, remove: [X-Debug] }
                      response: { set: { X-Frame-Options: DENY }, add: { X-Served-By: "$node" }, remove: [Server] }
                """);
        SiteConfig site = c.sites().get(0);
        List<RouteConfig> routes = site.routes();
        assertEquals(5, routes.size());
        assertEquals(RouteMatch.Kind.EXACT, routes.get(0).match().kind());
        assertEquals("ok\n", routes.get(0).fixed().get().body().text());
        assertEquals(Optional.of("/"), routes.get(1).replacePrefix());
        assertEquals(Optional.of("api"), routes.get(1).upstream());
        assertTrue(routes.get(2).stop());
        assertFalse(routes.get(2).staticFiles().get().fallback());
        assertTrue(routes.get(3).match().regex().get().matcher("/A.PNG").find(), "ignore_case");
        FixedResponse redirect = routes.get(4).fixed().get();
        assertEquals(301, redirect.status());
        assertEquals(List.of("https://", ValueTemplate.Variable.HOST, "/new", ValueTemplate.Variable.REQUEST_URI),
                redirect.location().get().parts());
        assertEquals(List.of("x-debug"), site.headers().request().remove());
        assertEquals("DENY", site.headers().response().set().get("x-frame-options").text());
        assertEquals(List.of(ValueTemplate.Variable.NODE), site.headers().response().add().get("x-served-by").parts());
        assertEquals(List.of("server"), site.headers().response().remove());
    }

    @Test
    void aSiteOfRoutesAloneNeedsNoUpstream() throws Exception {
        Config c = ConfigLoader.parse("t.yaml", """
                listeners: [{name: http, bind: ":80"}]
                sites:
                  - hosts: [www.example.com]
                    routes:
                      - prefix: /
                        redirect: { status: 301, to: "https://example.com$request_uri" }
                """, Path.of("/etc"));
        assertTrue(c.sites().get(0).upstream().isEmpty());
    }

    @Test
    void regexesRe2CannotTakeAreRefused() {
        assertEquals(List.of(
                "t.yaml:11:16: sites[0].routes[0].regex: '(a)\\1' (expected: a regular expression in RE2 syntax, which has"
                        + " no backreferences or lookaround; invalid escape sequence)",
                "t.yaml:12:16: sites[0].routes[1].regex: '^(?=admin)' (expected: a regular expression in RE2 syntax,"
                        + " which has no backreferences or lookaround; invalid or unsupported Perl syntax)",
                "t.yaml:13:16: sites[0].routes[2].regex: '((a{1000}){1000}){1000}' (expected: a regular expression whose"
                        + " nested counted repetitions make at most 1000 copies, as RE2 allows; RE2/J would build them all)"),
                errors("""
                            routes:
                              - regex: '(a)\\1'
                              - regex: '^(?=admin)'
                              - regex: '((a{1000}){1000}){1000}'
                        """));
    }

    @Test
    void aCatastrophicBacktrackingPatternCompilesAndStaysLinear() throws Exception {
        // (a+)+$ takes exponential time in a backtracking engine; RE2 runs it in linear time, so it is allowed.
        Config c = parse("""
                    routes:
                      - regex: '^/(a+)+$'
                """);
        com.google.re2j.Pattern p = c.sites().get(0).routes().get(0).match().regex().get();
        assertFalse(p.matcher("/" + "a".repeat(100_000) + "!").find());
    }

    @Test
    void headerRulesCannotTouchForwardingOrFramingHeaders() {
        assertEquals(List.of(
                "t.yaml:11:42: sites[0].headers.request.set.X-Forwarded-For: 'X-Forwarded-For' is a forwarding header,"
                        + " which Tandem alone sets (expected: another header; forwarding.trusted_proxies decides whose"
                        + " forwarding headers are kept)",
                "t.yaml:11:62: sites[0].headers.request.set.X-Real-IP: 'X-Real-IP' is a forwarding header, which Tandem"
                        + " alone sets (expected: another header; forwarding.trusted_proxies decides whose forwarding"
                        + " headers are kept)",
                "t.yaml:11:76: sites[0].headers.request.remove[0]: 'Forwarded' is a forwarding header, which Tandem alone"
                        + " sets (expected: another header; forwarding.trusted_proxies decides whose forwarding headers"
                        + " are kept)",
                "t.yaml:11:87: sites[0].headers.request.remove[1]: 'X-Forwarded-Proto' is a forwarding header, which"
                        + " Tandem alone sets (expected: another header; forwarding.trusted_proxies decides whose"
                        + " forwarding headers are kept)",
                "t.yaml:12:42: sites[0].headers.response.set.Content-Length: 'Content-Length' frames the message or the"
                        + " connection, which Tandem alone sets (expected: another header)"),
                errors("""
                            headers:
                              request: { set: { X-Forwarded-For: 1.2.3.4, X-Real-IP: x }, remove: [Forwarded, X-Forwarded-Proto] }
                              response: { set: { Content-Length: 5 } }
                        """));
    }

    @Test
    void headerValuesWithCrLfAndUnknownVariablesAreRefused() {
        assertEquals(List.of(
                "t.yaml:11:31: sites[0].headers.response.set.X-A: 'a\\nSet-Cookie: x=1' (expected: a header value"
                        + " without CR, LF or other control characters)",
                "t.yaml:12:31: sites[0].headers.response.add.X-B: 'served by $hots' (expected: variables among $host,"
                        + " $scheme, $request_uri, $uri, $args, $remote_addr, $node; $hots is unknown, did you mean $host?)"),
                errors("""
                            headers:
                              response: { set: { X-A: "a\\nSet-Cookie: x=1" },
                                          add: { X-B: "served by $hots" } }
                        """));
    }

    @Test
    void routeMistakesAreEachReportedWhereTheyAre() {
        assertEquals(List.of(
                "t.yaml:11:9: sites[0].routes[0]: unknown key 'prefx' (did you mean 'prefix'?)",
                "t.yaml:11:9: sites[0].routes[0]: a route without a path (expected: one of exact, prefix, regex)",
                "t.yaml:12:9: sites[0].routes[1]: a route with exact and prefix (expected: one of exact, prefix, regex)",
                "t.yaml:13:16: sites[0].routes[2].exact: 'healthz' (expected: a path starting with /)",
                "t.yaml:14:34: sites[0].routes[3].upstream: 'nope' (expected: one of the upstreams: web, api)",
                "t.yaml:15:37: sites[0].routes[4].ignore_case: true (expected: ignore_case only on a regex route (nginx ~*))",
                "t.yaml:16:36: sites[0].routes[5].strip_prefix: true (expected: strip_prefix only on a prefix route)",
                "t.yaml:17:28: sites[0].routes[6].stop: true (expected: stop only on a prefix route (an exact or regex"
                        + " route already ends the search))",
                "t.yaml:18:44: sites[0].routes[7].redirect.status: 200 (expected: an integer from 301 to 308)",
                "t.yaml:19:19: sites[0].routes[8].prefix: '/x/' (expected: a path not already routed by sites[0].routes[3].prefix)",
                "t.yaml:20:57: sites[0].routes[9].upstream: 'web' (expected: nothing beside return, which answers the"
                        + " request itself)"),
                errors("""
                            routes:
                              - prefx: /a
                              - { exact: /a, prefix: /b }
                              - exact: healthz
                              - { prefix: /x/, upstream: nope }
                              - { prefix: /a/, ignore_case: true }
                              - { exact: /e, strip_prefix: true }
                              - { exact: /s, stop: true }
                              - { prefix: /r/, redirect: { status: 200, to: / } }
                              - { prefix: /x/ }
                              - { exact: /h, return: { status: 200 }, upstream: web }
                        """));
    }
    @Test
    void aRouteBindsItsOwnAccessAndErrorPages() throws Exception {
        Config c = parse("""
                    access: { allow: [10.0.0.0/8] }
                    routes:
                      - prefix: /admin/
                        access:
                          allow: [127.0.0.2/32]
                          basic_auth: { realm: "staff", htpasswd: htpasswd }
                        error_pages: { 404: { body: "<h1>no such admin page</h1>" }, 403: errors/403.html }
                      - prefix: /
                """);
        List<RouteConfig> routes = c.sites().get(0).routes();
        RouteConfig admin = routes.get(0);
        assertTrue(admin.access().admits(java.net.InetAddress.getByName("127.0.0.2")));
        assertFalse(admin.access().admits(java.net.InetAddress.getByName("10.1.2.3")), "the route's list alone");
        assertEquals("staff", admin.access().basicAuth().get().realm());
        assertEquals(Path.of("/etc/tandem/htpasswd"), admin.access().basicAuth().get().htpasswd(),
                "relative to the config's directory, as the site's");
        assertEquals(java.util.Optional.of("<h1>no such admin page</h1>"), admin.errorPages().page(404).get().body());
        assertEquals(java.util.Optional.of(Path.of("/etc/tandem/errors/403.html")), admin.errorPages().page(403).get().file());
        assertTrue(routes.get(1).access().isOpen(), "a route without access inherits the site's (OPEN here)");
        assertTrue(routes.get(1).errorPages().isEmpty());
    }

    @Test
    void aRoutesAccessAndErrorPageMistakesAreReportedWhereTheyAre() {
        assertEquals(List.of(
                "t.yaml:11:42: sites[0].routes[0].access.allow[0]: '10.0.0.0/33' (expected: a prefix length of 0-32)",
                "t.yaml:12:55: sites[0].routes[1].access.basic_auth.realm: 'a\"b' (expected: a realm of printable"
                        + " ASCII characters without quotes or backslashes)",
                "t.yaml:13:44: sites[0].routes[2].error_pages.200: status '200' (expected: an error status from 400 to 599)",
                "t.yaml:14:24: sites[0].routes[3]: unknown key 'acess' (did you mean 'access'?)"),
                errors("""
                            routes:
                              - { prefix: /a/, access: { allow: [10.0.0.0/33] } }
                              - { prefix: /b/, access: { basic_auth: { realm: 'a"b', htpasswd: /h } } }
                              - { prefix: /c/, error_pages: { 200: /x.html } }
                              - { prefix: /d/, acess: { allow: [10.0.0.0/8] } }
                        """));
    }
}
