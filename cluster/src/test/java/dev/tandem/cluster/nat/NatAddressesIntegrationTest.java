package dev.tandem.cluster.nat;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.cluster.ClusterNode;
import dev.tandem.cluster.ClusterStatus;
import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.cluster.mirror.Mirror;
import dev.tandem.cluster.vip.RecordingVipDriver;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.MirrorConfig;
import dev.tandem.conf.VipConfig;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes each behind its own NAT, on loopback: node a binds 127.0.0.31 and its peers dial 127.0.0.41, node b
 * binds .32 and is dialled at .42. A {@link NatForwarder} per public address stands in for each region's router,
 * so a node is reached only through its public address and sees its peer's traffic come from the peer's public
 * address. Adverts and the mirror must work both ways.
 */
class NatAddressesIntegrationTest {

    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final String A_PRIVATE = "127.0.0.31";
    private static final String B_PRIVATE = "127.0.0.32";
    private static final String A_PUBLIC = "127.0.0.41";
    private static final String B_PUBLIC = "127.0.0.42";
    private static final String VIP_A = "192.0.2.77";
    private static final String VIP_B = "192.0.2.78";

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    /** A port free for UDP and TCP on every address of the test. */
    private static int freePort() throws IOException {
        for (int attempt = 0; ; attempt++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                port = s.getLocalPort();
            }
            boolean free = true;
            for (String a : List.of(A_PRIVATE, B_PRIVATE, A_PUBLIC, B_PUBLIC)) {
                try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(a));
                     DatagramSocket d = new DatagramSocket(new InetSocketAddress(a, port))) {
                    // free for both
                } catch (IOException taken) {
                    free = false;
                }
            }
            if (free || attempt == 50) {
                return port;
            }
        }
    }

    private ClusterConfig config(int port, Optional<MirrorConfig> mirror, Path state) {
        Map<String, String> nodes = new LinkedHashMap<>();
        nodes.put("a", A_PUBLIC);
        nodes.put("b", B_PUBLIC);
        return new ClusterConfig(nodes, port, Path.of("unused.key"), Duration.ofMillis(100), true, Duration.ZERO,
                List.of(new VipConfig(VIP_A, 24, "eth0", List.of("a", "b")), new VipConfig(VIP_B, 24, "eth0", List.of("b", "a"))), List.of(), Optional.empty(), mirror, state,
                Duration.ZERO, Map.of("a", A_PRIVATE, "b", B_PRIVATE), Optional.empty());
    }

    private void routers(int port) throws IOException {
        open.add(new NatForwarder(A_PUBLIC, A_PRIVATE, B_PUBLIC, port));
        open.add(new NatForwarder(B_PUBLIC, B_PRIVATE, A_PUBLIC, port));
    }

    private ClusterNode node(ClusterConfig config, String name) throws IOException {
        ClusterNode n = ClusterNode.builder(config, name, ClusterKeys.of(SECRET)).vipDriver(new RecordingVipDriver()).build();
        n.start();
        open.add(() -> n.stop(Duration.ofSeconds(2)));
        return n;
    }

    private static ClusterStatus.VipStatus vip(ClusterNode n, String vip) {
        return n.status().vips().stream().filter(v -> v.vip().equals(vip)).findFirst().orElseThrow();
    }

    /** The holder of each VIP sends its adverts; the other must hear them and stay backup. */
    private static boolean eachHearsTheOther(ClusterNode a, ClusterNode b) {
        ClusterStatus.PeerStatus aSeenByB = vip(b, VIP_A).peers().get("a");
        ClusterStatus.PeerStatus bSeenByA = vip(a, VIP_B).peers().get("b");
        return "MASTER".equals(vip(a, VIP_A).state()) && "BACKUP".equals(vip(b, VIP_A).state())
                && "MASTER".equals(vip(b, VIP_B).state()) && "BACKUP".equals(vip(a, VIP_B).state())
                && aSeenByB != null && aSeenByB.master() && aSeenByB.ageMillis() < 1000
                && bSeenByA != null && bSeenByA.master() && bSeenByA.ageMillis() < 1000;
    }

    @Test
    void advertsCrossBothNatsAndEachLessPreferredNodeStaysBackup() throws Exception {
        int port = freePort();
        routers(port);
        ClusterNode a = node(config(port, Optional.empty(), dir.resolve("state-a")), "a");
        ClusterNode b = node(config(port, Optional.empty(), dir.resolve("state-b")), "b");
        // Each hears the other: a's adverts reach b through b's router, b's reach a through a's.
        await().atMost(10, TimeUnit.SECONDS).until(() -> eachHearsTheOther(a, b));
        // Still so a while later: the adverts keep flowing rather than one getting through.
        await().pollDelay(Duration.ofSeconds(1)).atMost(10, TimeUnit.SECONDS).until(() -> eachHearsTheOther(a, b));
    }

    private Mirror mirror(int port, String name) throws IOException {
        Path root = dir.resolve(name);
        Path www = root.resolve("www");
        Files.createDirectories(www);
        Path conf = root.resolve("tandem.yaml");
        Files.writeString(conf, "# the same on both nodes\n");
        MirrorConfig mc = new MirrorConfig(List.of(conf, www), Duration.ofSeconds(30), Duration.ofMillis(20),
                dir.resolve(name + "-mirror-state"), Duration.ofSeconds(10));
        Mirror m = Mirror.builder(config(port, Optional.of(mc), dir.resolve(name + "-state")), name, ClusterKeys.of(SECRET))
                .configFile(conf, (file, content) -> List.of())
                .build();
        m.start();
        open.add(m);
        return m;
    }

    @Test
    void editsFlowBothWaysThroughBothNats() throws Exception {
        int port = freePort();
        routers(port);
        mirror(port, "a");
        mirror(port, "b");
        Path aWww = dir.resolve("a").resolve("www");
        Path bWww = dir.resolve("b").resolve("www");
        Files.writeString(aWww.resolve("from-a.html"), "written in region a");
        await().atMost(30, TimeUnit.SECONDS).until(() -> Files.exists(bWww.resolve("from-a.html")));
        assertEquals("written in region a", Files.readString(bWww.resolve("from-a.html")));
        Files.writeString(bWww.resolve("from-b.html"), "written in region b");
        await().atMost(30, TimeUnit.SECONDS).until(() -> Files.exists(aWww.resolve("from-b.html")));
        assertEquals("written in region b", Files.readString(aWww.resolve("from-b.html")));
    }
}
