package dev.tandem.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code listeners[].per_node.NODE.bind}: one mirrored file, each node binding its own address. */
class PerNodeBindConfigTest {

    private static final String CLUSTER = """
            cluster:
              nodes:
                lb1: { address: 198.51.100.7, bind: 10.0.0.11 }
                lb2: 203.0.113.9
              secret_file: k
            """;

    private static ListenerConfig listener(String yaml) throws ConfigException {
        return ConfigLoader.parse("t.yaml", yaml, Path.of("/etc/tandem")).listeners().get(0);
    }

    private static List<String> errors(String yaml) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("t.yaml", yaml, Path.of("/etc/tandem")));
        return e.errors().stream().map(ConfigError::toString).toList();
    }

    @Test
    void aNodeWithItsOwnBindUsesItAndTheOthersTheSharedOne() throws ConfigException {
        ListenerConfig l = listener("""
                listeners:
                  - name: http
                    bind: 0.0.0.0:80
                    per_node:
                      lb1: { bind: "10.0.0.11:80" }
                """ + CLUSTER);
        assertEquals(Map.of("lb1", new HostPort("10.0.0.11", 80)), l.perNodeBind());
        assertEquals(new HostPort("10.0.0.11", 80), l.forNode("lb1").bind());
        assertEquals(new HostPort("0.0.0.0", 80), l.forNode("lb2").bind());
        assertEquals(Map.of(), l.forNode("lb1").perNodeBind());
    }

    @Test
    void withoutPerNodeTheListenerIsTheSameForEveryNode() throws ConfigException {
        ListenerConfig l = listener("""
                listeners:
                  - { name: http, bind: "0.0.0.0:80" }
                """ + CLUSTER);
        assertSame(l, l.forNode("lb1"));
    }

    @Test
    void anUnknownNodeABadAddressAndNoClusterAreReportedAtTheirPlace() {
        List<String> e = errors("""
                listeners:
                  - name: http
                    bind: 0.0.0.0:80
                    per_node:
                      lbl: { bind: "10.0.0.11:80" }
                      lb2: { bind: "10.0.0.12:99999" }
                """ + CLUSTER);
        assertTrue(e.stream().anyMatch(x -> x.startsWith("t.yaml:5:12: listeners[0].per_node.lbl: ") && x.contains("'lbl' is not a node of cluster.nodes")
                && x.contains("did you mean 'lb1'?")), e.toString());
        assertTrue(e.stream().anyMatch(x -> x.startsWith("t.yaml:6:20: listeners[0].per_node.lb2.bind: ")), e.toString());
        List<String> alone = errors("""
                listeners:
                  - name: http
                    bind: 0.0.0.0:80
                    per_node:
                      lb1: { bind: "10.0.0.11:80" }
                """);
        assertTrue(alone.stream().anyMatch(x -> x.contains("per-node bind addresses need the nodes named")), alone.toString());
    }

    private static Config config(String yaml) throws ConfigException {
        return ConfigLoader.parse("t.yaml", yaml, Path.of("/etc/tandem"));
    }

    @Test
    void theAdminListenerHasPerNodeBindsToo() throws ConfigException {
        AdminConfig a = config("""
                listeners:
                  - { name: http, bind: "0.0.0.0:80" }
                admin:
                  bind: 127.0.0.1:9090
                  token: s3cret
                  per_node:
                    lb1: { bind: "10.0.0.11:9090" }
                """ + CLUSTER).admin();
        assertEquals(new HostPort("10.0.0.11", 9090), a.bindFor("lb1"));
        assertEquals(new HostPort("127.0.0.1", 9090), a.bindFor("lb2"));
        assertEquals(Map.of("lb1", new HostPort("10.0.0.11", 9090)), a.perNodeBind());
        assertEquals(new HostPort("127.0.0.1", 9090), config("""
                listeners:
                  - { name: http, bind: "0.0.0.0:80" }
                """ + CLUSTER).admin().bindFor("lb1"));
    }

    @Test
    void anAdminPerNodeBindOffLoopbackNeedsATokenAndAKnownNode() {
        List<String> e = errors("""
                listeners:
                  - { name: http, bind: "0.0.0.0:80" }
                admin:
                  per_node:
                    lb1: { bind: "10.0.0.11:9090" }
                    lb9: { bind: "127.0.0.1:9091" }
                """ + CLUSTER);
        assertEquals(List.of(
                "t.yaml:5:18: admin.per_node.lb1.bind: '10.0.0.11:9090' (expected: a loopback address such as"
                        + " 127.0.0.1:9090, or an admin.token)",
                "t.yaml:6:10: admin.per_node.lb9: 'lb9' is not a node of cluster.nodes (did you mean 'lb1'?)"), e);
    }

    @Test
    void twoListenersBindingTheSameAddressOnOneNodeAreRefused() {
        List<String> e = errors("""
                listeners:
                  - name: http
                    bind: 0.0.0.0:80
                  - name: alt
                    bind: 0.0.0.0:8080
                    per_node:
                      lb1: { bind: "10.0.0.11:80" }
                  - name: api
                    bind: 0.0.0.0:8081
                    per_node:
                      lb2: { bind: "203.0.113.9:8080" }
                """ + CLUSTER);
        assertEquals(List.of(
                "t.yaml:7:20: listeners[1].per_node.lb1.bind: '10.0.0.11:80' (expected: an address not already bound"
                        + " on node lb1 by listeners[0].bind (0.0.0.0:80 and 10.0.0.11:80 take the same port))",
                "t.yaml:11:20: listeners[2].per_node.lb2.bind: '203.0.113.9:8080' (expected: an address not already"
                        + " bound on node lb2 by listeners[1].bind (0.0.0.0:8080 and 203.0.113.9:8080 take the same"
                        + " port))"), e);
    }

    @Test
    void theSameAddressTwiceOnOneNodeByPerNodeBindsIsRefusedOnceAndTheAdminListenerCounts() {
        List<String> e = errors("""
                listeners:
                  - name: http
                    bind: 0.0.0.0:80
                    per_node:
                      lb1: { bind: "10.0.0.11:80" }
                  - name: alt
                    bind: 0.0.0.0:8080
                    per_node:
                      lb1: { bind: "10.0.0.11:80" }
                admin:
                  token: s3cret
                  per_node:
                    lb2: { bind: "0.0.0.0:8080" }
                """ + CLUSTER);
        assertEquals(List.of(
                "t.yaml:9:20: listeners[1].per_node.lb1.bind: '10.0.0.11:80' (expected: an address not already bound"
                        + " on node lb1 by listeners[0].per_node.lb1.bind)",
                "t.yaml:13:18: admin.per_node.lb2.bind: '0.0.0.0:8080' (expected: an address not already bound on"
                        + " node lb2 by listeners[1].bind)"), e);
        // The admin listener's default address counts, reported where it clashes.
        assertEquals(List.of("t.yaml:3:11: listeners[0].bind: '0.0.0.0:9090' (expected: an address not already bound"
                + " by admin.bind (default 127.0.0.1:9090) (0.0.0.0:9090 and 127.0.0.1:9090 take the same port))"),
                errors("""
                        listeners:
                          - name: http
                            bind: 0.0.0.0:9090
                        """));
    }

    @Test
    void listenersThatShareAPortOnNoNodeAreAccepted() throws ConfigException {
        // Shared, 0.0.0.0:80 and 10.0.0.99:80 would clash; but every node binds its own address for the first.
        Config c = config("""
                listeners:
                  - name: http
                    bind: 0.0.0.0:80
                    per_node:
                      lb1: { bind: "10.0.0.11:80" }
                      lb2: { bind: "10.1.0.12:80" }
                  - name: other
                    bind: 10.0.0.99:80
                admin:
                  token: s3cret
                  bind: 0.0.0.0:9090
                  per_node:
                    lb1: { bind: "10.0.0.11:9090" }
                """ + CLUSTER);
        assertEquals(2, c.listeners().size());
    }
}
