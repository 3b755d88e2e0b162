package dev.tandem.node.admin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.node.cli.StatusCommand;
import dev.tandem.node.wiring.Node;
import dev.tandem.node.wiring.TestNodes;
import dev.tandem.proxy.transport.Transport;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DNS records on the dashboard and in {@code tandem status}, against a real knot that takes updates of
 * {@code www.example.com.} and refuses those of {@code all.example.com.}: two nodes of a cluster, node a
 * preferred for {@code www}, both in {@code all}. The page must show, per record, what the server holds, which
 * node that is, the last change, and the refused record's failed updates with their next try.
 */
class DashboardDnsTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path KNOTD = Path.of("/usr/sbin/knotd");
    private static final String FOREIGN = "192.0.2.200";
    private static final Pattern DNS_ROW = Pattern.compile(
            "<tr class=\"dns-row\" data-record=\"([^\"]+)\" data-holders=\"([^\"]*)\">(.*?)</tr>");

    @Test
    void eachRecordItsValueAtTheServerItsHolderItsLastChangeAndItsRetries(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "skipped: " + CHROMIUM + " is missing (apt-get install chromium)");
        assumeTrue(Files.isExecutable(KNOTD), "skipped: " + KNOTD + " is missing (apt-get install knot)");
        int dnsPort = freePort();
        Path tsig = dir.resolve("tsig.key");
        Process knot = startKnot(dir.resolve("knot"), dnsPort, tsig);
        int udp;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            udp = s.getLocalPort();
        }
        int admin;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.41"), 0));
            admin = s.getLocalPort();
        }
        Node a = null;
        Node b = null;
        try {
            a = start(dir, "a", "127.0.0.41", admin, udp, dnsPort, tsig);
            b = start(dir, "b", "127.0.0.42", admin, udp, dnsPort, tsig);
            Node nodeA = a;
            await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200)).until(() -> {
                List<?> dns = (List<?>) status(nodeA).get("dns");
                Map<?, ?> www = (Map<?, ?>) dns.get(0);
                Map<?, ?> all = (Map<?, ?>) dns.get(1);
                return List.of("a").equals(www.get("published")) && ((Number) all.get("failures")).intValue() >= 2;
            });
            String url = "http://127.0.0.41:" + admin + "/dashboard#token=t0ken";
            String dom = DashboardTest.chromium(dir, "--dump-dom", url);
            Files.createDirectories(Path.of("target", "screenshots"));
            Files.writeString(Path.of("target", "screenshots", "dashboard-dns.html"), dom);

            Map<String, String[]> rows = new java.util.LinkedHashMap<>();
            Matcher m = DNS_ROW.matcher(dom);
            while (m.find()) {
                rows.put(m.group(1), new String[]{m.group(2), m.group(3)});
            }
            assertEquals(List.of("www.example.com.", "all.example.com."), List.copyOf(rows.keySet()), dom);
            String[] www = rows.get("www.example.com.");
            assertEquals("a", www[0], "www is held by a");
            assertTrue(www[1].contains(FOREIGN) && www[1].contains("127.0.0.41"), "the server's value: " + www[1]);
            assertTrue(www[1].contains("by a") && www[1].contains("added [a]"), "the last change and who: " + www[1]);
            assertTrue(www[1].contains("failover · TTL 5 s"), www[1]);
            String[] all = rows.get("all.example.com.");
            assertEquals("", all[0], "no node in all.example.com.");
            assertTrue(all[1].contains("no address"), all[1]);
            assertTrue(all[1].contains("class=\"dns-pending\"") && all[1].contains("failed updates in a row")
                    && all[1].contains("next try"), "its retries: " + all[1]);
            assertTrue(www[1].contains("<span class=\"dim\">none</span>"), "nothing pending for www: " + www[1]);

            // tandem status: the same, as text.
            String table = StatusCommand.StatusTable.render(status(a));
            String line = table.lines().filter(l -> l.startsWith("www.example.com. ")).findFirst().orElse("");
            for (String part : List.of(" failover ", " 5s ", FOREIGN, "127.0.0.41", "  a  ", " added [a]")) {
                assertTrue(line.contains(part), part + " in " + table);
            }
            assertTrue(Pattern.compile("failing   all\\.example\\.com\\.: .+NOTAUTH.+ \\(\\d+ updates failed in a row(, decided again at \\S+)?\\)")
                    .matcher(table).find(), table);
        } finally {
            for (Node n : new Node[]{a, b}) {
                if (n != null) {
                    n.stop(Duration.ZERO);
                }
            }
            knot.destroy();
            knot.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** {@code /status} of a node whose admin listener is on its cluster address, with the token. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> status(Node node) throws Exception {
        String url = "http://" + node.adminAddress().getAddress().getHostAddress() + ":" + node.adminAddress().getPort()
                + "/status";
        var r = TestNodes.send("GET", url, null, Map.of("Authorization", "Bearer t0ken"));
        assertEquals(200, r.statusCode(), r.body());
        return (Map<String, Object>) dev.tandem.node.admin.Json.parse(r.body());
    }

    private static Node start(Path dir, String name, String address, int admin, int udp, int dnsPort, Path tsig)
            throws Exception {
        Path home = Files.createDirectories(dir.resolve(name));
        Files.write(home.resolve("cluster.key"), "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        String yaml = TestNodes.config("- { address: \"127.0.0.1:1\" }", """
                cluster:
                  nodes: {a: 127.0.0.41, b: 127.0.0.42}
                  port: %d
                  secret_file: cluster.key
                  state_dir: cluster-state
                  advert_interval: 250ms
                  dns:
                    server: 127.0.0.1:%d
                    zone: example.com.
                    tsig: {name: tandem-key., algorithm: hmac-sha256, secret_file: %s}
                    hold_down: 1s
                    records:
                      - {name: www.example.com., ttl: 5s, mode: failover, prefer: [a, b]}
                      - {name: all.example.com., ttl: 5s, mode: multi}
                """.formatted(udp, dnsPort, tsig))
                .replaceFirst("admin:\n  bind: 127\\.0\\.0\\.1:0", "admin:\n  bind: " + address + ":" + admin + "\n  token: t0ken");
        Path file = home.resolve("tandem.yaml");
        Files.writeString(file, yaml);
        return Node.start(file, Transport.detect(), name);
    }

    /**
     * knot on 127.0.0.1:{@code port}, authoritative for {@code example.com.} ({@code www} holding a foreign
     * address), taking updates signed with a fresh key for {@code www.example.com.} only: an update of any other
     * name is refused.
     */
    private static Process startKnot(Path dir, int port, Path keyFile) throws Exception {
        Files.createDirectories(dir.resolve("db"));
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String secret = Base64.getEncoder().encodeToString(key);
        Files.writeString(keyFile, secret + "\n");
        Files.writeString(dir.resolve("example.com.zone"), """
                $TTL 300
                @ SOA ns.example.com. admin.example.com. 1 3600 600 86400 60
                @ NS ns.example.com.
                ns A 127.0.0.1
                www A %s
                """.formatted(FOREIGN));
        Files.writeString(dir.resolve("knot.conf"), """
                server:
                    listen: 127.0.0.1@%d
                    rundir: %s
                database:
                    storage: %s
                key:
                  - id: tandem-key.
                    algorithm: hmac-sha256
                    secret: %s
                acl:
                  - id: www-only
                    key: tandem-key.
                    action: update
                    update-owner: name
                    update-owner-match: equal
                    update-owner-name: www.example.com.
                  - id: read
                    key: tandem-key.
                    action: transfer
                zone:
                  - domain: example.com.
                    storage: %s
                    file: example.com.zone
                    acl: [www-only, read]
                    zonefile-sync: -1
                """.formatted(port, dir, dir.resolve("db"), secret, dir));
        Path log = dir.resolve("knotd.log");
        Process p = new ProcessBuilder(KNOTD.toString(), "-c", dir.resolve("knot.conf").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        await().atMost(20, TimeUnit.SECONDS).pollInterval(50, TimeUnit.MILLISECONDS).failFast(() -> !p.isAlive())
                .until(() -> Files.readString(log).contains("server started"));
        return p;
    }

    /** Free for TCP and UDP on 127.0.0.1. */
    private static int freePort() throws IOException {
        for (int attempt = 0; ; attempt++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                port = s.getLocalPort();
            }
            try (DatagramSocket d = new DatagramSocket(new InetSocketAddress("127.0.0.1", port))) {
                return port;
            } catch (IOException taken) {
                if (attempt == 50) {
                    throw taken;
                }
            }
        }
    }
}
