package dev.tandem.node.wiring;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.transport.Transport;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two running nodes mirroring their config (127.0.0.43 and .44): a config edited on a that sets
 * {@code cluster.notify} is held on b (not written, not reloaded, shown and counted), and so is every later
 * edit of a, until the same change is made on b by hand; then a's edits apply on b again.
 */
class MirrorProtectedSettingsTest {

    @TempDir
    Path dir;
    private TestBackend one;
    private TestBackend two;
    private int port;
    private Node a;
    private Node b;

    @BeforeEach
    void backends() throws Exception {
        one = TestBackend.start("one");
        two = TestBackend.start("two");
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        for (String n : List.of("a", "b")) {
            Files.createDirectories(dir.resolve(n).resolve("www"));
            Files.write(dir.resolve(n).resolve("cluster.key"), "0123456789abcdef0123456789abcdef".getBytes());
            Path script = dir.resolve(n).resolve("notify.sh");
            Files.writeString(script, "#!/bin/sh\nexit 0\n");
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @AfterEach
    void stop() {
        for (Node n : new Node[]{a, b}) {
            if (n != null) {
                n.stop(Duration.ZERO);
            }
        }
        one.close();
        two.close();
    }

    private String config(TestBackend backend, String notify) {
        return TestNodes.config("- { address: \"" + backend.address() + "\" }", """
                cluster:
                  nodes: {a: 127.0.0.43, b: 127.0.0.44}
                  port: %d
                  secret_file: cluster.key
                  state_dir: cluster-state
                %s  mirror:
                    paths: [tandem.yaml, www]
                    state_dir: state
                    debounce: 20ms
                """.formatted(port, notify));
    }

    private static String get(Node n) throws Exception {
        return TestNodes.get(TestNodes.proxyUrl(n, "/")).body();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> mirror(Node n) throws Exception {
        return (Map<String, Object>) TestNodes.status(n).get("mirror");
    }

    private Node start(String name, String yaml) throws Exception {
        Path file = dir.resolve(name).resolve("tandem.yaml");
        Files.writeString(file, yaml);
        return Node.start(file, Transport.detect(), name);
    }

    @Test
    void aReceivedConfigThatSetsNotifyIsHeldUntilTheSameChangeIsMadeHere() throws Exception {
        String plain = config(one, "");
        a = start("a", plain);
        b = start("b", plain);
        await().atMost(20, TimeUnit.SECONDS).until(() -> mirror(a).get("first_sync") != null
                && mirror(b).get("first_sync") != null);

        String withNotify = config(two, "  notify: notify.sh\n");
        TestNodes.replaceFile(dir.resolve("a/tandem.yaml"), withNotify);
        // a runs its own edit (the cluster section at its next restart); b holds it
        await().atMost(10, TimeUnit.SECONDS).until(() -> get(a).equals("two"));
        await().atMost(10, TimeUnit.SECONDS).until(() -> mirror(b).get("config_refused") != null);
        Map<?, ?> refused = (Map<?, ?>) mirror(b).get("config_refused");
        assertTrue(refused.toString().contains("cluster.notify") && refused.toString().contains("held until the same"
                + " change is made on this node by hand"), refused.toString());
        assertFalse(Files.readString(dir.resolve("b/tandem.yaml")).contains("notify"), "not written on b");
        assertTrue(get(b).equals("one"), "b runs what it ran");
        String metrics = TestNodes.get(TestNodes.adminUrl(b, "/metrics")).body();
        assertTrue(metrics.contains("tandem_mirror_rejected_total{reason=\"invalid_config_received\"} 1.0"), metrics);

        // The operator confirms on b: the same change, made here by hand. a's next edit then applies on b.
        TestNodes.replaceFile(dir.resolve("b/tandem.yaml"), withNotify);
        await().atMost(10, TimeUnit.SECONDS).until(() -> get(b).equals("two"));
        TestNodes.replaceFile(dir.resolve("a/tandem.yaml"), withNotify.replace("debounce: 20ms", "debounce: 30ms")
                .replace(two.address(), one.address()));
        await().atMost(10, TimeUnit.SECONDS).until(() -> get(b).equals("one")
                && Files.readString(dir.resolve("b/tandem.yaml")).contains("30ms"));
    }
}
