package dev.tandem.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.ProxyServer;
import dev.tandem.proxy.transport.Transport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One config text on two nodes with a bind address per node ({@code listeners[].per_node.NODE.bind}): two
 * proxies started in this process as lb1 and lb2 bind each its own loopback address, on the same port, and a
 * reload of the same text that moves only lb2's entry rebinds lb2 alone.
 */
@Timeout(60)
class PerNodeBindIT {

    @TempDir
    Path dir;
    private ProxyServer lb1;
    private ProxyServer lb2;

    @AfterEach
    void stop() throws Exception {
        for (ProxyServer p : new ProxyServer[]{lb1, lb2}) {
            if (p != null) {
                p.close(Duration.ofSeconds(1));
            }
        }
    }

    private static String config(int port, String lb2Address) {
        return """
                workers: 1
                listeners:
                  - name: http
                    bind: 127.0.0.1:%1$d
                    per_node:
                      lb1: { bind: "127.0.0.61:%1$d" }
                      lb2: { bind: "%2$s:%1$d" }
                upstreams:
                  web: { servers: [{ address: "127.0.0.1:9" }] }
                sites:
                  - hosts: ["*"]
                    upstream: web
                cluster:
                  nodes:
                    lb1: 127.0.0.61
                    lb2: 127.0.0.62
                  secret_file: cluster.key
                """.formatted(port, lb2Address);
    }

    private Snapshot snapshot(String text, long version) throws Exception {
        return ConfigLoader.fromBytes(dir.resolve("tandem.yaml").toString(), text.getBytes(StandardCharsets.UTF_8), dir,
                version);
    }

    private static ProxyServer start(String node, Snapshot snapshot) throws Exception {
        ProxyServer p = new ProxyServer(Transport.detect(), new SimpleMeterRegistry());
        p.nodeName(node);
        p.start(snapshot);
        return p;
    }

    @Test
    void eachNodeBindsItsOwnAddressFromTheSameFile() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String text = config(port, "127.0.0.62");
        lb1 = start("lb1", snapshot(text, 1));
        lb2 = start("lb2", snapshot(text, 1));
        // Both on the same port: only possible because each bound its own address, not the shared 127.0.0.1.
        assertEquals(new InetSocketAddress("127.0.0.61", port), lb1.boundAddress("http"));
        assertEquals(new InetSocketAddress("127.0.0.62", port), lb2.boundAddress("http"));

        String next = config(port, "127.0.0.63");
        lb1.apply(snapshot(next, 2));
        lb2.apply(snapshot(next, 2));
        assertEquals(new InetSocketAddress("127.0.0.61", port), lb1.boundAddress("http"));
        assertEquals(new InetSocketAddress("127.0.0.63", port), lb2.boundAddress("http"));
    }
}
