package dev.tandem.conf;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Every default and limit of the config file, in one place. A key that is absent, or whose value is YAML
 * null ({@code key:} or {@code key: ~}), takes its default; a required key that is absent is an error.
 *
 * <table>
 * <caption>Keys, values and defaults</caption>
 * <tr><th>key</th><th>value</th><th>default</th></tr>
 * <tr><td>{@code workers}</td><td>integer &gt;= 0, or {@code auto} (= 0: one per processor)</td><td>auto</td></tr>
 * <tr><td>{@code listeners}</td><td>non-empty list</td><td>required</td></tr>
 * <tr><td>{@code listeners[].name}</td><td>unique name</td><td>required</td></tr>
 * <tr><td>{@code listeners[].bind}</td><td>{@code host:port}, {@code [v6]:port}, {@code :port} (= 0.0.0.0); port 0-65535</td><td>required</td></tr>
 * <tr><td>{@code listeners[].tls.certificates}</td><td>non-empty list of {@code {cert, key}} paths: PEM certificate
 *     chain (leaf first) and PEM private key (PKCS#8, or traditional RSA/EC). Each is offered to clients whose SNI
 *     name matches one of its names (subject alternative names, else the common name; {@code *.example.com}
 *     matches one label); the first is the default for clients without SNI or with an unknown name</td><td>no TLS</td></tr>
 * <tr><td>{@code listeners[].tls.per_node}</td><td>node name (from {@code cluster.nodes}) to one {@code {cert, key}}
 *     or a list of them: what that node serves instead of {@code certificates}, which may then be omitted when every
 *     node has an entry</td><td>every node serves {@code certificates}</td></tr>
 * <tr><td>{@code listeners[].per_node}</td><td>node name (from {@code cluster.nodes}) to {@code {bind: host:port}}:
 *     the address that node binds instead of {@code bind}</td><td>every node binds {@code bind}</td></tr>
 * <tr><td>{@code listeners[].redirect_https}</td><td>{@code true}, {@code false}, or {@code {port: 8443}}; plaintext
 *     listeners only: every request is answered with a 301 to {@code https://host[:port]/path?query}</td><td>false</td></tr>
 * <tr><td>{@code listeners[].hsts}</td><td>{@code true} (the defaults), {@code false}, or
 *     {@code {max_age, include_subdomains, preload}}; TLS listeners only: adds Strict-Transport-Security to every
 *     response that has none. {@code preload} needs {@code include_subdomains} and a {@code max_age} of at least
 *     365d</td><td>off; in the mapping: 365d / false / false</td></tr>
 * <tr><td>{@code sites}</td><td>list</td><td>empty</td></tr>
 * <tr><td>{@code sites[].hosts}</td><td>non-empty list: a name, {@code *.example.com} or {@code *}; lowercased;
 *     each host in one site only</td><td>required</td></tr>
 * <tr><td>{@code sites[].static.root}</td><td>directory</td><td>required in {@code static}</td></tr>
 * <tr><td>{@code sites[].static.match}</td><td>Java regular expression, found in the path as sent (percent-encoded,
 *     without the query)</td><td>every path</td></tr>
 * <tr><td>{@code sites[].static.fallback}</td><td>boolean</td><td>true</td></tr>
 * <tr><td>{@code sites[].static.index}</td><td>list of file names (no {@code /}), tried in order for a directory;
 *     {@code []} = none</td><td>[index.html]</td></tr>
 * <tr><td>{@code sites[].static.hidden}</td><td>boolean: serve names starting with a dot</td><td>false</td></tr>
 * <tr><td>{@code sites[].static.cache_control}</td><td>header value, e.g. {@code public, max-age=3600}</td><td>none</td></tr>
 * <tr><td>{@code sites[].static.mime_types}</td><td>mapping extension (without the dot) -&gt; media type
 *     {@code type/subtype[; params]}, over the built-in table</td><td>built-in table only</td></tr>
 * <tr><td>{@code sites[].static.precompressed}</td><td>boolean: serve {@code file.br} / {@code file.gz} when accepted</td>
 *     <td>false</td></tr>
 * <tr><td>{@code sites[].static.open_file_cache.max_entries}</td><td>integer 1-10000000: paths kept open/remembered</td>
 *     <td>{@value #OPEN_FILE_CACHE_MAX_ENTRIES}</td></tr>
 * <tr><td>{@code sites[].static.open_file_cache.valid}</td><td>duration &gt; 0: a change on disk is seen within it</td>
 *     <td>2s</td></tr>
 * <tr><td>{@code sites[].static.open_file_cache.inline_max}</td><td>size 0-1m: files up to it are kept in memory and
 *     sent with their head in one write; 0 = sendfile for every file</td><td>16k</td></tr>
 * <tr><td>{@code sites[].upstream}</td><td>name under {@code upstreams}</td><td>required, unless
 *     {@code static.fallback} is false</td></tr>
 * <tr><td>{@code sites[].allow_upgrades}</td><td>list of upgrade protocol names (tokens, no version; not
 *     {@code h2c}) the upstream may switch a connection to, besides {@code websocket}</td><td>websocket only</td></tr>
 * <tr><td>{@code sites[].error_pages}</td><td>mapping status (400-599) -&gt; a file, or {@code {file | body, type,
 *     upstream}}: the page of Tandem's own answers with that status; {@code upstream: true} also replaces the
 *     upstream's</td><td>built-in pages</td></tr>
 * <tr><td>{@code sites[].maintenance}</td><td>{@code {enabled, page, allow, retry_after}}: 503 with
 *     {@code Retry-After} to every client outside {@code allow} (CIDRs)</td><td>off; retry_after 120s</td></tr>
 * <tr><td>{@code sites[].access}</td><td>{@code {allow, deny, basic_auth: {realm, htpasswd}}}: CIDR lists (deny
 *     first; with allow, everyone else gets 403), then bcrypt basic auth (401)</td><td>open; realm
 *     {@value #BASIC_AUTH_REALM}</td></tr>
 * <tr><td>{@code upstreams}</td><td>mapping name -&gt; upstream</td><td>empty</td></tr>
 * <tr><td>{@code upstreams.*.balance}</td><td>{@code weighted-round-robin}, {@code least-connections}, {@code ip-hash}</td>
 *     <td>weighted-round-robin</td></tr>
 * <tr><td>{@code upstreams.*.servers}</td><td>non-empty list, at least one not backup</td><td>required</td></tr>
 * <tr><td>{@code upstreams.*.servers[].address}</td><td>{@code host:port}, port 1-65535, unique in the upstream</td><td>required</td></tr>
 * <tr><td>{@code upstreams.*.servers[].weight}</td><td>integer &gt;= 1</td><td>{@value #WEIGHT}</td></tr>
 * <tr><td>{@code upstreams.*.servers[].backup}</td><td>boolean</td><td>false</td></tr>
 * <tr><td>{@code upstreams.*.keepalive}</td><td>integer &gt;= 0</td><td>{@value #KEEPALIVE}</td></tr>
 * <tr><td>{@code upstreams.*.idle_timeout}</td><td>duration &gt; 0</td><td>60s</td></tr>
 * <tr><td>{@code upstreams.*.timeouts.connect / read / write}</td><td>duration &gt; 0</td><td>5s / 60s / 60s</td></tr>
 * <tr><td>{@code upstreams.*.passive.max_fails}</td><td>integer &gt;= 0 (0 disables)</td><td>{@value #MAX_FAILS}</td></tr>
 * <tr><td>{@code upstreams.*.passive.fail_timeout}</td><td>duration &gt; 0</td><td>10s</td></tr>
 * <tr><td>{@code upstreams.*.retries}</td><td>integer &gt;= 0</td><td>{@value #RETRIES}</td></tr>
 * <tr><td>{@code upstreams.*.max_connections}</td><td>integer &gt;= 0: requests at once per server, over every
 *     event loop (0 = no limit); more wait in the server's queue</td><td>{@value #MAX_CONNECTIONS}</td></tr>
 * <tr><td>{@code upstreams.*.servers[].max_connections}</td><td>integer &gt;= 0: this server's own limit</td>
 *     <td>the upstream's</td></tr>
 * <tr><td>{@code upstreams.*.queue.limit}</td><td>integer &gt;= 0: requests waiting per server; beyond it 503 with
 *     Retry-After at once</td><td>{@value #QUEUE_LIMIT}</td></tr>
 * <tr><td>{@code upstreams.*.queue.timeout}</td><td>duration &gt; 0: how long a request waits in the queue before
 *     503 with Retry-After</td><td>10s</td></tr>
 * <tr><td>{@code upstreams.*.health}</td><td>mapping; neither {@code http} nor {@code tcp} means a TCP check</td>
 *     <td>no active checks</td></tr>
 * <tr><td>{@code upstreams.*.health.http}</td><td>{@code {method, path, host, expect_status, expect_body}}</td><td>-</td></tr>
 * <tr><td>{@code ...http.method / path / host}</td><td>method in capitals / path from {@code /} / Host header</td>
 *     <td>GET / {@code /} / the server address</td></tr>
 * <tr><td>{@code ...http.expect_status}</td><td>{@code 200}, {@code "200-399"}, or a list of those; 100-599</td><td>200-399</td></tr>
 * <tr><td>{@code ...http.expect_body}</td><td>substring of the body; null = none</td><td>none</td></tr>
 * <tr><td>{@code upstreams.*.health.tcp}</td><td>{@code true}; not with {@code http}</td><td>-</td></tr>
 * <tr><td>{@code upstreams.*.health.interval / timeout}</td><td>duration &gt; 0</td><td>2s / the interval</td></tr>
 * <tr><td>{@code upstreams.*.health.rise / fall}</td><td>integer &gt;= 1</td><td>{@value #RISE} / {@value #FALL}</td></tr>
 * <tr><td>{@code forwarding.trusted_proxies}</td><td>list of CIDRs ({@code 10.0.0.0/8}, bare address = /32 or /128)</td><td>empty</td></tr>
 * <tr><td>{@code limits.max_header_bytes}</td><td>size, 1k-1m</td><td>16k</td></tr>
 * <tr><td>{@code limits.max_body_bytes}</td><td>size &gt;= 1</td><td>1m</td></tr>
 * <tr><td>{@code limits.client_timeout / keepalive_timeout}</td><td>duration &gt; 0</td><td>60s / 75s</td></tr>
 * <tr><td>{@code limits.tunnel_idle_timeout}</td><td>duration &gt; 0: an upgraded connection (WebSocket) with no
 *     byte either way for this long is closed</td><td>10m</td></tr>
 * <tr><td>{@code limits.max_concurrent_streams}</td><td>integer 1-10000: HTTP/2 streams open at once on one
 *     client connection</td><td>{@value #MAX_CONCURRENT_STREAMS}</td></tr>
 * <tr><td>{@code access_log}</td><td>file path, {@code -} or {@code stdout}, or {@code off}</td><td>off</td></tr>
 * <tr><td>{@code cluster}</td><td>mapping</td><td>no cluster</td></tr>
 * <tr><td>{@code cluster.nodes}</td><td>non-empty mapping name -&gt; IP address or host name, or
 *     {@code {address, bind}} (peers dial address, the node binds bind); dialled addresses unique</td><td>required</td></tr>
 * <tr><td>{@code cluster.port}</td><td>1-65535</td><td>{@value #CLUSTER_PORT}</td></tr>
 * <tr><td>{@code cluster.secret_file}</td><td>file path (read by the cluster module, not here)</td><td>required</td></tr>
 * <tr><td>{@code cluster.advert_interval}</td><td>duration &gt;= 10ms</td><td>1s</td></tr>
 * <tr><td>{@code cluster.preempt}</td><td>boolean</td><td>true</td></tr>
 * <tr><td>{@code cluster.preempt_delay}</td><td>duration &gt;= 0: how long a node that comes back waits before
 *     taking a VIP from a less preferred node</td><td>0s</td></tr>
 * <tr><td>{@code cluster.vips}</td><td>list of {@code {address: a.b.c.d/nn, interface, prefer}}; addresses unique</td><td>empty</td></tr>
 * <tr><td>{@code cluster.vips[].prefer}</td><td>node names, most preferred first</td><td>every node, in {@code nodes} order</td></tr>
 * <tr><td>{@code cluster.witnesses}</td><td>list of {@code HOST} or {@code icmp:HOST} (ICMP echo), {@code tcp:HOST:PORT}
 *     (TCP connect; refused counts as reached)</td><td>empty</td></tr>
 * <tr><td>{@code cluster.notify}</td><td>file path</td><td>none</td></tr>
 * <tr><td>{@code cluster.state_dir}</td><td>directory, not inside a mirrored path: this node's boot counter and the
 *     record of the addresses and rules it put on the host (files named after the node)</td><td>{@code /var/lib/tandem}</td></tr>
 * <tr><td>{@code cluster.announce_refresh}</td><td>duration &gt;= 0: how often a master announces each VIP it holds
 *     again (gratuitous ARP, unsolicited neighbour advertisements) with nothing to prompt it; 0s = never (it still
 *     announces at a takeover, when its link comes back, and when a peer claims the VIP)</td><td>0s</td></tr>
 * <tr><td>{@code cluster.dns}</td><td>mapping {@code {server, zone, tsig, hold_down, records}}: records moved
 *     between the nodes with TSIG-signed dynamic updates</td><td>none</td></tr>
 * <tr><td>{@code cluster.dns.server}</td><td>IP address with an optional port</td><td>required (port 53)</td></tr>
 * <tr><td>{@code cluster.dns.zone}</td><td>domain name (made absolute, lower case)</td><td>required</td></tr>
 * <tr><td>{@code cluster.dns.tsig}</td><td>{@code {name, algorithm (hmac-sha256|384|512|224|sha1|md5), secret_file}}</td>
 *     <td>required (algorithm hmac-sha256)</td></tr>
 * <tr><td>{@code cluster.dns.hold_down}</td><td>duration &gt;= 0: up this long before a record moves back</td><td>30s</td></tr>
 * <tr><td>{@code cluster.dns.records}</td><td>non-empty list of {@code {name (inside the zone, unique), ttl (whole
 *     seconds, 1s-1d), mode (failover|multi), prefer}}</td><td>required (ttl 30s, mode failover, prefer every node)</td></tr>
 * <tr><td>{@code cluster.mirror.paths}</td><td>non-empty list of files and directories, none inside
 *     another</td><td>no mirror</td></tr>
 * <tr><td>{@code cluster.mirror.scan_interval}</td><td>duration &gt;= 1s: full scans under the file events</td><td>30s</td></tr>
 * <tr><td>{@code cluster.mirror.debounce}</td><td>duration &gt;= 0: quiet time before a burst of changes is sent</td><td>100ms</td></tr>
 * <tr><td>{@code cluster.mirror.state_dir}</td><td>directory, not inside a mirrored path</td><td>{@code /var/lib/tandem/mirror}</td></tr>
 * <tr><td>{@code cluster.mirror.sync_wait}</td><td>duration &gt;= 0: how long the elections wait at start for the
 *     first sync with a reachable peer</td><td>30s</td></tr>
 * <tr><td>{@code cluster.mirror.limits.file_size}</td><td>size &gt;= 1: the largest file a mirrored path may
 *     hold; a larger one is refused (not sent, not received)</td><td>1g</td></tr>
 * <tr><td>{@code cluster.mirror.limits.files}</td><td>integer &gt;= 1: files (and links) in each mirrored path;
 *     new ones beyond are refused</td><td>100000</td></tr>
 * <tr><td>{@code cluster.mirror.limits.total_bytes}</td><td>size &gt;= 1: bytes of all the files of each mirrored
 *     path; a change that would go over is refused</td><td>10g</td></tr>
 * <tr><td>{@code node_health.require}</td><td>{@code all-upstreams} (every upstream has a server up),
 *     {@code any-upstream} (at least one has), {@code none} (bound listeners suffice), or a non-empty list of
 *     upstream names that must each have a server up. "Up" means active checks do not report it down (unknown
 *     and unchecked servers count as up); listeners must be bound in every case</td><td>all-upstreams</td></tr>
 * <tr><td>{@code admin.bind}</td><td>{@code host:port}; a non-loopback address needs {@code token}</td><td>127.0.0.1:9090</td></tr>
 * <tr><td>{@code admin.token}</td><td>non-empty string</td><td>none</td></tr>
 * <tr><td>{@code admin.per_node}</td><td>node name (from {@code cluster.nodes}) to {@code {bind: host:port}}: the
 *     address that node binds instead of {@code bind} (a non-loopback one needs {@code token})</td><td>every node
 *     binds {@code bind}</td></tr>
 * <tr><td>{@code shutdown.drain_timeout}</td><td>duration &gt;= 0: how long a graceful stop ({@code SIGTERM})
 *     waits for requests in flight (0 = cut them at once)</td><td>10s</td></tr>
 * </table>
 *
 * <p>Durations are a whole number with {@code ms}, {@code s}, {@code m}, {@code h} or {@code d}; a bare number is an
 * error. Sizes are a whole number of bytes, optionally with {@code k}, {@code m} or {@code g} (powers of
 * 1024). Relative paths resolve against the directory of the config file.
 */
public final class Defaults {

    public static final int WEIGHT = 1;
    public static final int KEEPALIVE = 32;
    public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration WRITE_TIMEOUT = Duration.ofSeconds(60);
    public static final int MAX_FAILS = 1;
    public static final Duration FAIL_TIMEOUT = Duration.ofSeconds(10);
    public static final int RETRIES = 2;
    /** Requests at once per server: a burst beyond it waits in the queue instead of overrunning the server. */
    public static final int MAX_CONNECTIONS = 1024;
    public static final int QUEUE_LIMIT = 10_000;
    public static final Duration QUEUE_TIMEOUT = Duration.ofSeconds(10);

    public static final String HEALTH_METHOD = "GET";
    public static final String HEALTH_PATH = "/";
    public static final StatusRange HEALTH_EXPECT_STATUS = new StatusRange(200, 399);
    public static final Duration HEALTH_INTERVAL = Duration.ofSeconds(2);
    public static final int RISE = 2;
    public static final int FALL = 3;

    public static final List<String> INDEX = List.of("index.html");
    public static final boolean HIDDEN = false;
    public static final Duration MAINTENANCE_RETRY_AFTER = Duration.ofSeconds(120);
    public static final String BASIC_AUTH_REALM = "restricted";
    /** Request header names with an underscore are dropped, as nginx's {@code underscores_in_headers off}. */
    public static final boolean UNDERSCORES_IN_HEADERS = false;
    public static final boolean PRECOMPRESSED = false;
    public static final int OPEN_FILE_CACHE_MAX_ENTRIES = 10_000;
    public static final int OPEN_FILE_CACHE_MAX_ENTRIES_LIMIT = 10_000_000;
    public static final Duration OPEN_FILE_CACHE_VALID = Duration.ofSeconds(2);
    public static final long OPEN_FILE_CACHE_INLINE_MAX = 16 * 1024;
    public static final long OPEN_FILE_CACHE_INLINE_MAX_LIMIT = 1024 * 1024;

    public static final int MIN_HEADER_BYTES = 1024;
    public static final int MAX_HEADER_BYTES_LIMIT = 1024 * 1024;
    public static final int MAX_HEADER_BYTES = 16 * 1024;
    public static final long MAX_BODY_BYTES = 1024 * 1024;
    public static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(75);
    public static final Duration TUNNEL_IDLE_TIMEOUT = Duration.ofMinutes(10);
    public static final int MAX_CONCURRENT_STREAMS = 128;
    public static final int MAX_CONCURRENT_STREAMS_LIMIT = 10_000;

    public static final Duration HSTS_MAX_AGE = Duration.ofDays(365);
    /** The shortest max_age the browsers' preload list accepts. */
    public static final Duration HSTS_PRELOAD_MIN_AGE = Duration.ofDays(365);

    public static final int CLUSTER_PORT = 7400;
    public static final Duration ADVERT_INTERVAL = Duration.ofSeconds(1);
    public static final Duration MIN_ADVERT_INTERVAL = Duration.ofMillis(10);
    public static final boolean PREEMPT = true;
    public static final Duration PREEMPT_DELAY = Duration.ZERO;
    public static final Duration MIRROR_SCAN_INTERVAL = Duration.ofSeconds(30);
    public static final Duration MIN_MIRROR_SCAN_INTERVAL = Duration.ofSeconds(1);
    public static final Duration MIRROR_DEBOUNCE = Duration.ofMillis(100);
    public static final Path CLUSTER_STATE_DIR = Path.of("/var/lib/tandem");
    public static final Duration ANNOUNCE_REFRESH = Duration.ZERO;
    public static final Path MIRROR_STATE_DIR = Path.of("/var/lib/tandem/mirror");
    public static final Duration MIRROR_SYNC_WAIT = Duration.ofSeconds(30);
    /** A deletion of more than this many files of one mirrored path, and more than half of them, is held. */
    public static final int MIRROR_MAX_DELETIONS = 10;
    public static final int MIRROR_MAX_DELETION_PERCENT = 50;
    /** Deletions of one mirrored path this close together are judged as one by the guard. */
    public static final Duration MIRROR_DELETION_WINDOW = Duration.ofMinutes(5);
    public static final Duration MIN_MIRROR_DELETION_WINDOW = Duration.ofSeconds(1);
    public static final long MIRROR_MAX_FILE_SIZE = 1L << 30;
    public static final long MIRROR_MAX_FILES = 100_000;
    public static final long MIRROR_MAX_TOTAL_BYTES = 10L << 30;

    /** Every upstream must have a server up for the node to count as able to serve. */
    public static final NodeHealthConfig NODE_HEALTH = new NodeHealthConfig(NodeHealthConfig.Require.ALL_UPSTREAMS, List.of());

    public static final HostPort ADMIN_BIND = new HostPort("127.0.0.1", 9090);

    public static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(10);

    private Defaults() {
    }
}
