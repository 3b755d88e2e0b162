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
}
