package dev.tandem.proxy.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.re2j.Pattern;
import dev.tandem.conf.RouteMatch;
import org.junit.jupiter.api.Test;

/** Route selection in nginx's order, path normalization, and the cases where the two meet. */
class RouteTableTest {

    /** Selects for a raw request-target, as the proxy does: normalized first. */
    private static String route(RouteTable<String> t, String target) {
        String path = RoutePath.normalize(target);
        return path == null ? "400" : t.select(path);
    }

    private static RouteTable<String> nginxExample() {
        // nginx's documentation example: location = / {A}, location / {B}, location /documents/ {C},
        // location ^~ /images/ {D}, location ~* \.(gif|jpg|jpeg)$ {E}
        return RouteTable.<String>builder()
                .add(RouteMatch.exact("/"), false, "A")
                .add(RouteMatch.prefix("/"), false, "B")
                .add(RouteMatch.prefix("/documents/"), false, "C")
                .add(RouteMatch.prefix("/images/"), true, "D")
                .add(RouteMatch.regex(Pattern.compile("\\.(gif|jpg|jpeg)$", Pattern.CASE_INSENSITIVE)), false, "E")
                .build();
    }

    @Test
    void nginxsOwnExampleRoutesAsNginxDoes() {
        RouteTable<String> t = nginxExample();
        assertEquals("A", route(t, "/"));
        assertEquals("B", route(t, "/index.html"));
        assertEquals("C", route(t, "/documents/document.html"));
        assertEquals("D", route(t, "/images/1.gif"), "stop (^~) keeps the regex away");
        assertEquals("E", route(t, "/documents/1.jpg"), "a regex beats a prefix without stop");
        assertEquals("E", route(t, "/documents/1.JPG"), "ignore_case");
    }

    @Test
    void theLongestPrefixWinsWhateverTheOrderWritten() {
        RouteTable<String> t = RouteTable.<String>builder()
                .add(RouteMatch.prefix("/api/"), false, "api")
                .add(RouteMatch.prefix("/api/v2/"), false, "v2")
                .add(RouteMatch.prefix("/api/v2/admin"), false, "admin")
                .build();
        assertEquals("v2", route(t, "/api/v2/users"));
        assertEquals("admin", route(t, "/api/v2/admin/x"));
        assertEquals("admin", route(t, "/api/v2/administrators"), "a prefix is a prefix of the text, as in nginx");
        assertEquals("api", route(t, "/api/v1"));
        assertNull(route(t, "/ap"));
    }

    @Test
    void regexesAreTriedInTheOrderWrittenAndTheFirstWins() {
        RouteTable<String> t = RouteTable.<String>builder()
                .add(RouteMatch.regex(Pattern.compile("^/a")), false, "first")
                .add(RouteMatch.regex(Pattern.compile("^/ab")), false, "second")
                .build();
        assertEquals("first", route(t, "/abc"));
    }

    @Test
    void manyRegexesWithTheirOwnCaseRulesAreEachHonoured() {
        RouteTable.Builder<String> b = RouteTable.<String>builder().add(RouteMatch.prefix("/"), false, "root");
        for (int i = 0; i < 10; i++) {
            b.add(RouteMatch.regex(Pattern.compile("\\.x" + i + "$", i % 2 == 0 ? Pattern.CASE_INSENSITIVE : 0)), false, "x" + i);
        }
        b.add(RouteMatch.regex(Pattern.compile("^/(a|b)/[0-9]+$")), false, "ab");
        RouteTable<String> t = b.build();
        assertEquals("x4", route(t, "/f.X4"), "pattern 4 ignores case");
        assertEquals("root", route(t, "/f.X5"), "pattern 5 does not");
        assertEquals("x5", route(t, "/f.x5"));
        assertEquals("ab", route(t, "/b/42"));
        assertEquals("root", route(t, "/b/42/x"), "anchors keep their meaning among the others");
    }

    @Test
    void aRegexAndAPrefixForTheSamePath() {
        RouteTable<String> t = RouteTable.<String>builder()
                .add(RouteMatch.prefix("/static/"), false, "prefix")
                .add(RouteMatch.regex(Pattern.compile("^/static/")), false, "regex")
                .build();
        assertEquals("regex", route(t, "/static/x"), "without stop, a matching regex wins");
        RouteTable<String> stopped = RouteTable.<String>builder()
                .add(RouteMatch.prefix("/static/"), true, "prefix")
                .add(RouteMatch.regex(Pattern.compile("^/static/")), false, "regex")
                .build();
        assertEquals("prefix", route(stopped, "/static/x"));
    }

    @Test
    void anExactMatchBeatsEverythingElse() {
        RouteTable<String> t = RouteTable.<String>builder()
                .add(RouteMatch.regex(Pattern.compile("health")), false, "regex")
                .add(RouteMatch.prefix("/healthz"), true, "prefix")
                .add(RouteMatch.exact("/healthz"), false, "exact")
                .build();
        assertEquals("exact", route(t, "/healthz"));
        assertEquals("exact", route(t, "/healthz?full=1"), "the query is not part of the path");
        assertEquals("prefix", route(t, "/healthz/"), "an exact path is exact: a trailing slash is another path");
    }

    @Test
    void aTrailingSlashMatters() {
        RouteTable<String> t = RouteTable.<String>builder()
                .add(RouteMatch.prefix("/app/"), false, "app")
                .build();
        assertEquals("app", route(t, "/app/"));
        assertNull(route(t, "/app"), "/app is not under /app/, as in nginx");
        assertEquals("app", route(t, "/app//"));
    }

    @Test
    void anEncodedPathIsMatchedDecoded() {
        RouteTable<String> t = RouteTable.<String>builder()
                .add(RouteMatch.prefix("/api/"), false, "api")
                .add(RouteMatch.exact("/caf\u00e9"), false, "cafe")
                .add(RouteMatch.regex(Pattern.compile("\\.php$")), false, "php")
                .build();
        assertEquals("api", route(t, "/%61pi/users"));
        assertEquals("cafe", route(t, "/caf%C3%A9"));
        assertEquals("php", route(t, "/index%2ephp"));
        assertEquals("api", route(t, "/api%2fusers"), "an encoded slash is a slash once decoded, as in nginx");
    }

    @Test
    void dotSegmentsAndDoubleSlashesCannotEscapeARoute() {
        RouteTable<String> t = RouteTable.<String>builder()
                .add(RouteMatch.prefix("/public/"), false, "public")
                .add(RouteMatch.prefix("/admin/"), false, "admin")
                .build();
        assertEquals("admin", route(t, "/public/%2e%2e/admin/x"), "climbs out of /public/ into /admin/: routed there");
        assertEquals("admin", route(t, "/public/../admin/x"));
        assertEquals("admin", route(t, "/public/%2E%2E%2Fadmin/x"));
        assertEquals("admin", route(t, "//admin//x"));
        assertEquals("admin", route(t, "/./admin/./x"));
        assertEquals("public", route(t, "/admin/../public/y"));
        assertEquals("400", route(t, "/%2e%2e/etc/passwd"), "above the root");
        assertEquals("400", route(t, "/public/../../x"));
        assertEquals("400", route(t, "/a%00b"), "a NUL");
    }

    @Test
    void normalization() {
        assertEquals("/", RoutePath.normalize("/"));
        assertEquals("/a/b", RoutePath.normalize("/a/b?x=/../y"));
        assertEquals("/a/", RoutePath.normalize("/a/b/.."));
        assertEquals("/a/", RoutePath.normalize("/a/."));
        assertEquals("/.well-known/x", RoutePath.normalize("/.well-known/x"));
        assertEquals("/\u00ff", RoutePath.normalize("/%ff"), "not UTF-8: taken as Latin-1, not refused");
        assertEquals("/a%20b/%C3%A9%3F%25", RoutePath.encode("/a b/\u00e9?%"));
    }
}
