package dev.tandem.proxy.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.conf.ConfigError;
import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tandem check}'s look at the files a route's rules name: at the route's own line and column. */
class SiteRulesCheckTest {

    @TempDir
    Path dir;

    @Test
    void aRoutesPageAndHtpasswdFilesAreCheckedWhereTheRouteNamesThem() throws Exception {
        Files.writeString(dir.resolve("empty-htpasswd"), "# nobody yet\n");
        String yaml = """
                listeners: [{name: http, bind: "127.0.0.1:0"}]
                upstreams:
                  web: {servers: [{address: "127.0.0.1:9"}]}
                sites:
                  - hosts: [a.test]
                    upstream: web
                    routes:
                      - prefix: /admin/
                        error_pages: { 404: admin-404.html }
                        access: { basic_auth: { htpasswd: missing-htpasswd } }
                      - prefix: /staff/
                        access: { basic_auth: { htpasswd: empty-htpasswd } }
                """;
        Snapshot snapshot = ConfigLoader.fromBytes("t.yaml", yaml.getBytes(StandardCharsets.UTF_8), dir, 1);
        SiteRulesCheck check = new SiteRulesCheck();
        assertEquals(List.of(
                "t.yaml:9:29: sites[0].routes[0].error_pages.404: '" + dir.resolve("admin-404.html")
                        + "' does not exist (expected: a page file of at most 1m)",
                "t.yaml:10:43: sites[0].routes[0].access.basic_auth.htpasswd: '" + dir.resolve("missing-htpasswd")
                        + "' does not exist (expected: an htpasswd file of bcrypt entries, made with htpasswd -B)"),
                check.check(snapshot).stream().map(ConfigError::toString).toList());
        assertEquals(List.of("t.yaml:12:43: sites[0].routes[1].access.basic_auth.htpasswd: '"
                        + dir.resolve("empty-htpasswd") + "' has no user: every request to the route is answered 401"),
                check.warnings(snapshot).stream().map(ConfigError::toString).toList());
    }
}
