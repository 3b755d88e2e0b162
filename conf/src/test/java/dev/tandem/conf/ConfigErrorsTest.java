package dev.tandem.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One test per kind of mistake, each checking the exact {@code FILE:LINE:COL: message}. Line and column
 * are 1-based and point at the offending value (or key, for unknown and duplicate keys; or the mapping,
 * for a missing key).
 */
class ConfigErrorsTest {

    private static final String LISTENER = """
            listeners:
              - name: http
                bind: :80
            """;

    private static List<String> errors(String yaml) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("t.yaml", yaml, Path.of("/etc/tandem")));
        return e.errors().stream().map(ConfigError::toString).toList();
    }

    private static void assertErrors(String yaml, String... expected) {
        assertEquals(List.of(expected), errors(yaml));
    }

    // ---- keys

    @Test
    void unknownKeySuggestsTheNearestKnownOne() {
        assertErrors(LISTENER + """
                sites:
                  - hosts: [a.example]
                    upsteam: web
                """,
                // One mistake, one error: the missing 'upstream' is the misspelled key.
                "t.yaml:6:5: sites[0]: unknown key 'upsteam' (did you mean 'upstream'?)");
    }

    @Test
    void allowUpgradesRefusesH2cAndWhatIsNotAToken() {
        assertErrors(LISTENER + """
                upstreams:
                  web: {servers: [{address: "b:80"}]}
                sites:
                  - hosts: [a.example]
                    upstream: web
                    allow_upgrades: [h2c, "foo bar", chat]
                """,
                "t.yaml:9:22: sites[0].allow_upgrades[0]: 'h2c' (expected: a protocol other than h2c, whose connection"
                        + " would carry requests past the proxy's rules and forwarding headers; serve HTTP/2 over TLS)",
                "t.yaml:9:27: sites[0].allow_upgrades[1]: 'foo bar' (expected: an upgrade protocol name such as websocket"
                        + " (a token, without a version))");
    }

    @Test
    void unknownTopLevelKeyWithATransposition() {
        assertErrors(LISTENER + "upstreasm: {}\n",
                "t.yaml:4:1: unknown key 'upstreasm' (did you mean 'upstreams'?)");
    }

    @Test
    void unknownKeyFarFromAnyListsTheKnownOnes() {
        assertErrors(LISTENER + "limits: {colour: blue}\n",
                "t.yaml:4:10: limits: unknown key 'colour' (expected: one of max_header_bytes, max_body_bytes, client_timeout, keepalive_timeout, tunnel_idle_timeout, max_concurrent_streams)");
    }

    @Test
    void unknownKeyIsCheckedAtDeepLevels() {
        assertErrors(LISTENER + """
                upstreams:
                  web:
                    servers: [{address: "a:1"}]
                    health:
                      http: {pth: /}
                """,
                "t.yaml:8:14: upstreams.web.health.http: unknown key 'pth' (did you mean 'path'?)");
    }

    @Test
    void duplicateUpstreamNameIsReportedAtTheSecondKey() {
        assertErrors(LISTENER + """
                upstreams:
                  web:
                    servers: [{address: "a:1"}]
                  web:
                    servers: [{address: "b:1"}]
                """,
                "t.yaml:7:3: upstreams: duplicate key 'web' (first defined at line 5)");
    }

    @Test
    void duplicateKeyInAFixedMapping() {
        assertErrors(LISTENER + """
                limits:
                  client_timeout: 5s
                  client_timeout: 6s
                """,
                "t.yaml:6:3: limits: duplicate key 'client_timeout' (first defined at line 5)");
    }

    // ---- types

    @Test
    void listWhereAMappingIsExpected() {
        assertErrors(LISTENER + "limits: [16k]\n",
                "t.yaml:4:9: limits: a list (expected: a mapping with keys max_header_bytes, max_body_bytes, client_timeout, keepalive_timeout, tunnel_idle_timeout, max_concurrent_streams)");
    }

    @Test
    void stringWhereAnIntegerIsExpected() {
        assertErrors(LISTENER + """
                upstreams:
                  web:
                    servers: [{address: "a:1"}]
                    keepalive: lots
                    retries: "2"
                """,
                "t.yaml:7:16: upstreams.web.keepalive: 'lots' (expected: an integer >= 0)",
                "t.yaml:8:14: upstreams.web.retries: '2' (expected: an integer >= 0)");
    }

    @Test
    void badConnectionLimitAndQueue() {
        assertErrors(LISTENER + """
                upstreams:
                  web:
                    servers: [{address: "a:1", max_connections: -1}]
                    max_connections: many
                    queue: {limit: -3, timeout: 0s, size: 1}
                """,
                "t.yaml:6:49: upstreams.web.servers[0].max_connections: -1 (expected: an integer >= 0)",
                "t.yaml:7:22: upstreams.web.max_connections: 'many' (expected: an integer >= 0)",
                "t.yaml:8:20: upstreams.web.queue.limit: -3 (expected: an integer >= 0)",
                "t.yaml:8:33: upstreams.web.queue.timeout: '0s' (expected: a positive duration)",
                "t.yaml:8:37: upstreams.web.queue: unknown key 'size' (expected: one of limit, timeout)");
    }

    @Test
    void notABoolean() {
        assertErrors(LISTENER + """
                upstreams:
                  web:
                    servers: [{address: "a:1", backup: yes}]
                """,
                "t.yaml:6:40: upstreams.web.servers[0].backup: 'yes' (expected: true or false)");
    }

    @Test
    void rootMustBeAMapping() {
        assertErrors("- a\n- b\n", "t.yaml:1:1: a list (expected: a mapping with keys workers, listeners, sites, upstreams, forwarding, limits, access_log, cluster, admin, shutdown, node_health)");
    }

    // ---- ranges

    @Test
    void weightBelowOne() {
        assertErrors(LISTENER + """
                upstreams:
                  web:
                    servers:
                      - { address: 10.0.0.21:8000, weight: 50 }
                      - { address: 10.0.0.22:8000, weight: 0 }
                """,
                "t.yaml:8:44: upstreams.web.servers[1].weight: 0 (expected: an integer >= 1)");
    }

    @Test
    void negativeKeepaliveRetriesAndTooSmallRiseFall() {
        assertErrors(LISTENER + """
                upstreams:
                  web:
                    servers: [{address: "a:1"}]
                    keepalive: -1
                    retries: -2
                    passive: {max_fails: -1}
                    health: {rise: 0, fall: 0}
                """,
                "t.yaml:7:16: upstreams.web.keepalive: -1 (expected: an integer >= 0)",
                "t.yaml:8:14: upstreams.web.retries: -2 (expected: an integer >= 0)",
                "t.yaml:9:26: upstreams.web.passive.max_fails: -1 (expected: an integer >= 0)",
                "t.yaml:10:20: upstreams.web.health.rise: 0 (expected: an integer >= 1)",
                "t.yaml:10:29: upstreams.web.health.fall: 0 (expected: an integer >= 1)");
    }

    @Test
    void portOutOfRange() {
        assertErrors("""
                listeners:
                  - name: http
                    bind: 0.0.0.0:65536
                cluster:
                  nodes: {a: 10.0.0.1}
                  secret_file: k
                  port: 0
                """,
                "t.yaml:3:11: listeners[0].bind: '0.0.0.0:65536' (expected: a port of 0-65535)",
                "t.yaml:7:9: cluster.port: 0 (expected: an integer from 1 to 65535)");
    }

    @Test
    void zeroDurationWherePositiveIsNeeded() {
        assertErrors(LISTENER + """
                upstreams:
                  web:
                    servers: [{address: "a:1"}]
                    timeouts: {connect: 0s}
                    health: {interval: 0ms}
                cluster:
                  nodes: {a: 10.0.0.1}
                  secret_file: k
                  advert_interval: 5ms
                """,
                "t.yaml:7:25: upstreams.web.timeouts.connect: '0s' (expected: a positive duration)",
                "t.yaml:8:24: upstreams.web.health.interval: '0ms' (expected: a positive duration)",
                "t.yaml:12:20: cluster.advert_interval: '5ms' (expected: a duration >= 10ms)");
    }

    @Test
    void headerLimitOutOfRange() {
        assertErrors(LISTENER + """
                limits:
                  max_header_bytes: 1000
                  max_body_bytes: 0
                """,
                "t.yaml:5:21: limits.max_header_bytes: 1000 (expected: a size from 1k to 1m)",
                "t.yaml:6:19: limits.max_body_bytes: 0 (expected: a size >= 1)");
        assertErrors(LISTENER + "limits: {max_header_bytes: 2m}\n",
                "t.yaml:4:28: limits.max_header_bytes: '2m' (expected: a size from 1k to 1m)");
    }

    // ---- syntax of values

    @Test
    void badAddresses() {
        assertErrors("""
                listeners:
                  - name: http
                    bind: "10.0.0.1"
                upstreams:
                  web:
                    servers: [{address: "10.0.0.1:http"}, {address: "a b:80"}, {address: "10.0.0.2:0"}]
                forwarding:
                  trusted_proxies: [10.0.0.0/33, example.com]
                """,
                "t.yaml:3:11: listeners[0].bind: '10.0.0.1' (expected: host:port, the port is missing)",
                "t.yaml:6:25: upstreams.web.servers[0].address: '10.0.0.1:http' (expected: host:port with a port of 0-65535)",
                "t.yaml:6:53: upstreams.web.servers[1].address: 'a b:80' (expected: host:port, e.g. 10.0.0.21:8000 or [::1]:8000)",
                "t.yaml:6:74: upstreams.web.servers[2].address: '10.0.0.2:0' (expected: a port of 1-65535)",
                "t.yaml:8:21: forwarding.trusted_proxies[0]: '10.0.0.0/33' (expected: a prefix length of 0-32)",
                "t.yaml:8:34: forwarding.trusted_proxies[1]: 'example.com' (expected: an IP network such as 10.0.0.0/8 or 2001:db8::/32)");
    }

    @Test
    void underscoresInHeadersIsABoolean() {
        assertErrors(LISTENER + """
                forwarding:
                  underscores_in_headers: sometimes
                """,
                "t.yaml:5:27: forwarding.underscores_in_headers: 'sometimes' (expected: true or false)");
        assertErrors(LISTENER + """
                forwarding:
                  underscore_in_headers: true
                """,
                "t.yaml:5:3: forwarding: unknown key 'underscore_in_headers' (did you mean 'underscores_in_headers'?)");
    }

    @Test
    void badDurationAndSizeSyntax() {
        assertErrors(LISTENER + """
                limits:
                  client_timeout: 30
                  keepalive_timeout: 1.5s
                  max_body_bytes: 10mb
                """,
                "t.yaml:5:19: limits.client_timeout: 30 (expected: a duration with a unit, e.g. 30s or 30ms)",
                "t.yaml:6:22: limits.keepalive_timeout: '1.5s' (expected: a duration such as 100ms, 2s, 5m or 1h)",
                "t.yaml:7:19: limits.max_body_bytes: '10mb' (expected: a size such as 16384, 16k, 30m or 1g)");
    }

    @Test
    void badRegexInStaticMatch() {
        assertErrors(LISTENER + """
                sites:
                  - hosts: [a.example]
                    static: {root: /srv, match: '\\.(png|jpg$', fallback: false}
                """,
                "t.yaml:6:33: sites[0].static.match: '\\.(png|jpg$' (expected: a regular expression in RE2 syntax, which has"
                        + " no backreferences or lookaround; missing closing ))");
    }

    @Test
    void badStaticValues() {
        assertErrors(LISTENER + """
                sites:
                  - hosts: [a.example]
                    static:
                      root: /srv
                      fallback: false
                      index: [index.html, ../x.html, "", "a/b"]
                      hidden: sometimes
                      cache_control: "max-age=1\\nSet-Cookie: a=b"
                      precompressed: 1
                """,
                "t.yaml:9:27: sites[0].static.index[1]: '../x.html' (expected: a file name without '/', e.g. index.html)",
                "t.yaml:9:38: sites[0].static.index[2]: '' (expected: a file name without '/', e.g. index.html)",
                "t.yaml:9:42: sites[0].static.index[3]: 'a/b' (expected: a file name without '/', e.g. index.html)",
                "t.yaml:10:15: sites[0].static.hidden: 'sometimes' (expected: true or false)",
                "t.yaml:11:22: sites[0].static.cache_control: 'max-age=1\\nSet-Cookie: a=b' (expected: a header value such as 'public, max-age=3600')",
                "t.yaml:12:22: sites[0].static.precompressed: 1 (expected: true or false)");
    }

    @Test
    void badStaticIndexShape() {
        assertErrors(LISTENER + """
                sites:
                  - hosts: [a.example]
                    static: {root: /srv, fallback: false, index: index.html}
                """,
                "t.yaml:6:50: sites[0].static.index: 'index.html' (expected: a list of file names, e.g. [index.html])");
    }

    @Test
    void badMimeTypes() {
        assertErrors(LISTENER + """
                sites:
                  - hosts: [a.example]
                    static:
                      root: /srv
                      fallback: false
                      mime_types:
                        tar.gz: application/gzip
                        md: markdown
                        txt: "text/plain; charset"
                        ok: text/x-ok
                """,
                "t.yaml:10:17: sites[0].static.mime_types.tar.gz: extension 'tar.gz' (expected: an extension without the dot, e.g. webmanifest)",
                "t.yaml:11:13: sites[0].static.mime_types.md: 'markdown' (expected: a media type such as text/markdown; charset=utf-8)",
                "t.yaml:12:14: sites[0].static.mime_types.txt: 'text/plain; charset' (expected: a media type such as text/markdown; charset=utf-8)");
    }

    @Test
    void badOpenFileCache() {
        assertErrors(LISTENER + """
                sites:
                  - hosts: [a.example]
                    static:
                      root: /srv
                      fallback: false
                      open_file_cache: {max_entries: 0, valid: 0s, inactive: 20s, inline_max: 2m}
                """,
                "t.yaml:9:38: sites[0].static.open_file_cache.max_entries: 0 (expected: an integer from 1 to 10000000)",
                "t.yaml:9:48: sites[0].static.open_file_cache.valid: '0s' (expected: a positive duration)",
                "t.yaml:9:52: sites[0].static.open_file_cache: unknown key 'inactive' (expected: one of max_entries, valid, inline_max)",
                "t.yaml:9:79: sites[0].static.open_file_cache.inline_max: '2m' (expected: a size from 0 to 1m)");
    }

    @Test
    void unknownStaticKeySuggestsTheNearest() {
        assertErrors(LISTENER + """
                sites:
                  - hosts: [a.example]
                    static: {root: /srv, fallback: false, cache-control: no-cache}
                """,
                "t.yaml:6:43: sites[0].static: unknown key 'cache-control' (did you mean 'cache_control'?)");
    }

    @Test
    void unknownBalanceListsTheValidOnes() {
        assertErrors(LISTENER + """
                upstreams:
                  web:
                    balance: round-robin
                    servers: [{address: "a:1"}]
                """,
                "t.yaml:6:14: upstreams.web.balance: 'round-robin' (expected: one of weighted-round-robin, least-connections, ip-hash)");
    }

    @Test
    void badStatusRanges() {
        assertErrors(LISTENER + """
                upstreams:
                  web:
                    servers: [{address: "a:1"}]
                    health:
                      http: {expect_status: [200-99, 600, "2xx"]}
                """,
                "t.yaml:8:30: upstreams.web.health.http.expect_status[0]: '200-99' (expected: a status code 100-599 or a range such as 200-399)",
                "t.yaml:8:38: upstreams.web.health.http.expect_status[1]: 600 (expected: a status code 100-599 or a range such as 200-399)",
                "t.yaml:8:43: upstreams.web.health.http.expect_status[2]: '2xx' (expected: a status code 100-599 or a range such as 200-399)");
    }

    @Test
    void healthWithBothHttpAndTcp() {
        assertErrors(LISTENER + """
                upstreams:
                  web:
                    servers: [{address: "a:1"}]
                    health: {http: {path: /}, tcp: true}
                """,
                "t.yaml:7:36: upstreams.web.health.tcp: true (expected: either http or tcp, not both)");
    }

    // ---- uniqueness

    @Test
    void duplicateListenerNameAndBind() {
        assertErrors("""
                listeners:
                  - name: http
                    bind: :80
                  - name: http
                    bind: 0.0.0.0:80
                """,
                "t.yaml:4:11: listeners[1].name: 'http' (expected: a name not already used by listeners[0].name)",
                "t.yaml:5:11: listeners[1].bind: '0.0.0.0:80' (expected: an address not already used by listeners[0].bind)");
    }

    @Test
    void duplicateServerAddressWithinAnUpstream() {
        assertErrors(LISTENER + """
                upstreams:
                  web:
                    servers:
                      - address: 10.0.0.1:80
                      - address: 10.0.0.1:80
                  api:
                    servers: [{address: "10.0.0.1:80"}]
                """,
                "t.yaml:8:18: upstreams.web.servers[1].address: '10.0.0.1:80' (expected: an address not already used by upstreams.web.servers[0].address)");
    }

    @Test
    void sameHostInTwoSites() {
        assertErrors(LISTENER + """
                sites:
                  - hosts: [example.com]
                    static: {root: /a, fallback: false}
                  - hosts: [www.example.com, Example.COM]
                    static: {root: /b, fallback: false}
                """,
                "t.yaml:7:30: sites[1].hosts[1]: 'Example.COM' (expected: a host not already served by sites[0].hosts[0])");
    }

    // ---- references

    @Test
    void siteNamingAMissingUpstream() {
        assertErrors(LISTENER + """
                upstreams:
                  web: {servers: [{address: "a:1"}]}
                  api: {servers: [{address: "b:1"}]}
                sites:
                  - hosts: ['*']
                    upstream: wbe
                """,
                "t.yaml:9:15: sites[0].upstream: 'wbe' (expected: one of the upstreams: web, api)");
    }

    @Test
    void siteWithoutUpstreamNeedsStaticWithoutFallback() {
        assertErrors(LISTENER + """
                sites:
                  - hosts: ['*']
                    static: {root: /srv}
                """,
                "t.yaml:5:5: sites[0].upstream: missing (expected: the name of an upstream; only a static site with fallback:"
                        + " false, or a site with routes, may omit it)");
    }

    @Test
    void upstreamWithoutServersOrOnlyBackups() {
        assertErrors(LISTENER + """
                upstreams:
                  empty:
                    servers: []
                  none:
                    keepalive: 1
                  backups:
                    servers: [{address: "a:1", backup: true}]
                  hashed:
                    balance: ip-hash
                    servers: [{address: "a:1"}, {address: "b:1", backup: true}]
                """,
                "t.yaml:6:14: upstreams.empty.servers: [] (expected: at least one server)",
                "t.yaml:8:5: upstreams.none.servers: missing (expected: a list of servers)",
                "t.yaml:10:14: upstreams.backups.servers: only backup servers (expected: at least one server without backup: true)");
    }

    // ---- cluster

    @Test
    void clusterNodesVipsAndPreferences() {
        assertErrors(LISTENER + """
                cluster:
                  nodes:
                    lb1: 10.0.0.11
                    lb2: 10.0.0.300
                  vips:
                    - { address: 203.0.113.10, interface: eth0 }
                    - { address: 203.0.113.11/24, prefer: [lb1, lb3] }
                """,
                "t.yaml:5:3: cluster.secret_file: missing (expected: the path of the shared cluster key)",
                "t.yaml:7:10: cluster.nodes.lb2: '10.0.0.300' (expected: an IP address or a host name)",
                "t.yaml:9:18: cluster.vips[0].address: '203.0.113.10' (expected: an address with its prefix length, e.g. 203.0.113.10/24)",
                "t.yaml:10:7: cluster.vips[1].interface: missing (expected: a network interface name such as eth0)",
                "t.yaml:10:49: cluster.vips[1].prefer[1]: 'lb3' (expected: one of the nodes: lb1, lb2)");
    }

    @Test
    void clusterNeedsNodes() {
        assertErrors(LISTENER + """
                cluster:
                  nodes: {}
                  secret_file: /etc/tandem/cluster.key
                  vips: [{address: "10.0.0.10/33", interface: eth0}]
                """,
                "t.yaml:5:10: cluster.nodes: {} (expected: at least one node)",
                "t.yaml:7:20: cluster.vips[0].address: '10.0.0.10/33' (expected: a prefix length of 1-32)");
    }

    // ---- admin

    @Test
    void adminOffLoopbackNeedsAToken() {
        assertErrors(LISTENER + """
                admin:
                  bind: 0.0.0.0:9090
                """,
                "t.yaml:5:9: admin.bind: '0.0.0.0:9090' (expected: a loopback address such as 127.0.0.1:9090, or an admin.token)");
    }

    // ---- shutdown

    @Test
    void drainTimeoutNeedsAUnit() {
        assertErrors(LISTENER + "shutdown: {drain_timeout: 10}\n",
                "t.yaml:4:27: shutdown.drain_timeout: 10 (expected: a duration with a unit, e.g. 10s or 10ms)");
    }

    @Test
    void unknownShutdownKey() {
        assertErrors(LISTENER + "shutdown: {drain: 5s}\n",
                "t.yaml:4:12: shutdown: unknown key 'drain' (did you mean 'drain_timeout'?)");
    }

    // ---- listeners

    @Test
    void atLeastOneListenerEachNamedAndBound() {
        assertErrors("sites: []\n", "t.yaml:1:1: listeners: missing (expected: a list of listeners)");
        assertErrors("listeners: []\n", "t.yaml:1:12: listeners: [] (expected: at least one listener)");
        assertErrors("""
                listeners:
                  - bind: :80
                  - name: other
                """,
                "t.yaml:2:5: listeners[0].name: missing (expected: a listener name)",
                "t.yaml:3:5: listeners[1].bind: missing (expected: host:port, e.g. 0.0.0.0:80, :80 or [::]:443)");
    }

    @Test
    void emptyFileLacksListeners() {
        assertErrors("", "t.yaml:1:1: listeners: missing (expected: a list of listeners)");
        assertErrors("# nothing yet\n", "t.yaml:1:1: listeners: missing (expected: a list of listeners)");
    }

    @Test
    void aNullDocumentLacksListenersToo() {
        // Found by ConfigFuzzTest: these were refused with no error at all, so `tandem check` said nothing.
        assertErrors("~\n", "t.yaml:1:1: listeners: missing (expected: a list of listeners)");
        assertErrors("null", "t.yaml:1:1: listeners: missing (expected: a list of listeners)");
        assertErrors("&anchor\n", "t.yaml:1:1: listeners: missing (expected: a list of listeners)");
    }

    // ---- YAML syntax

    @Test
    void yamlSyntaxErrorIsOneErrorAtItsMark() {
        assertErrors("""
                listeners:
                  - name: http
                   bind: :80
                """,
                "t.yaml:3:4: YAML syntax: expected <block end>, but found '<block mapping start>'"
                        + " (while parsing a block collection started at line 2, column 3)");
    }

    @Test
    void unclosedFlowSequence() {
        assertErrors("listeners: [a, b\n",
                "t.yaml:2:1: YAML syntax: expected ',' or ']', but got <stream end> (while parsing a flow sequence started at line 1, column 12)");
    }

    // ---- more shapes

    @Test
    void misspelledRequiredKeyIsOneError() {
        assertErrors(LISTENER + """
                upstreams:
                  web:
                    servers: [{adress: "a:1"}]
                """,
                "t.yaml:6:16: upstreams.web.servers[0]: unknown key 'adress' (did you mean 'address'?)");
    }

    @Test
    void emptyValueWhereAMappingIsRequired() {
        assertErrors(LISTENER + """
                upstreams:
                  web:
                """,
                "t.yaml:5:7: upstreams.web: empty (expected: an upstream: a mapping with servers)");
    }

    @Test
    void tcpFalseIsNotAWayToTurnChecksOff() {
        assertErrors(LISTENER + """
                upstreams:
                  web:
                    servers: [{address: "a:1"}]
                    health: {tcp: false}
                """,
                "t.yaml:7:19: upstreams.web.health.tcp: false (expected: true; to turn active checks off, remove health)");
    }

    @Test
    void badHttpCheckFields() {
        assertErrors(LISTENER + """
                upstreams:
                  web:
                    servers: [{address: "a:1"}]
                    health: {http: {method: get, path: index}}
                """,
                "t.yaml:7:29: upstreams.web.health.http.method: 'get' (expected: an HTTP method in capitals, e.g. GET or HEAD)",
                "t.yaml:7:40: upstreams.web.health.http.path: 'index' (expected: a path starting with /, without spaces)");
    }

    @Test
    void badHostPatterns() {
        assertErrors(LISTENER + """
                sites:
                  - hosts: ['foo bar', '*.', a..b, '*.EXAMPLE.org']
                    static: {root: /x, fallback: false}
                """,
                "t.yaml:5:13: sites[0].hosts[0]: 'foo bar' (expected: a host name, *.example.com or *)",
                "t.yaml:5:24: sites[0].hosts[1]: '*.' (expected: a host name, *.example.com or *)",
                "t.yaml:5:30: sites[0].hosts[2]: 'a..b' (expected: a host name, *.example.com or *)");
    }

    @Test
    void clusterDuplicatesAndWitnesses() {
        assertErrors(LISTENER + """
                cluster:
                  nodes: {a: 10.0.0.1, b: 10.0.0.1}
                  secret_file: k
                  witnesses: [10.0.0.1, 'x y']
                  vips:
                    - {address: 10.0.0.5/24, interface: eth0, prefer: [a, a]}
                    - {address: 10.0.0.5/16, interface: 'this-is-too-long0'}
                  mirror: {paths: []}
                """,
                "t.yaml:5:27: cluster.nodes.b: '10.0.0.1' (expected: an address not already used by cluster.nodes.a)",
                "t.yaml:7:25: cluster.witnesses[1]: 'x y' (expected: a host (ICMP echo), icmp:HOST or tcp:HOST:PORT)",
                "t.yaml:9:59: cluster.vips[0].prefer[1]: 'a' (expected: a node not already listed)",
                "t.yaml:10:17: cluster.vips[1].address: '10.0.0.5/16' (expected: an address not already used by cluster.vips[0].address)",
                "t.yaml:10:41: cluster.vips[1].interface: 'this-is-too-long0' (expected: a network interface name such as eth0)",
                "t.yaml:11:19: cluster.mirror.paths: [] (expected: at least one file or directory)");
    }

    @Test
    void mirrorPathsInsideEachOtherAndBadSettings() {
        assertErrors(LISTENER + """
                cluster:
                  nodes: {a: 10.0.0.1}
                  secret_file: k
                  mirror:
                    paths: [/etc/tandem, /etc/tandem/certs, /srv, /]
                    scan_interval: 10ms
                    debounce: -1s
                    state_dir: /srv/state
                    sync_wait: soon
                    delay: 1s
                """,
                "t.yaml:8:26: cluster.mirror.paths[1]: '/etc/tandem/certs' (expected: a path neither inside nor around cluster.mirror.paths[0] (/etc/tandem))",
                "t.yaml:8:51: cluster.mirror.paths[3]: '/' (expected: a path neither inside nor around cluster.mirror.paths[0] (/etc/tandem))",
                "t.yaml:9:20: cluster.mirror.scan_interval: '10ms' (expected: a duration >= 1000ms)",
                "t.yaml:10:15: cluster.mirror.debounce: '-1s' (expected: a duration such as 100ms, 2s, 5m or 1h)",
                "t.yaml:11:16: cluster.mirror.state_dir: '/srv/state' (expected: a state directory outside the mirrored paths (/srv/state is inside /srv))",
                "t.yaml:12:16: cluster.mirror.sync_wait: 'soon' (expected: a duration such as 100ms, 2s, 5m or 1h)",
                "t.yaml:13:5: cluster.mirror: unknown key 'delay' (expected: one of paths, scan_interval, debounce, state_dir, sync_wait, max_deletions, max_deletion_percent, deletion_window, require_mount, limits)");
    }

    @Test
    void mirrorDeletionGuardAndMountSettings() {
        assertErrors(LISTENER + """
                cluster:
                  nodes: {a: 10.0.0.1}
                  secret_file: k
                  mirror:
                    paths: [/etc/tandem, /srv/www]
                    max_deletions: -1
                    max_deletion_percent: 150
                    require_mount: [/srv/www, /srv/other]
                    deletion_window: 500ms
                """,
                "t.yaml:9:20: cluster.mirror.max_deletions: -1 (expected: an integer >= 0)",
                "t.yaml:10:27: cluster.mirror.max_deletion_percent: 150 (expected: an integer from 0 to 100)",
                "t.yaml:11:31: cluster.mirror.require_mount[1]: '/srv/other' (expected: one of the mirrored paths (/srv/other is not in paths))",
                "t.yaml:12:22: cluster.mirror.deletion_window: '500ms' (expected: a duration >= 1000ms)");
    }

    @Test
    void mirrorDeletionWindowIsADuration() {
        assertErrors(LISTENER + """
                cluster:
                  nodes: {a: 10.0.0.1}
                  secret_file: k
                  mirror:
                    paths: [/srv/www]
                    deletion_window: often
                """,
                "t.yaml:9:22: cluster.mirror.deletion_window: 'often' (expected: a duration such as 100ms, 2s, 5m or 1h)");
    }

    @Test
    void clusterStateDirOutsideTheMirror() {
        assertErrors(LISTENER + """
                cluster:
                  nodes: {a: 10.0.0.1}
                  secret_file: k
                  state_dir: /srv/www/state
                  mirror: {paths: [/srv/www]}
                """,
                "t.yaml:7:14: cluster.state_dir: '/srv/www/state' (expected: a state directory outside the mirrored paths (/srv/www/state is inside /srv/www))");
    }

    @Test
    void clusterAnnounceRefreshIsADuration() {
        assertErrors(LISTENER + """
                cluster:
                  nodes: {a: 10.0.0.1}
                  secret_file: k
                  announce_refresh: 60
                """,
                "t.yaml:7:21: cluster.announce_refresh: 60 (expected: a duration with a unit, e.g. 60s or 60ms)");
    }

    @Test
    void clusterWitnessProbesAndPreemptDelay() {
        assertErrors(LISTENER + """
                cluster:
                  nodes: {a: 10.0.0.1}
                  secret_file: k
                  preempt_delay: 5
                  witnesses: ['tcp:10.0.0.9', 'tcp:10.0.0.9:0', 'tcp:10.0.0.9:99999', 'icmp:', 'udp:10.0.0.9:53', 'tcp:x y:22']
                """,
                "t.yaml:7:18: cluster.preempt_delay: 5 (expected: a duration with a unit, e.g. 5s or 5ms)",
                "t.yaml:8:15: cluster.witnesses[0]: 'tcp:10.0.0.9' (expected: tcp:HOST:PORT with a port of 1-65535)",
                "t.yaml:8:31: cluster.witnesses[1]: 'tcp:10.0.0.9:0' (expected: tcp:HOST:PORT with a port of 1-65535)",
                "t.yaml:8:49: cluster.witnesses[2]: 'tcp:10.0.0.9:99999' (expected: tcp:HOST:PORT with a port of 1-65535)",
                "t.yaml:8:71: cluster.witnesses[3]: 'icmp:' (expected: a host (ICMP echo), icmp:HOST or tcp:HOST:PORT)",
                "t.yaml:8:80: cluster.witnesses[4]: 'udp:10.0.0.9:53' (expected: a host (ICMP echo), icmp:HOST or tcp:HOST:PORT)",
                "t.yaml:8:99: cluster.witnesses[5]: 'tcp:x y:22' (expected: tcp:HOST:PORT with a port of 1-65535)");
    }

    @Test
    void preferNamingANodeWithABadAddressIsNotASecondError() {
        assertErrors(LISTENER + """
                cluster:
                  nodes: {a: "10.0.0.1:7400"}
                  secret_file: k
                  vips: [{address: 10.0.0.5/24, interface: eth0, prefer: [a]}]
                """,
                "t.yaml:5:14: cluster.nodes.a: '10.0.0.1:7400' (expected: an IP address or a host name)");
    }

    @Test
    void workersAccessLogAndAdminToken() {
        assertErrors(LISTENER + """
                workers: many
                access_log: {path: x}
                admin: {bind: "10.0.0.1:9090", token: ''}
                """,
                "t.yaml:4:10: workers: 'many' (expected: auto or an integer >= 0)",
                "t.yaml:5:13: access_log: a mapping (expected: a file path)",
                "t.yaml:6:39: admin.token: '' (expected: a non-empty token)");
    }

    @Test
    void tlsNeedsCertificatesWithKeys() {
        assertErrors("""
                listeners:
                  - name: a
                    bind: :443
                    tls: {certificates: []}
                  - name: b
                    bind: :8443
                    tls: {certificates: [{cert: a.pem}]}
                """,
                "t.yaml:4:25: listeners[0].tls.certificates: [] (expected: at least one certificate)",
                "t.yaml:7:26: listeners[1].tls.certificates[0].key: missing (expected: the path of a PEM private key)");
    }

    @Test
    void redirectHttpsIsForPlaintextListenersAndTakesAPort() {
        assertErrors("""
                listeners:
                  - name: a
                    bind: :443
                    tls: {certificates: [{cert: a.pem, key: a.key}]}
                    redirect_https: true
                  - name: b
                    bind: :80
                    redirect_https: {port: 70000}
                  - name: c
                    bind: :81
                    redirect_https: yes please
                """,
                "t.yaml:5:21: listeners[0].redirect_https: a listener with tls serves https itself (expected: redirect_https on a plaintext listener)",
                "t.yaml:8:28: listeners[1].redirect_https.port: 70000 (expected: an integer from 1 to 65535)",
                "t.yaml:11:21: listeners[2].redirect_https: 'yes please' (expected: true or false)");
    }

    @Test
    void hstsIsForTlsListenersAndPreloadNeedsAYearWithSubdomains() {
        assertErrors("""
                listeners:
                  - name: a
                    bind: :80
                    hsts: true
                  - name: b
                    bind: :443
                    tls: {certificates: [{cert: a.pem, key: a.key}]}
                    hsts: {max_age: 30d, preload: true}
                  - name: c
                    bind: :444
                    tls: {certificates: [{cert: a.pem, key: a.key}]}
                    hsts: {max_age: 1y, include_subdomain: true}
                """,
                "t.yaml:4:11: listeners[0].hsts: browsers ignore Strict-Transport-Security over plain http (expected: hsts on a listener with tls)",
                "t.yaml:8:35: listeners[1].hsts.preload: preload needs include_subdomains: true and a max_age of at least 365d",
                "t.yaml:12:21: listeners[2].hsts.max_age: '1y' (expected: a duration such as 100ms, 2s, 5m or 1h)",
                "t.yaml:12:25: listeners[2].hsts: unknown key 'include_subdomain' (did you mean 'include_subdomains'?)");
    }

    @Test
    void tunnelAndStreamLimits() {
        assertErrors(LISTENER + "limits: {tunnel_idle_timeout: 0s, max_concurrent_streams: 0}\n",
                "t.yaml:4:31: limits.tunnel_idle_timeout: '0s' (expected: a positive duration)",
                "t.yaml:4:59: limits.max_concurrent_streams: 0 (expected: an integer from 1 to 10000)");
    }

    @Test
    void aliasedValuesAreCheckedWhereTheyAreWritten() {
        assertErrors(LISTENER + """
                upstreams:
                  web:
                    servers: [{address: "a:1"}]
                    timeouts: &t {connect: 5s, read: 0s}
                  api:
                    servers: [{address: "b:1"}]
                    timeouts: *t
                """,
                "t.yaml:7:38: upstreams.web.timeouts.read: '0s' (expected: a positive duration)",
                "t.yaml:7:38: upstreams.api.timeouts.read: '0s' (expected: a positive duration)");
    }

    @Test
    void moreThanOneDocument() {
        assertErrors(LISTENER + "---\nlisteners: []\n",
                "t.yaml:4:1: YAML syntax: expected a single document in the stream but found another document");
    }

    // ---- all at once

    @Test
    void threeMistakesAreThreeErrorsInFileOrder() {
        List<String> errors = errors("""
                listeners:
                  - name: http
                    bind: :80
                upstreams:
                  web:
                    servers:
                      - { address: 10.0.0.21:8000, weight: 0 }
                    timeouts: { connect: 5 }
                sites:
                  - hosts: [example.com]
                    upsteam: web
                """);
        assertEquals(List.of(
                "t.yaml:7:44: upstreams.web.servers[0].weight: 0 (expected: an integer >= 1)",
                "t.yaml:8:26: upstreams.web.timeouts.connect: 5 (expected: a duration with a unit, e.g. 5s or 5ms)",
                "t.yaml:11:5: sites[0]: unknown key 'upsteam' (did you mean 'upstream'?)"),
                errors);
    }
}
