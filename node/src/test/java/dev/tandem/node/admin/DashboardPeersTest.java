package dev.tandem.node.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.AdminConfig;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.HostPort;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Where a node finds its peers' admin listeners. */
class DashboardPeersTest {

    private static final ClusterConfig CLUSTER = cluster();

    private static ClusterConfig cluster() {
        Map<String, String> nodes = new LinkedHashMap<>();
        nodes.put("lb1", "10.0.0.11");
        nodes.put("lb2", "10.0.0.12");
        nodes.put("lb3", "fd00::13");
        return new ClusterConfig(nodes, 7400, Path.of("cluster.key"), Duration.ofMillis(100), true, Duration.ZERO,
                List.of(), List.of(), Optional.empty(), Optional.empty());
    }

    @Test
    void onEveryAddressThePeersAreAtTheirClusterAddressAndThisPort() {
        List<PeerFanOut.Peer> peers = DashboardApi.peers(CLUSTER, "lb1", new HostPort("0.0.0.0", 9090), 9090);
        assertEquals(List.of("lb2", "lb3"), peers.stream().map(PeerFanOut.Peer::name).toList());
        assertEquals("10.0.0.12:9090", peers.get(0).address());
        assertEquals("[fd00::13]:9090", peers.get(1).address());
    }

    @Test
    void onItsOwnClusterAddressToo() {
        assertEquals("10.0.0.11:9191",
                DashboardApi.peers(CLUSTER, "lb2", new HostPort("10.0.0.12", 0), 9191).get(0).address());
    }

    @Test
    void onLoopbackThePeersCannotBeAskedAndThePageSaysWhy() {
        PeerFanOut.Peer p = DashboardApi.peers(CLUSTER, "lb1", new HostPort("127.0.0.1", 9090), 9090).get(0);
        assertNull(p.address());
        assertTrue(p.unreachable().contains("bind it to 0.0.0.0"), p.unreachable());
    }

    @Test
    void aPeerWithItsOwnAdminBindIsAskedWhereThatSays() {
        // lb2 binds its own address on port 9292, lb3 a private one no peer reaches; lb1 the shared loopback.
        AdminConfig admin = new AdminConfig(new HostPort("127.0.0.1", 9090), Optional.of("t"),
                Map.of("lb2", new HostPort("10.0.0.12", 9292), "lb3", new HostPort("fd00::99", 9090)));
        List<PeerFanOut.Peer> peers = DashboardApi.peers(CLUSTER, "lb1", admin, 9090);
        assertEquals("10.0.0.12:9292", peers.get(0).address());
        assertNull(peers.get(1).address());
        assertTrue(peers.get(1).unreachable().contains("admin.per_node.lb3.bind"), peers.get(1).unreachable());
        // From lb2: lb1 has no entry of its own and the shared bind is loopback.
        assertNull(DashboardApi.peers(CLUSTER, "lb2", admin, 9292).get(0).address());
    }
}
