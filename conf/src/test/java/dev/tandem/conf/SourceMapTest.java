package dev.tandem.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SourceMapTest {

    private static final String YAML = """
            listeners:
              - name: http
                bind: 127.0.0.1:0
            sites:
              - hosts: ["*"]
                upstream: web
            upstreams:
              web:
                servers:
                  - { address: 10.0.0.1:80 }
            cluster:
              nodes: { a: 10.0.0.11 }
              secret_file: /etc/tandem/cluster.key
              vips:
                - { address: 10.0.0.100/24, interface: eth0 }
            """;

    private static Snapshot snapshot() throws ConfigException {
        return ConfigLoader.fromBytes("t.yaml", YAML.getBytes(StandardCharsets.UTF_8), Path.of("/tmp"), 1);
    }

    @Test
    void placesAnErrorAtTheValueItIsAbout() throws ConfigException {
        assertEquals("t.yaml:13:16: no such file",
                snapshot().sources().error("cluster.secret_file", "no such file").toString());
        assertEquals("t.yaml:10:20: refused",
                snapshot().sources().error("upstreams.web.servers[0].address", "refused").toString());
    }

    @Test
    void fallsBackToTheNearestWrittenParent() throws ConfigException {
        assertEquals("t.yaml:12:3: x", snapshot().sources().error("cluster.witnesses", "x").toString());
        assertEquals("t.yaml:1:1: y", snapshot().sources().error("nothing.here", "y").toString());
    }
}
