package dev.tandem.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code listeners[].tls.per_node}: one mirrored file, a certificate per node (a region's own). */
class PerNodeTlsConfigTest {

    private static final Path BASE = Path.of("/etc/tandem");

    private static final String CLUSTER = """
            cluster:
              nodes:
                lb1: { address: 198.51.100.7, bind: 10.0.0.11 }
                lb2: 203.0.113.9
              secret_file: k
            """;

    private static CertificateConfig pair(String name) {
        return new CertificateConfig(BASE.resolve(name + ".pem"), BASE.resolve(name + ".key"));
    }

    private static TlsConfig tls(String yaml) throws ConfigException {
        return ConfigLoader.parse("t.yaml", yaml, BASE).listeners().get(0).tls().orElseThrow();
    }

    private static List<String> errors(String yaml) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("t.yaml", yaml, BASE));
        return e.errors().stream().map(ConfigError::toString).toList();
    }

    @Test
    void aNodeWithItsOwnEntryServesItAndTheOthersTheSharedList() throws ConfigException {
        TlsConfig tls = tls("""
                listeners:
                  - name: https
                    bind: :443
                    tls:
                      certificates: [{ cert: us.pem, key: us.key }]
                      per_node:
                        lb2: { cert: eu.pem, key: eu.key }
                """ + CLUSTER);
        assertEquals(List.of(pair("us")), tls.certificates());
        assertEquals(Map.of("lb2", List.of(pair("eu"))), tls.perNode());
        assertEquals(new TlsConfig(List.of(pair("us"))), tls.forNode("lb1"));
        assertEquals(new TlsConfig(List.of(pair("eu"))), tls.forNode("lb2"));
        assertEquals(List.of(pair("us"), pair("eu")), tls.allCertificates());
    }

    @Test
    void everyNodeMayHaveItsOwnListWithNoSharedOne() throws ConfigException {
        TlsConfig tls = tls("""
                listeners:
                  - name: https
                    bind: :443
                    tls:
                      per_node:
                        lb1: [{ cert: us.pem, key: us.key }, { cert: us2.pem, key: us2.key }]
                        lb2: [{ cert: eu.pem, key: eu.key }]
                """ + CLUSTER);
        assertEquals(List.of(), tls.certificates());
        assertEquals(List.of(pair("us"), pair("us2")), tls.forNode("lb1").certificates());
        assertEquals(List.of(pair("eu")), tls.forNode("lb2").certificates());
    }

    @Test
    void withoutPerNodeNothingChanges() throws ConfigException {
        TlsConfig tls = tls("""
                listeners:
                  - name: https
                    bind: :443
                    tls: { certificates: [{ cert: us.pem, key: us.key }] }
                """);
        assertEquals(Map.of(), tls.perNode());
        assertEquals(tls, tls.forNode("lb1"));
    }

    @Test
    void anUnknownNodeIsPlacedAndTheNearestSuggested() {
        assertEquals(List.of(
                        "t.yaml:7:14: listeners[0].tls.per_node.lb3: 'lb3' is not a node of cluster.nodes (did you mean 'lb1'?)",
                        "t.yaml:8:20: listeners[0].tls.per_node.frankfurt: 'frankfurt' is not a node of cluster.nodes"
                                + " (expected: one of lb1, lb2)"),
                errors("""
                        listeners:
                          - name: https
                            bind: :443
                            tls:
                              certificates: [{ cert: us.pem, key: us.key }]
                              per_node:
                                lb3: { cert: eu.pem, key: eu.key }
                                frankfurt: { cert: eu.pem, key: eu.key }
                        """ + CLUSTER));
    }

    @Test
    void aNodeLeftWithoutCertificatesIsAnError() {
        assertEquals(List.of("t.yaml:5:7: listeners[0].tls: no certificates for node lb1"
                        + " (expected: certificates, or a per_node entry for every node)"),
                errors("""
                        listeners:
                          - name: https
                            bind: :443
                            tls:
                              per_node:
                                lb2: { cert: eu.pem, key: eu.key }
                        """ + CLUSTER));
    }

    @Test
    void perNodeNeedsTheNodesNamed() {
        assertEquals(List.of("t.yaml:6:9: listeners[0].tls.per_node: per-node certificates need the nodes named"
                        + " (expected: a cluster section with nodes)"),
                errors("""
                        listeners:
                          - name: https
                            bind: :443
                            tls:
                              per_node:
                                lb2: { cert: eu.pem, key: eu.key }
                        """));
    }

    @Test
    void brokenEntriesArePlacedLikeTheSharedList() {
        assertEquals(List.of(
                        "t.yaml:7:14: listeners[0].tls.per_node.lb1[0].key: missing (expected: the path of a PEM private key)",
                        "t.yaml:8:14: listeners[0].tls.per_node.lb2: [] (expected: at least one certificate)"),
                errors("""
                        listeners:
                          - name: https
                            bind: :443
                            tls:
                              certificates: [{ cert: us.pem, key: us.key }]
                              per_node:
                                lb1: { cert: eu.pem }
                                lb2: []
                        """ + CLUSTER));
    }
}
