package dev.tandem.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code cluster.nodes} in the long form (a bind address beside the dialled one) and {@code cluster.dns}. */
class NodeAddressAndDnsConfigTest {

    private static final Path BASE = Path.of("/etc/tandem");

    private static ClusterConfig cluster(String yaml) throws ConfigException {
        return ConfigLoader.parse("t.yaml", ConfigLoaderTest.MINIMAL + yaml, BASE).cluster().orElseThrow();
    }

    private static List<String> errors(String yaml) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("t.yaml", ConfigLoaderTest.MINIMAL + yaml, BASE));
        return e.errors().stream().map(ConfigError::toString).toList();
    }

    @Test
    void longAndShortFormsMix() throws ConfigException {
        ClusterConfig c = cluster("""
                cluster:
                  nodes:
                    lb1: { address: 198.51.100.7, bind: 10.0.0.11 }
                    lb2: 203.0.113.9
                    lb3: { address: 203.0.113.10 }
                  secret_file: k
                """);
        assertEquals(Map.of("lb1", "198.51.100.7", "lb2", "203.0.113.9", "lb3", "203.0.113.10"), c.nodes());
        assertEquals(Map.of("lb1", "10.0.0.11"), c.binds());
        assertEquals("10.0.0.11", c.bind("lb1"));
        assertEquals("203.0.113.9", c.bind("lb2"));
        assertEquals(List.of("198.51.100.7", "10.0.0.11"), c.addressesOf("lb1"));
        assertEquals(List.of("203.0.113.9"), c.addressesOf("lb2"));
    }

    @Test
    void twoRegionsMayBindTheSamePrivateAddressButNotDialOne() {
        assertEquals(List.of("t.yaml:7:21: cluster.nodes.lb2.address: '198.51.100.7' (expected: an address not"
                        + " already used by cluster.nodes.lb1.address)"),
                errors("""
                        cluster:
                          nodes:
                            lb1: { address: 198.51.100.7, bind: 10.0.0.11 }
                            lb2: { address: 198.51.100.7, bind: 10.0.0.11 }
                          secret_file: k
                        """));
    }

    @Test
    void longFormMistakes() {
        List<String> e = errors("""
                cluster:
                  nodes:
                    lb1: { bind: 10.0.0.11 }
                    lb2: { address: 10.0.0.12, bnd: 10.0.0.1 }
                    lb3: { address: 10.0.0.13, bind: 'not an address' }
                  secret_file: k
                """);
        assertEquals(3, e.size(), e.toString());
        assertTrue(e.get(0).contains("cluster.nodes.lb1.address: missing"), e.get(0));
        assertTrue(e.get(1).contains("unknown key 'bnd' (did you mean 'bind'?)"), e.get(1));
        assertTrue(e.get(2).contains("cluster.nodes.lb3.bind: 'not an address'"), e.get(2));
    }

    private static final String DNS = """
            cluster:
              nodes:
                lb1: { address: 198.51.100.7, bind: 10.0.0.11 }
                lb2: 203.0.113.9
              secret_file: k
              witnesses: [192.0.2.1, "tcp:192.0.2.2:22"]
              dns:
                server: 192.0.2.53:53
                zone: Example.com.
                tsig: { name: tandem-key., algorithm: hmac-sha256, secret_file: tsig.key }
                hold_down: 30s
                records:
                  - { name: www.example.com., ttl: 30s, mode: failover, prefer: [lb1, lb2] }
                  - { name: all.example.com, ttl: 5s, mode: multi }
            """;

    @Test
    void theIssuesShapeBinds() throws ConfigException {
        DnsConfig d = cluster(DNS).dns().orElseThrow();
        assertEquals(new HostPort("192.0.2.53", 53), d.server());
        assertEquals("example.com.", d.zone());
        assertEquals(new DnsConfig.Tsig("tandem-key.", "hmac-sha256", Path.of("/etc/tandem/tsig.key")), d.tsig());
        assertEquals(Duration.ofSeconds(30), d.holdDown());
        assertEquals(List.of(
                new DnsConfig.Record("www.example.com.", Duration.ofSeconds(30), DnsConfig.Mode.FAILOVER, List.of("lb1", "lb2")),
                new DnsConfig.Record("all.example.com.", Duration.ofSeconds(5), DnsConfig.Mode.MULTI, List.of("lb1", "lb2"))),
                d.records());
    }

    @Test
    void dnsMistakesAreEachReportedAtTheirValue() {
        List<String> e = errors("""
                cluster:
                  nodes: {lb1: 10.0.0.1, lb2: 10.0.0.2}
                  secret_file: k
                  dns:
                    server: ns.example.com
                    zone: 'exa mple.com.'
                    tsig: { name: k., algorithm: hmac-sha3, secret_file: t }
                    records:
                      - { name: www.other.org., ttl: 0s }
                      - { name: a.example.com., ttl: 2d, mode: anycast, prefer: [lb9] }
                      - { name: b.example.com., ttl: 1500ms }
                """);
        assertEquals(List.of(
                "t.yaml:8:13: cluster.dns.server: 'ns.example.com' (expected: an IP address with an optional port, e.g. 192.0.2.53:53)",
                "t.yaml:9:11: cluster.dns.zone: 'exa mple.com.' (expected: a domain name of labels of letters, digits and hyphens, each 1-63 long, such as example.com.)",
                "t.yaml:10:34: cluster.dns.tsig.algorithm: 'hmac-sha3' (expected: hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1 or hmac-md5)",
                "t.yaml:12:38: cluster.dns.records[0].ttl: '0s' (expected: whole seconds from 1s to 1d (86400s))",
                "t.yaml:13:38: cluster.dns.records[1].ttl: '2d' (expected: whole seconds from 1s to 1d (86400s))",
                "t.yaml:13:48: cluster.dns.records[1].mode: 'anycast' (expected: failover or multi)",
                "t.yaml:13:66: cluster.dns.records[1].prefer[0]: 'lb9' (expected: one of the nodes: lb1, lb2)",
                "t.yaml:14:38: cluster.dns.records[2].ttl: '1500ms' (expected: whole seconds from 1s to 1d (86400s))"),
                e);
    }

    @Test
    void aRecordOutsideTheZoneIsRefused() {
        List<String> e = errors("""
                cluster:
                  nodes: {lb1: 10.0.0.1}
                  secret_file: k
                  dns:
                    server: 127.0.0.1
                    zone: example.com.
                    tsig: { name: k., secret_file: t }
                    records:
                      - { name: www.other.org. }
                      - { name: www.other.org. }
                """);
        assertEquals(List.of(
                "t.yaml:12:17: cluster.dns.records[0].name: 'www.other.org.' (expected: a name inside the zone example.com.)",
                "t.yaml:13:17: cluster.dns.records[1].name: 'www.other.org.' (expected: a name inside the zone example.com.)",
                "t.yaml:13:17: cluster.dns.records[1].name: 'www.other.org.' (expected: a name not already used by cluster.dns.records[0].name)"),
                e);
    }
}
