package dev.tandem.node.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.node.wiring.Node;
import dev.tandem.node.wiring.TestNodes;
import dev.tandem.proxy.transport.Transport;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code admin.per_node}: one file, each node's admin listener on its own address, also after a reload. */
class AdminPerNodeBindTest {

    private static String yaml(int udp, String own) {
        return TestNodes.config("- { address: \"127.0.0.1:1\" }", """
                cluster:
                  nodes: {a: 127.0.0.41, b: 127.0.0.42}
                  port: %d
                  secret_file: cluster.key
                  state_dir: cluster-state
                """.formatted(udp))
                .replaceFirst("admin:\n  bind: 127\\.0\\.0\\.1:0",
                        "admin:\n  bind: 127.0.0.1:0\n  token: t0ken\n  per_node:\n    a: { bind: \"" + own + ":0\" }");
    }

    @Test
    void eachNodeBindsItsOwnAdminAddress(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("cluster.key"), "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        int udp;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            udp = s.getLocalPort();
        }
        Path file = dir.resolve("tandem.yaml");
        Files.writeString(file, yaml(udp, "127.0.0.41"));
        Node a = Node.start(file, Transport.detect(), "a");
        try {
            assertEquals("127.0.0.41", a.adminAddress().getAddress().getHostAddress());
            var r = TestNodes.send("GET", "http://127.0.0.41:" + a.adminAddress().getPort() + "/status", null,
                    Map.of("Authorization", "Bearer t0ken"));
            assertEquals(200, r.statusCode(), r.body());
            // A reload that changes this node's entry moves its listener.
            Files.writeString(file, yaml(udp, "127.0.0.43"));
            a.reload("api").get();
            assertEquals("127.0.0.43", a.adminAddress().getAddress().getHostAddress());
        } finally {
            a.stop(Duration.ZERO);
        }
    }
}
