package dev.tandem.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    /** The example config of the design notes (the shape every config keeps), verbatim. */
    static final String DESIGN_EXAMPLE = """
            listeners:
              - name: http
                bind: 0.0.0.0:80
              - name: https
                bind: 0.0.0.0:443
                tls:
                  certificates:                      # chosen by SNI
                    - cert: /etc/tandem/certs/example.com.pem
                      key: /etc/tandem/certs/example.com.key
            sites:
              - hosts: [example.com, www.example.com]   # "*" = any host
                static:
                  root: /var/www/example.com
                  match: '\\.(jpg|jpeg|gif|png|css|js|ico|zip|rar|swf)$'   # omitted = every path tries disk first
                  fallback: true                      # missing file -> upstream (default true)
                upstream: web
            upstreams:
              web:
                balance: weighted-round-robin         # | least-connections | ip-hash
                servers:
                  - { address: 10.0.0.21:8000, weight: 50 }
                  - { address: 10.0.0.22:8000, weight: 50 }
                  - { address: 10.0.0.23:8000, backup: true }
                keepalive: 32
                timeouts: { connect: 5s, read: 60s, write: 60s }
                passive: { max_fails: 1, fail_timeout: 10s }
                retries: 2                            # to another server, only when safe (see below)
                health:
                  http: { path: /index.php, expect_status: 200-399, expect_body: null }
                  interval: 2s
                  timeout: 1s
                  rise: 2
                  fall: 3
            forwarding:
              trusted_proxies: [10.0.0.0/8]           # whose X-Forwarded-For we believe
            limits: { max_header_bytes: 16384, max_body_bytes: 30m }
            cluster:
              nodes:                                  # every node, same file on all of them
                lb1: 10.0.0.11
                lb2: 10.0.0.12
              port: 7400                              # UDP adverts + TCP mirror
              secret_file: /etc/tandem/cluster.key    # shared key; authenticates (and encrypts) all cluster traffic
              advert_interval: 100ms
              preempt: true
              vips:
                - { address: 203.0.113.10/24, interface: eth0, prefer: [lb1, lb2] }
                - { address: 203.0.113.11/24, interface: eth0, prefer: [lb2, lb1] }   # active-active
              witnesses: [10.0.0.1]                   # a node that reaches none of them never takes a VIP
              notify: /etc/tandem/notify.sh           # called with: VIP STATE (e.g. DNS update for a remote site)
              mirror:
                paths: [/etc/tandem/tandem.yaml, /etc/tandem/certs, /var/www]
            admin:
              bind: 127.0.0.1:9090                    # /metrics, /status, /dashboard, /api/...
            """;

    static final String MINIMAL = """
            listeners:
              - name: http
                bind: :8080
            """;

    private static final Path BASE = Path.of("/etc/tandem");

    @Test
    void designExampleBindsToTheExpectedRecords() throws ConfigException {
        Config c = ConfigLoader.parse("tandem.yaml", DESIGN_EXAMPLE, BASE);

        assertEquals(0, c.workers());
        assertEquals(List.of(
                new ListenerConfig("http", new HostPort("0.0.0.0", 80), Optional.empty()),
                new ListenerConfig("https", new HostPort("0.0.0.0", 443), Optional.of(new TlsConfig(List.of(
                        new CertificateConfig(Path.of("/etc/tandem/certs/example.com.pem"),
                                Path.of("/etc/tandem/certs/example.com.key"))))))),
                c.listeners());

        SiteConfig site = c.sites().get(0);
        assertEquals(List.of("example.com", "www.example.com"), site.hosts());
        assertEquals(Optional.of("web"), site.upstream());
        StaticConfig st = site.staticFiles().orElseThrow();
        assertEquals(Path.of("/var/www/example.com"), st.root());
        assertTrue(st.fallback());
        assertEquals("\\.(jpg|jpeg|gif|png|css|js|ico|zip|rar|swf)$", st.match().orElseThrow().pattern());
        assertTrue(st.match().get().matcher("/img/a.png").find());

        UpstreamConfig web = c.upstreams().get("web");
        assertEquals(new UpstreamConfig("web", Balance.WEIGHTED_ROUND_ROBIN,
                List.of(new ServerConfig(new HostPort("10.0.0.21", 8000), 50, false),
                        new ServerConfig(new HostPort("10.0.0.22", 8000), 50, false),
                        new ServerConfig(new HostPort("10.0.0.23", 8000), 1, true)),
                32, Duration.ofSeconds(60),
                new UpstreamTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(60)),
                new PassiveConfig(1, Duration.ofSeconds(10)), 2,
                Optional.of(new HealthConfig(
                        Optional.of(new HttpCheckConfig("GET", "/index.php", Optional.empty(),
                                List.of(new StatusRange(200, 399)), Optional.empty())),
                        Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3))),
                web);

        assertEquals(List.of(Cidr.parse("10.0.0.0/8")), c.forwarding().trustedProxies());
        assertFalse(c.forwarding().underscoresInHeaders(), "underscored header names are dropped by default");
        assertEquals(new LimitsConfig(16384, 30L << 20, Duration.ofSeconds(60), Duration.ofSeconds(75)), c.limits());
        assertEquals(Optional.empty(), c.accessLog());

        ClusterConfig cluster = c.cluster().orElseThrow();
        assertEquals(Map.of("lb1", "10.0.0.11", "lb2", "10.0.0.12"), cluster.nodes());
        assertEquals(List.of("lb1", "lb2"), List.copyOf(cluster.nodes().keySet()));
        assertEquals(7400, cluster.port());
        assertEquals(Path.of("/etc/tandem/cluster.key"), cluster.secretFile());
        assertEquals(Duration.ofMillis(100), cluster.advertInterval());
        assertTrue(cluster.preempt());
        assertEquals(List.of(new VipConfig("203.0.113.10", 24, "eth0", List.of("lb1", "lb2")),
                new VipConfig("203.0.113.11", 24, "eth0", List.of("lb2", "lb1"))), cluster.vips());
        assertEquals(List.of(WitnessConfig.icmp("10.0.0.1")), cluster.witnesses());
        assertEquals(Duration.ZERO, cluster.preemptDelay());
        assertEquals(Optional.of(Path.of("/etc/tandem/notify.sh")), cluster.notifyScript());
        assertEquals(List.of(Path.of("/etc/tandem/tandem.yaml"), Path.of("/etc/tandem/certs"), Path.of("/var/www")),
                cluster.mirror().orElseThrow().paths());

        assertEquals(new AdminConfig(new HostPort("127.0.0.1", 9090), Optional.empty()), c.admin());
    }

    @Test
    void minimalConfigTakesEveryDefault() throws ConfigException {
        Config c = ConfigLoader.parse("t.yaml", MINIMAL + """
                upstreams:
                  web:
                    servers: [{address: "backend:80"}]
                    health: {}
                sites:
                  - hosts: ['*']
                    upstream: web
                """, BASE);

        assertEquals(List.of(new ListenerConfig("http", new HostPort("0.0.0.0", 8080), Optional.empty())), c.listeners());
        UpstreamConfig web = c.upstreams().get("web");
        assertEquals(Balance.WEIGHTED_ROUND_ROBIN, web.balance());
        assertEquals(List.of(new ServerConfig(new HostPort("backend", 80), 1, false)), web.servers());
        assertEquals(32, web.keepalive());
        assertEquals(Duration.ofSeconds(60), web.idleTimeout());
        assertEquals(new UpstreamTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(60)), web.timeouts());
        assertEquals(new PassiveConfig(1, Duration.ofSeconds(10)), web.passive());
        assertEquals(2, web.retries());
        assertEquals(1024, web.maxConnections());
        assertEquals(new QueueConfig(10_000, Duration.ofSeconds(10)), web.queue());
        // An empty health section is a TCP check whose timeout is its interval.
        assertEquals(Optional.of(new HealthConfig(Optional.empty(), Duration.ofSeconds(2), Duration.ofSeconds(2), 2, 3)),
                web.health());
        assertEquals(new LimitsConfig(16384, 1L << 20, Duration.ofSeconds(60), Duration.ofSeconds(75)), c.limits());
        assertEquals(List.of(), c.forwarding().trustedProxies());
        assertEquals(Optional.empty(), c.cluster());
        assertEquals(new AdminConfig(new HostPort("127.0.0.1", 9090), Optional.empty()), c.admin());
        assertEquals(new ShutdownConfig(Duration.ofSeconds(10)), c.shutdown());
        assertEquals(0, c.workers());
    }

    @Test
    void allowUpgradesAreLowercasedAndWebSocketIsImplied() throws ConfigException {
        Config c = ConfigLoader.parse("t.yaml", MINIMAL + """
                upstreams:
                  web:
                    servers: [{address: "backend:80"}]
                sites:
                  - hosts: [a.example]
                    upstream: web
                    allow_upgrades: [WebSocket, TLS, chat]
                  - hosts: [b.example]
                    upstream: web
                """, BASE);
        assertEquals(List.of("tls", "chat"), c.sites().get(0).allowUpgrades());
        assertEquals(List.of(), c.sites().get(1).allowUpgrades());
    }

    @Test
    void connectionLimitAndQueue() throws ConfigException {
        Config c = ConfigLoader.parse("t.yaml", MINIMAL + """
                upstreams:
                  web:
                    max_connections: 100
                    queue: {limit: 5, timeout: 2s}
                    servers:
                      - {address: "a:80"}
                      - {address: "b:80", max_connections: 7}
                sites:
                  - hosts: ['*']
                    upstream: web
                """, BASE);
        UpstreamConfig web = c.upstreams().get("web");
        assertEquals(100, web.maxConnections());
        assertEquals(new QueueConfig(5, Duration.ofSeconds(2)), web.queue());
        assertEquals(100, web.servers().get(0).maxConnections());
        assertEquals(7, web.servers().get(1).maxConnections());
    }

    @Test
    void shutdownDrainTimeout() throws ConfigException {
        Config c = ConfigLoader.parse("t.yaml", MINIMAL + "shutdown: {drain_timeout: 30s}\n", BASE);
        assertEquals(new ShutdownConfig(Duration.ofSeconds(30)), c.shutdown());
        c = ConfigLoader.parse("t.yaml", MINIMAL + "shutdown: {drain_timeout: 0s}\n", BASE);
        assertEquals(new ShutdownConfig(Duration.ZERO), c.shutdown());
    }

    @Test
    void httpsOptions() throws ConfigException {
        Config c = ConfigLoader.parse("t.yaml", """
                listeners:
                  - {name: http, bind: ":80", redirect_https: true}
                  - {name: alt, bind: ":8080", redirect_https: {port: 8443}}
                  - name: https
                    bind: ":443"
                    tls: {certificates: [{cert: a.pem, key: a.key}]}
                    hsts: {max_age: 730d, include_subdomains: true, preload: true}
                  - name: short
                    bind: ":444"
                    tls: {certificates: [{cert: a.pem, key: a.key}]}
                    hsts: true
                limits: {tunnel_idle_timeout: 90s, max_concurrent_streams: 100}
                """, Path.of("/etc/tandem"));
        assertEquals(Optional.of(new HttpsRedirect(java.util.OptionalInt.empty())), c.listeners().get(0).redirectHttps());
        assertEquals(Optional.of(new HttpsRedirect(java.util.OptionalInt.of(8443))), c.listeners().get(1).redirectHttps());
        HstsConfig hsts = c.listeners().get(2).hsts().orElseThrow();
        assertEquals("max-age=63072000; includeSubDomains; preload", hsts.headerValue());
        assertEquals("max-age=31536000", c.listeners().get(3).hsts().orElseThrow().headerValue());
        assertEquals(Optional.empty(), c.listeners().get(2).redirectHttps());
        assertEquals(Duration.ofSeconds(90), c.limits().tunnelIdleTimeout());
        assertEquals(100, c.limits().maxConcurrentStreams());
    }

    @Test
    void optionalFormsAndRelativePaths() throws ConfigException {
        Config c = ConfigLoader.parse("t.yaml", """
                workers: 4
                listeners:
                  - name: tls
                    bind: "[::]:443"
                    tls: {certificates: [{cert: certs/a.pem, key: certs/../keys/a.key}]}
                sites:
                  - hosts: ["*.Example.COM", static.example.com]
                    static: {root: www, fallback: false}
                upstreams:
                  api:
                    balance: ip-hash
                    servers: [{address: "10.0.0.1:80", backup: true}, {address: "[::1]:8080"}]
                    health:
                      http: {method: HEAD, host: "api.example.com:8080", expect_status: [200, "300-302"], expect_body: ok}
                access_log: logs/access.log
                admin: {bind: "0.0.0.0:9090", token: s3cret}
                """, Path.of("/srv/tandem"));

        assertEquals(4, c.workers());
        assertEquals(new HostPort("::", 443), c.listeners().get(0).bind());
        assertEquals(new CertificateConfig(Path.of("/srv/tandem/certs/a.pem"), Path.of("/srv/tandem/keys/a.key")),
                c.listeners().get(0).tls().orElseThrow().certificates().get(0));
        SiteConfig site = c.sites().get(0);
        assertEquals(List.of("*.example.com", "static.example.com"), site.hosts());
        assertEquals(Optional.empty(), site.upstream());
        assertEquals(Optional.of(new StaticConfig(Path.of("/srv/tandem/www"), Optional.empty(), false)), site.staticFiles());
        HttpCheckConfig http = c.upstreams().get("api").health().orElseThrow().http().orElseThrow();
        assertEquals(new HttpCheckConfig("HEAD", "/", Optional.of("api.example.com:8080"),
                List.of(new StatusRange(200, 200), new StatusRange(300, 302)), Optional.of("ok")), http);
        assertEquals(Balance.IP_HASH, c.upstreams().get("api").balance());
        assertEquals(Optional.of(new AccessLogConfig(Optional.of(Path.of("/srv/tandem/logs/access.log")))), c.accessLog());
        assertEquals(new AdminConfig(new HostPort("0.0.0.0", 9090), Optional.of("s3cret")), c.admin());
    }

    @Test
    void staticFilesWithEveryKey() throws ConfigException {
        Config c = ConfigLoader.parse("t.yaml", MINIMAL + """
                sites:
                  - hosts: [example.com]
                    static:
                      root: www
                      match: '\\.(css|js)$'
                      fallback: false
                      index: [index.htm, default.html]
                      hidden: true
                      cache_control: "public, max-age=3600"
                      mime_types: {WebManifest: application/manifest+json, md: "text/markdown; charset=utf-8"}
                      precompressed: true
                      open_file_cache: {max_entries: 500, valid: 250ms, inline_max: 4k}
                """, Path.of("/srv"));
        StaticConfig st = c.sites().get(0).staticFiles().orElseThrow();
        assertEquals(Path.of("/srv/www"), st.root());
        assertEquals("\\.(css|js)$", st.match().orElseThrow().pattern());
        assertFalse(st.fallback());
        assertEquals(List.of("index.htm", "default.html"), st.index());
        assertTrue(st.hidden());
        assertEquals(Optional.of("public, max-age=3600"), st.cacheControl());
        assertEquals(Map.of("webmanifest", "application/manifest+json", "md", "text/markdown; charset=utf-8"), st.mimeTypes());
        assertTrue(st.precompressed());
        assertEquals(new OpenFileCacheConfig(500, Duration.ofMillis(250), 4096), st.openFileCache());
    }

    @Test
    void staticFilesDefaults() throws ConfigException {
        Config c = ConfigLoader.parse("t.yaml", MINIMAL + """
                sites:
                  - hosts: [example.com]
                    static: {root: /www, fallback: false, index: [], open_file_cache: {valid: 10s}}
                """, BASE);
        StaticConfig st = c.sites().get(0).staticFiles().orElseThrow();
        assertEquals(List.of(), st.index());
        assertFalse(st.hidden());
        assertEquals(Optional.empty(), st.cacheControl());
        assertEquals(Map.of(), st.mimeTypes());
        assertFalse(st.precompressed());
        assertEquals(new OpenFileCacheConfig(10_000, Duration.ofSeconds(10), 16_384), st.openFileCache());
        assertEquals(List.of("index.html"), new StaticConfig(Path.of("/www"), Optional.empty(), true).index());
        assertEquals(new OpenFileCacheConfig(10_000, Duration.ofSeconds(2), 16_384),
                new StaticConfig(Path.of("/www"), Optional.empty(), true).openFileCache());
    }

    @Test
    void accessLogKeywords() throws ConfigException {
        assertEquals(Optional.of(new AccessLogConfig(Optional.empty())),
                ConfigLoader.parse("t.yaml", MINIMAL + "access_log: '-'\n", BASE).accessLog());
        assertEquals(Optional.of(new AccessLogConfig(Optional.empty())),
                ConfigLoader.parse("t.yaml", MINIMAL + "access_log: stdout\n", BASE).accessLog());
        assertEquals(Optional.empty(), ConfigLoader.parse("t.yaml", MINIMAL + "access_log: off\n", BASE).accessLog());
        assertEquals(0, ConfigLoader.parse("t.yaml", MINIMAL + "workers: auto\n", BASE).workers());
    }

    @Test
    void witnessProbesAndPreemptDelay() throws ConfigException {
        Config c = ConfigLoader.parse("t.yaml", MINIMAL + """
                cluster:
                  nodes: {a: 10.0.0.1}
                  secret_file: k
                  preempt_delay: 30s
                  witnesses: [10.0.0.254, 'icmp:gw.internal', 'tcp:10.0.0.2:22', 'TCP:[2001:db8::1]:443']
                """, BASE);
        ClusterConfig cluster = c.cluster().orElseThrow();
        assertEquals(Duration.ofSeconds(30), cluster.preemptDelay());
        assertEquals(List.of(WitnessConfig.icmp("10.0.0.254"), WitnessConfig.icmp("gw.internal"),
                WitnessConfig.tcp("10.0.0.2", 22), WitnessConfig.tcp("2001:db8::1", 443)), cluster.witnesses());
        assertEquals("tcp:[2001:db8::1]:443", cluster.witnesses().get(3).toString());
        assertEquals("10.0.0.254", cluster.witnesses().get(0).toString());
    }

    @Test
    void mirrorDefaultsAndSettings() throws ConfigException {
        MirrorConfig defaults = ConfigLoader.parse("t.yaml", MINIMAL + """
                cluster:
                  nodes: {a: 10.0.0.1}
                  secret_file: k
                  mirror: {paths: [tandem.yaml, certs/]}
                """, BASE).cluster().orElseThrow().mirror().orElseThrow();
        assertEquals(List.of(Path.of("/etc/tandem/tandem.yaml"), Path.of("/etc/tandem/certs")), defaults.paths());
        assertEquals(Duration.ofSeconds(30), defaults.scanInterval());
        assertEquals(Duration.ofMillis(100), defaults.debounce());
        assertEquals(Path.of("/var/lib/tandem/mirror"), defaults.stateDir());
        assertEquals(Duration.ofSeconds(30), defaults.syncWait());
        assertEquals(10, defaults.maxDeletions());
        assertEquals(50, defaults.maxDeletionPercent());
        assertEquals(List.of(), defaults.requireMount());
        assertEquals(Duration.ofMinutes(5), defaults.deletionWindow());
        assertEquals(new MirrorConfig(defaults.paths()), defaults);

        MirrorConfig set = ConfigLoader.parse("t.yaml", MINIMAL + """
                cluster:
                  nodes: {a: 10.0.0.1}
                  secret_file: k
                  mirror:
                    paths: [/srv/www]
                    scan_interval: 5m
                    debounce: 0ms
                    state_dir: state/mirror
                    sync_wait: 2s
                    max_deletions: 100
                    max_deletion_percent: 20
                    deletion_window: 30s
                    require_mount: [/srv/www]
                """, BASE).cluster().orElseThrow().mirror().orElseThrow();
        assertEquals(new MirrorConfig(List.of(Path.of("/srv/www")), Duration.ofMinutes(5), Duration.ZERO,
                Path.of("/etc/tandem/state/mirror"), Duration.ofSeconds(2), 100, 20, List.of(Path.of("/srv/www")),
                MirrorLimits.DEFAULT, Duration.ofSeconds(30)), set);
    }

    @Test
    void mirrorLimitsDefaultAndSet() throws ConfigException {
        MirrorConfig defaults = ConfigLoader.parse("t.yaml", MINIMAL + """
                cluster:
                  nodes: {a: 10.0.0.1}
                  secret_file: k
                  mirror: {paths: [/srv/www]}
                """, BASE).cluster().orElseThrow().mirror().orElseThrow();
        assertEquals(new MirrorLimits(1L << 30, 100_000, 10L << 30), defaults.limits());

        MirrorConfig set = ConfigLoader.parse("t.yaml", MINIMAL + """
                cluster:
                  nodes: {a: 10.0.0.1}
                  secret_file: k
                  mirror:
                    paths: [/srv/www]
                    limits: {file_size: 64m, files: 500}
                """, BASE).cluster().orElseThrow().mirror().orElseThrow();
        assertEquals(new MirrorLimits(64L << 20, 500, 10L << 30), set.limits());
    }

    @Test
    void mirrorLimitsErrorsNameTheirPlace() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("t.yaml", MINIMAL + """
                cluster:
                  nodes: {a: 10.0.0.1}
                  secret_file: k
                  mirror:
                    paths: [/srv/www]
                    limits: {file_size: 0, files: many, total_byte: 1g}
                """, BASE));
        List<String> errors = e.errors().stream().map(ConfigError::toString).toList();
        int line = (int) MINIMAL.lines().count() + 6;
        assertTrue(errors.stream().anyMatch(m -> m.startsWith("t.yaml:" + line + ":") && m.contains("file_size")), errors.toString());
        assertTrue(errors.stream().anyMatch(m -> m.startsWith("t.yaml:" + line + ":") && m.contains("files")), errors.toString());
        assertTrue(errors.stream().anyMatch(m -> m.contains("total_byte") && m.contains("total_bytes")), errors.toString());
    }

    @Test
    void vipPreferenceDefaultsToNodeOrder() throws ConfigException {
        Config c = ConfigLoader.parse("t.yaml", MINIMAL + """
                cluster:
                  nodes: {b: lb-b.internal, a: "fd00::2"}
                  secret_file: cluster.key
                  vips: [{address: "2001:db8::10/64", interface: eth0.100}]
                """, BASE);
        ClusterConfig cluster = c.cluster().orElseThrow();
        assertEquals(List.of(new VipConfig("2001:db8::10", 64, "eth0.100", List.of("b", "a"))), cluster.vips());
        assertEquals(Path.of("/etc/tandem/cluster.key"), cluster.secretFile());
        assertEquals(Duration.ofSeconds(1), cluster.advertInterval());
        assertEquals(Optional.empty(), cluster.mirror());
        assertEquals(List.of(), cluster.witnesses());
        assertEquals(Path.of("/var/lib/tandem"), cluster.stateDir());
        assertEquals(Duration.ZERO, cluster.announceRefresh(), "no refresh unless asked for");
    }

    @Test
    void clusterAnnounceRefresh() throws ConfigException {
        ClusterConfig cluster = ConfigLoader.parse("t.yaml", MINIMAL + """
                cluster:
                  nodes: {a: 10.0.0.1}
                  secret_file: k
                  announce_refresh: 60s
                """, BASE).cluster().orElseThrow();
        assertEquals(Duration.ofSeconds(60), cluster.announceRefresh());
    }

    @Test
    void clusterStateDirResolvesAgainstTheConfigDirectory() throws ConfigException {
        ClusterConfig cluster = ConfigLoader.parse("t.yaml", MINIMAL + """
                cluster:
                  nodes: {a: 10.0.0.1}
                  secret_file: k
                  state_dir: state
                """, BASE).cluster().orElseThrow();
        assertEquals(Path.of("/etc/tandem/state"), cluster.stateDir());
    }

    @Test
    void loadHashesTheFileAndKeepsTheVersion(@TempDir Path dir) throws IOException, ConfigException {
        Path file = dir.resolve("tandem.yaml");
        Files.writeString(file, MINIMAL + "access_log: access.log\n");

        Snapshot s = ConfigLoader.load(file, 7);

        assertEquals(7, s.version());
        assertEquals(file.toString(), s.source());
        // sha256sum of the same bytes, computed independently.
        assertEquals(sha256Hex(Files.readAllBytes(file)), s.hash());
        assertEquals(64, s.hash().length());
        assertEquals(Optional.of(dir.resolve("access.log")), s.config().accessLog().orElseThrow().path());
    }

    @Test
    void sameBytesSameHashDifferentBytesDifferentHash() throws ConfigException {
        byte[] a = MINIMAL.getBytes(StandardCharsets.UTF_8);
        byte[] b = (MINIMAL + "# a comment\n").getBytes(StandardCharsets.UTF_8);
        Snapshot first = ConfigLoader.fromBytes("a", a, BASE, 1);
        assertEquals(first.hash(), ConfigLoader.fromBytes("a", a.clone(), BASE, 2).hash());
        assertFalse(first.hash().equals(ConfigLoader.fromBytes("a", b, BASE, 3).hash()));
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", sha256Hex(new byte[0]),
                "the helper itself is SHA-256");
    }

    @Test
    void unreadableFileIsAnIOException(@TempDir Path dir) {
        assertThrows(IOException.class, () -> ConfigLoader.load(dir.resolve("missing.yaml"), 1));
        assertThrows(IOException.class, () -> ConfigLoader.load(dir, 1));
    }

    @Test
    void invalidFileIsAConfigExceptionNamingThePath(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "listeners: 3\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, 1));
        assertEquals(List.of(file + ":1:12: listeners: 3 (expected: a list of listeners)"),
                e.errors().stream().map(ConfigError::toString).toList());
        assertEquals(file + ":1:12: listeners: 3 (expected: a list of listeners)", e.getMessage());
    }

    @Test
    void invalidUtf8IsReportedWhereItIs() {
        byte[] bytes = (MINIMAL + "admin: {token: \"x\u00e9").getBytes(StandardCharsets.ISO_8859_1);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.fromBytes("t.yaml", bytes, BASE, 1));
        assertEquals(List.of("t.yaml:4:18: not valid UTF-8 text"), e.errors().stream().map(ConfigError::toString).toList());
    }

    private static String sha256Hex(byte[] bytes) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
            StringBuilder sb = new StringBuilder();
            for (byte x : d) {
                sb.append(String.format("%02x", x));
            }
            return sb.toString();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
