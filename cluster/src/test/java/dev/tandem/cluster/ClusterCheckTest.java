package dev.tandem.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.ConfigError;
import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterCheckTest {

    @TempDir
    Path dir;

    private Snapshot snapshot(String extra) throws Exception {
        Path file = dir.resolve("tandem.yaml");
        Files.writeString(file, """
                listeners:
                  - name: http
                    bind: :80
                cluster:
                  nodes: {lb1: 10.0.0.11, lb2: 10.0.0.12}
                  secret_file: cluster.key
                """ + extra);
        return ConfigLoader.load(file, 1);
    }

    private List<String> errors(Snapshot s) {
        return new ClusterCheck().check(s).stream().map(ConfigError::toString).toList();
    }

    @Test
    void aMissingOrShortSecretFileIsAnErrorAtItsValue() throws Exception {
        Snapshot s = snapshot("");
        Path yaml = dir.resolve("tandem.yaml");
        Path key = dir.resolve("cluster.key");
        assertEquals(List.of(yaml + ":6:16: cluster.secret_file: " + key + ": no such file (expected: a file of at least 32 "
                + "random bytes, e.g. made with: head -c 32 /dev/urandom > " + key + ")"), errors(s));
        Files.writeString(key, "short");
        assertEquals(List.of(yaml + ":6:16: cluster.secret_file: " + key + ": 5 bytes (expected: at least 32 random bytes)"),
                errors(s));
        Files.write(key, new byte[32]);
        assertEquals(List.of(), errors(s));
    }

    @Test
    void anUnreadableSecretFileIsAnError() throws Exception {
        Path key = dir.resolve("cluster.key");
        Files.write(key, new byte[32]);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("---------"));
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.isReadable(key), "root reads any file");
        assertEquals(1, errors(snapshot("")).size());
    }

    @Test
    void theNotifyScriptMustBeExecutable() throws Exception {
        Files.write(dir.resolve("cluster.key"), new byte[32]);
        Path script = dir.resolve("notify.sh");
        Files.writeString(script, "#!/bin/sh\n");
        Snapshot s = snapshot("  notify: notify.sh\n");
        assertEquals(List.of(dir.resolve("tandem.yaml") + ":7:11: cluster.notify: " + script
                + ": not executable (expected: an executable script; chmod +x it)"), errors(s));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(List.of(), errors(s));
    }

    @Test
    void theTsigKeyFileMustHoldABase64Secret() throws Exception {
        Files.write(dir.resolve("cluster.key"), new byte[32]);
        Snapshot s = snapshot("""
                  dns:
                    server: 127.0.0.1:53
                    zone: example.com.
                    tsig: { name: tandem-key., secret_file: tsig.key }
                    records: [{ name: www.example.com. }]
                """);
        Path yaml = dir.resolve("tandem.yaml");
        Path key = dir.resolve("tsig.key");
        assertEquals(List.of(yaml + ":10:45: cluster.dns.tsig.secret_file: " + key
                + ": no such file (expected: a file holding the TSIG key's base64 secret)"), errors(s));
        Files.writeString(key, "not base64 !\n");
        assertEquals(1, errors(s).size(), errors(s).toString());
        // As knot's keymgr writes it.
        Files.writeString(key, "key:\n  - id: tandem-key.\n    algorithm: hmac-sha256\n    secret: c2VjcmV0c2VjcmV0c2VjcmV0\n");
        assertEquals(List.of(), errors(s));
        // As BIND's tsig-keygen writes it.
        Files.writeString(key, "key \"tandem-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0c2VjcmV0\";\n};\n");
        assertEquals(List.of(), errors(s));
    }

    @Test
    void noClusterNothingToCheck() throws Exception {
        Path file = dir.resolve("plain.yaml");
        Files.writeString(file, "listeners: [{name: http, bind: ':80'}]\n");
        assertEquals(List.of(), new ClusterCheck().check(ConfigLoader.load(file, 1)));
    }

    @Test
    void theLocalNodeIsTheOneNamedOrTheOneWithALocalAddress() throws Exception {
        var cluster = snapshot("").config().cluster().orElseThrow();
        assertEquals("lb2", LocalNode.pick(cluster, Optional.of("lb2"), Set.of()));
        assertThrows(IllegalArgumentException.class, () -> LocalNode.pick(cluster, Optional.of("lb9"), Set.of()));
        assertEquals("lb1", LocalNode.pick(cluster, Optional.empty(), Set.of(InetAddress.getByName("10.0.0.11"))));
        var none = assertThrows(IllegalArgumentException.class, () -> LocalNode.pick(cluster, Optional.empty(), Set.of()));
        assertEquals("no node of cluster.nodes ({lb1=10.0.0.11, lb2=10.0.0.12}) has an address of this host: name it "
                + "with --node NAME", none.getMessage());
        var both = assertThrows(IllegalArgumentException.class, () -> LocalNode.pick(cluster, Optional.empty(),
                Set.of(InetAddress.getByName("10.0.0.11"), InetAddress.getByName("10.0.0.12"))));
        assertEquals("nodes lb1, lb2 all have an address of this host: name this one with --node NAME", both.getMessage());
    }

    @Test
    void aNodeBehindNatIsFoundByTheAddressItBinds() throws Exception {
        Map<String, String> nodes = new java.util.LinkedHashMap<>();
        nodes.put("lb1", "198.51.100.7");
        nodes.put("lb2", "203.0.113.9");
        ClusterConfig cluster = new ClusterConfig(nodes, 7400, Path.of("k"), Duration.ofSeconds(1), true, Duration.ZERO,
                List.of(), List.of(), Optional.empty(), Optional.empty(), Path.of("/var/lib/tandem"), Duration.ZERO,
                Map.of("lb1", "10.0.0.11", "lb2", "10.0.0.12"), Optional.empty());
        // The public address is the router's: only the private one is on this host.
        assertEquals("lb1", LocalNode.pick(cluster, Optional.empty(), Set.of(InetAddress.getByName("10.0.0.11"))));
        assertEquals("lb2", LocalNode.pick(cluster, Optional.empty(), Set.of(InetAddress.getByName("10.0.0.12"))));
    }
}
