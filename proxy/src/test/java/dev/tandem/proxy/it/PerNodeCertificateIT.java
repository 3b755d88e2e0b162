package dev.tandem.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.ConfigError;
import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.ProxyServer;
import dev.tandem.proxy.tls.TlsCheck;
import dev.tandem.proxy.transport.Transport;
import dev.tandem.testkit.TestCertificates;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One config text, byte for byte the same on two nodes, with a certificate per node ({@code tls.per_node}):
 * two proxies started in this process as lb1 and lb2 serve each its own certificate over real TLS on
 * loopback, and a reload of the same text on both changes only the node whose entry changed.
 */
@Timeout(60)
class PerNodeCertificateIT {

    private static final TestCertificates CA = TestCertificates.authority("Tandem Test CA");

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

    private String config(String lb2Cert) {
        return """
                workers: 1
                listeners:
                  - name: https
                    bind: 127.0.0.1:0
                    tls:
                      certificates: [{ cert: us.pem, key: us.key }]
                      per_node:
                        lb2: { cert: %s.pem, key: %s.key }
                upstreams:
                  web: { servers: [{ address: "127.0.0.1:9" }] }
                sites:
                  - hosts: ["*"]
                    upstream: web
                cluster:
                  nodes:
                    lb1: 127.0.0.1
                    lb2: 127.0.0.2
                  secret_file: cluster.key
                """.formatted(lb2Cert, lb2Cert);
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

    private static String served(ProxyServer p) throws Exception {
        InetSocketAddress at = p.boundAddress("https");
        try (SSLSocket s = (SSLSocket) CA.clientContext().getSocketFactory().createSocket(at.getAddress(), at.getPort())) {
            SSLParameters params = s.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName("www.example.test")));
            s.setSSLParameters(params);
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        }
    }

    @Test
    void eachNodeServesItsOwnCertificateFromTheSameFileAndAReloadChangesOnlyItsOwn() throws Exception {
        CA.issue("us", "www.example.test").write(dir.resolve("us.pem"), dir.resolve("us.key"));
        CA.issue("eu", "www.example.test").write(dir.resolve("eu.pem"), dir.resolve("eu.key"));
        CA.issue("eu-renewed", "www.example.test").write(dir.resolve("eu2.pem"), dir.resolve("eu2.key"));
        String text = config("eu");
        Snapshot one = snapshot(text, 1);
        lb1 = start("lb1", one);
        lb2 = start("lb2", snapshot(text, 1));

        assertEquals("CN=us", served(lb1));
        assertEquals("CN=eu", served(lb2));

        // The mirrored file changes; both nodes reload the same text.
        String next = config("eu2");
        lb1.apply(snapshot(next, 2));
        lb2.apply(snapshot(next, 2));
        assertEquals("CN=us", served(lb1));
        assertEquals("CN=eu-renewed", served(lb2));
    }

    @Test
    void checkSkipsAnotherNodesAbsentFilesAndChecksThoseThatAreHere() throws Exception {
        CA.issue("us", "www.example.test").write(dir.resolve("us.pem"), dir.resolve("us.key"));
        Snapshot absent = snapshot(config("eu"), 1);
        assertEquals(List.of(), new TlsCheck().check(absent));

        // eu's files are here, but the key is another certificate's: refused, at lb2's entry.
        CA.issue("eu", "www.example.test").write(dir.resolve("eu.pem"), dir.resolve("other.key"));
        Files.copy(dir.resolve("us.key"), dir.resolve("eu.key"));
        List<ConfigError> errors = new TlsCheck().check(snapshot(config("eu"), 1));
        assertEquals(1, errors.size(), errors.toString());
        String e = errors.get(0).toString();
        assertTrue(e.startsWith(dir.resolve("tandem.yaml") + ":8:35: listeners[0].tls.per_node.lb2[0].key: "), e);
        assertTrue(e.endsWith("the key does not match the certificate in " + dir.resolve("eu.pem")), e);
    }
}
