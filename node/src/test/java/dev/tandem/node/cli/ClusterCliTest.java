package dev.tandem.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.ClusterStatus;
import dev.tandem.node.admin.ClusterAdmin;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the cluster shows on the command line: tandem check, status, handover's progress, an unreachable node. */
class ClusterCliTest {

    @TempDir
    Path dir;

    private static ClusterStatus status(boolean maintenance, List<String> pending, String state, String holder,
                                        boolean present) {
        Map<String, ClusterStatus.PeerStatus> peers = new LinkedHashMap<>();
        peers.put("lb2", new ClusterStatus.PeerStatus(240, holder.equals("lb2"), true, false, false, 12));
        return new ClusterStatus("lb1", maintenance, pending, true, "", true, List.of("10.0.0.1"),
                List.of(new ClusterStatus.VipStatus("203.0.113.10", 24, "eth0", true, state, holder, 250, peers,
                        Instant.parse("2026-01-02T03:04:05Z"), "handover", present, state.equals("MASTER"))));
    }

    @Test
    void statusShowsOneRowPerVip() {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("cluster", ClusterAdmin.tree(status(true, List.of(), "BACKUP", "lb2", false)));
        String text = StatusCommand.StatusTable.render(tree);
        assertTrue(text.contains("cluster   node lb1, MAINTENANCE (out of elections until tandem resume)"), text);
        assertTrue(text.contains("203.0.113.10/24 eth0  BACKUP  lb2"), text);
        assertTrue(text.contains("lb2=240"), text);
        assertTrue(text.contains("handover 2026-01-02T03:04:05Z"), text);
    }

    @Test
    void handoverProgressSaysWhatItWaitsFor() {
        assertEquals("  203.0.113.10: MASTER, held by lb1 (waiting for a peer to take it and announce it)\n",
                ClusterCommand.progress(ClusterAdmin.tree(status(true, List.of("203.0.113.10"), "MASTER", "lb1", true))));
        assertEquals("  203.0.113.10: BACKUP, held by lb2 (handed over; draining before the address goes)\n",
                ClusterCommand.progress(ClusterAdmin.tree(status(true, List.of("203.0.113.10"), "BACKUP", "lb2", true))));
        assertEquals("  203.0.113.10: BACKUP, held by lb2\n",
                ClusterCommand.progress(ClusterAdmin.tree(status(true, List.of(), "BACKUP", "lb2", false))));
    }

    @Test
    void handoverWithoutANodeToAskFailsClearly() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[]{"handover", "--admin", "127.0.0.1:" + port}, new PrintStream(out), new PrintStream(err));
        assertEquals(Main.INVALID, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("tandem handover: cannot reach the admin listener at 127.0.0.1:"
                + port), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void checkRefusesAShortSecretFileAtItsLine() throws Exception {
        Path key = dir.resolve("cluster.key");
        Files.writeString(key, "short\n");
        Path config = dir.resolve("tandem.yaml");
        Files.writeString(config, """
                listeners: [{name: http, bind: "127.0.0.1:0"}]
                cluster:
                  nodes: {lb1: 10.0.0.11}
                  secret_file: cluster.key
                """);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[]{"check", config.toString()}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err));
        assertEquals(Main.INVALID, code);
        assertEquals(config + ":4:16: cluster.secret_file: " + key + ": 6 bytes (expected: at least 32 random bytes)\n",
                err.toString(StandardCharsets.UTF_8));
    }
}
