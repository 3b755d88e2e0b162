package dev.tandem.node.wiring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProtectedSettingsTest {

    private static final String BASE = """
            listeners:
              - name: http
                bind: 127.0.0.1:0
            upstreams:
              web:
                servers: [{address: "127.0.0.1:8000"}]
            sites:
              - hosts: ["*"]
                upstream: web
            cluster:
              nodes: {a: 10.0.0.11, b: 10.0.0.12}
              secret_file: /etc/tandem/cluster.key
            %s  mirror:
                paths: [/etc/tandem/tandem.yaml, /var/www]
            """;

    private static Snapshot parse(String yaml) throws Exception {
        return ConfigLoader.fromBytes("/etc/tandem/tandem.yaml", yaml.getBytes(StandardCharsets.UTF_8),
                Path.of("/etc/tandem"), 0);
    }

    private static List<String> changes(String here, String received) throws Exception {
        return ProtectedSettings.changes(parse(here).config().cluster(), parse(received));
    }

    @Test
    void otherChangesAreFree() throws Exception {
        String here = BASE.formatted("");
        assertEquals(List.of(), changes(here, here.replace("8000", "8001")));
    }

    @Test
    void aBindAddressAndTheTsigKeyFileAreProtected() throws Exception {
        String here = BASE.formatted("");
        List<String> bind = changes(here, here.replace("a: 10.0.0.11,", "a: { address: 10.0.0.11, bind: 192.0.2.9 },"));
        assertEquals(1, bind.size(), bind.toString());
        assertTrue(bind.get(0).contains("cluster.nodes: bind {a=192.0.2.9} (this node has: bind {})"), bind.get(0));
        List<String> dns = changes(here, BASE.formatted("""
                  dns:
                    server: 127.0.0.1
                    zone: example.com.
                    tsig: { name: k., secret_file: /tmp/stolen.key }
                    records: [{ name: www.example.com. }]
                """));
        assertEquals(1, dns.size(), dns.toString());
        assertTrue(dns.get(0).contains("cluster.dns: /tmp/stolen.key (this node has: (none))"), dns.get(0));
    }

    @Test
    void eachProtectedSettingIsReportedAtItsPlace() throws Exception {
        String here = BASE.formatted("");
        List<String> notify = changes(here, BASE.formatted("  notify: /tmp/x.sh\n"));
        assertEquals(1, notify.size(), notify.toString());
        assertTrue(notify.get(0).startsWith("/etc/tandem/tandem.yaml:13:11: cluster.notify: /tmp/x.sh (this node has: (none))"),
                notify.get(0));
        assertTrue(changes(here, here.replace("/etc/tandem/cluster.key", "/tmp/k")).get(0).contains("cluster.secret_file"));
        assertTrue(changes(here, here.replace("/var/www]", "/var/www, /root/.ssh]")).get(0).contains("cluster.mirror.paths"));
        assertTrue(changes(here, here.replace("b: 10.0.0.12}", "b: 10.0.0.12, c: 192.0.2.1}")).get(0)
                .contains("cluster.nodes"));
        assertTrue(changes(here, BASE.formatted("  state_dir: /tmp/state\n")).get(0).contains("cluster.state_dir"));
        assertTrue(changes(here, here.replace("/var/www]", "/var/www]\n    state_dir: /tmp/m")).get(0)
                .contains("cluster.mirror.state_dir"));
        // a config with no cluster at all would take the mirror away at the next restart
        String noCluster = here.substring(0, here.indexOf("cluster:"));
        assertTrue(changes(here, noCluster).get(0).contains("cluster: removed"));
    }
}
