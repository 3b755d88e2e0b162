package dev.tandem.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code error_pages}, {@code maintenance} and {@code access} of a site: the issue's shape, and each mistake. */
class SiteRulesConfigTest {

    private static final String HEAD = """
            listeners:
              - name: http
                bind: :80
            upstreams:
              web: {servers: [{address: "b:80"}]}
            sites:
              - hosts: [a.example]
                upstream: web
            """;

    private static SiteConfig site(String rules) throws ConfigException {
        return ConfigLoader.parse("t.yaml", HEAD + rules, Path.of("/etc/tandem")).sites().get(0);
    }

    private static List<String> errors(String rules) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("t.yaml", HEAD + rules, Path.of("/etc/tandem")));
        return e.errors().stream().map(ConfigError::toString).toList();
    }

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void theIssueShapeBinds() throws Exception {
        SiteConfig s = site("""
                    error_pages: { 404: /var/www/errors/404.html, 503: errors/503.html }
                    maintenance: { enabled: false, page: /var/www/errors/maintenance.html, allow: [10.0.0.0/8], retry_after: 120s }
                    access:
                      allow: [10.0.0.0/8]
                      deny: [10.9.0.0/16]
                      basic_auth: { realm: "staff", htpasswd: /etc/tandem/htpasswd }
                """);
        assertEquals(Optional.of(Path.of("/var/www/errors/404.html")), s.errorPages().page(404).get().file());
        assertEquals(Optional.of(Path.of("/etc/tandem/errors/503.html")), s.errorPages().page(503).get().file(),
                "relative to the config's directory");
        assertFalse(s.errorPages().page(404).get().upstream());
        assertFalse(s.maintenance().enabled());
        assertEquals(Duration.ofSeconds(120), s.maintenance().retryAfter());
        assertTrue(s.maintenance().allows(ip("10.1.2.3")));
        assertFalse(s.maintenance().allows(ip("192.0.2.1")));
        assertEquals("staff", s.access().basicAuth().get().realm());
        assertEquals(Path.of("/etc/tandem/htpasswd"), s.access().basicAuth().get().htpasswd());
        assertTrue(s.access().admits(ip("10.1.2.3")));
        assertFalse(s.access().admits(ip("10.9.0.1")), "deny is checked first");
        assertFalse(s.access().admits(ip("192.0.2.1")), "outside allow");
        assertTrue(s.access().admits(ip("::ffff:10.1.2.3")), "a v4-mapped address is its IPv4 address");
    }

    @Test
    void withoutTheKeysASiteIsOpenWithTheBuiltInPages() throws Exception {
        SiteConfig s = site("");
        assertTrue(s.errorPages().isEmpty());
        assertEquals(Maintenance.OFF, s.maintenance());
        assertTrue(s.access().isOpen());
        assertTrue(s.access().admits(ip("192.0.2.1")));
    }

    @Test
    void inlinePagesAndUpstreamInterception() throws Exception {
        SiteConfig s = site("""
                    error_pages:
                      502: { body: "<h1>Back soon</h1>", upstream: true }
                      500: { file: /srv/500.json, type: application/json }
                """);
        ErrorPages.Page p502 = s.errorPages().page(502).get();
        assertEquals(Optional.of("<h1>Back soon</h1>"), p502.body());
        assertEquals(ErrorPages.Page.HTML, p502.contentType());
        assertTrue(p502.upstream());
        assertEquals("application/json", s.errorPages().page(500).get().contentType());
    }

    @Test
    void denyOnlyLetsEveryoneElseIn() throws Exception {
        SiteConfig s = site("""
                    access: { deny: [192.0.2.0/24, "2001:db8::/32"] }
                """);
        assertFalse(s.access().admits(ip("192.0.2.7")));
        assertFalse(s.access().admits(ip("2001:db8::1")));
        assertTrue(s.access().admits(ip("198.51.100.1")));
    }

    @Test
    void mistakesAreReportedWhereTheyAre() {
        assertEquals(List.of(
                "t.yaml:9:25: sites[0].error_pages.200: status '200' (expected: an error status from 400 to 599)",
                "t.yaml:9:39: sites[0].error_pages.503: a page needs one of file or body (expected:"
                        + " {file: /var/www/errors/503.html} or {body: '<h1>Back soon</h1>'})",
                "t.yaml:10:48: sites[0].maintenance.retry_after: 'soon' (expected: a duration such as 100ms, 2s, 5m or 1h)",
                "t.yaml:11:23: sites[0].access.allow[0]: '10.0.0.0/33' (expected: a prefix length of 0-32)",
                "t.yaml:11:44: sites[0].access.deny[0]: 'intranet' (expected: an IP network such as 10.0.0.0/8 or 2001:db8::/32)",
                "t.yaml:11:67: sites[0].access.basic_auth.htpasswd: missing (expected: an htpasswd file of bcrypt entries"
                        + " (htpasswd -B))",
                "t.yaml:11:76: sites[0].access.basic_auth.realm: 'a\"b' (expected: a realm of printable ASCII characters"
                        + " without quotes or backslashes)"),
                errors("""
                    error_pages: { 200: /x.html, 503: {} }
                    maintenance: { enabled: true, retry_after: soon }
                    access: { allow: [10.0.0.0/33], deny: [intranet], basic_auth: { realm: 'a"b' } }
                """));
    }

    @Test
    void anEmptyAllowListIsRefused() {
        assertEquals(List.of("t.yaml:9:22: sites[0].access.allow: [] (expected: at least one address or network;"
                        + " to refuse everyone, deny: [0.0.0.0/0, ::/0])"),
                errors("""
                    access: { allow: [] }
                """));
    }

    @Test
    void aMisspelledKeyIsSuggested() {
        assertEquals(List.of("t.yaml:9:5: sites[0]: unknown key 'maintenence' (did you mean 'maintenance'?)"),
                errors("""
                    maintenence: { enabled: true }
                """));
    }
}
