package dev.tandem.node.wiring;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.transport.Transport;
import dev.tandem.testkit.TestCertificates;
import java.math.BigInteger;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two running nodes mirroring their config, static root and certificates (127.0.0.45 and .46), serving
 * site.test over TLS: a certificate replaced on a with one its key does not match never reaches b, which
 * serves its certificate all along, and a counts it; once the matching key is in on a, the pair reaches b.
 */
class MirrorCertificatePairTest {

    @TempDir
    Path dir;
    private TestBackend one;
    private int port;
    private Node a;
    private Node b;

    @BeforeEach
    void backends() throws Exception {
        one = TestBackend.start("one");
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        for (String n : List.of("a", "b")) {
            Files.createDirectories(dir.resolve(n).resolve("www"));
            Files.createDirectories(dir.resolve(n).resolve("certs"));
            Files.write(dir.resolve(n).resolve("cluster.key"), "0123456789abcdef0123456789abcdef".getBytes());
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
    }

    private String config() {
        return TestNodes.config("- { address: \"" + one.address() + "\" }", """
                cluster:
                  nodes: {a: 127.0.0.45, b: 127.0.0.46}
                  port: %d
                  secret_file: cluster.key
                  state_dir: cluster-state
                  mirror:
                    paths: [tandem.yaml, www, certs]
                    state_dir: state
                    debounce: 20ms
                """.formatted(port)).replace("""
                listeners:
                  - name: http
                    bind: 127.0.0.1:0
                """, """
                listeners:
                  - name: http
                    bind: 127.0.0.1:0
                  - name: https
                    bind: 127.0.0.1:0
                    tls:
                      certificates:
                        - { cert: certs/site.pem, key: certs/site.key }
                """);
    }

    private Node start(String name) throws Exception {
        Path file = dir.resolve(name).resolve("tandem.yaml");
        Files.writeString(file, config());
        return Node.start(file, Transport.detect(), name);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> mirror(Node n) throws Exception {
        return (Map<String, Object>) TestNodes.status(n).get("mirror");
    }

    private static BigInteger servedSerial(Node n, SSLContext client) throws Exception {
        int https = n.proxy().boundAddress("https").getPort();
        try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", https)) {
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName("site.test")));
            s.setSSLParameters(p);
            s.setSoTimeout(5000);
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    private static double refused(Node n, String origin) throws Exception {
        var families = PrometheusText.parse(TestNodes.get(TestNodes.adminUrl(n, "/metrics")).body());
        var f = families.get("tandem_mirror_certificate_pairs_refused_total");
        return f == null ? 0 : f.samples().stream().filter(s -> origin.equals(s.labels().get("origin")))
                .mapToDouble(PrometheusText.Sample::value).sum();
    }

    @Test
    void aBadCertificatePairEditedOnOneNodeNeverReachesTheOther() throws Exception {
        TestCertificates ca = TestCertificates.authority("Mirror pair CA");
        TestCertificates.Issued first = ca.issue("site.test", "site.test");
        for (String n : List.of("a", "b")) {
            first.write(dir.resolve(n).resolve("certs/site.pem"), dir.resolve(n).resolve("certs/site.key"));
        }
        a = start("a");
        b = start("b");
        await().atMost(20, TimeUnit.SECONDS).until(() -> mirror(a).get("first_sync") != null
                && mirror(b).get("first_sync") != null);
        String certOnB = Files.readString(dir.resolve("b/certs/site.pem"));
        String keyOnB = Files.readString(dir.resolve("b/certs/site.key"));
        assertEquals(first.certificate().getSerialNumber(), servedSerial(b, ca.clientContext()));

        // A new certificate on a whose key is not the one beside it (the new key was never copied in).
        TestCertificates.Issued second = ca.issue("site.test", "site.test");
        TestCertificates.writeAtomically(dir.resolve("a/certs/site.pem"), TestCertificates.pem(second.chain().toArray()));
        // a reports it once the settle for the other half is over...
        await().atMost(15, TimeUnit.SECONDS).until(() -> refused(a, "here") >= 1);
        // ...and nothing of it ever reached b, which serves its certificate all along.
        await().during(2, TimeUnit.SECONDS).atMost(5, TimeUnit.SECONDS).until(() ->
                certOnB.equals(Files.readString(dir.resolve("b/certs/site.pem")))
                        && keyOnB.equals(Files.readString(dir.resolve("b/certs/site.key"))));
        assertEquals(first.certificate().getSerialNumber(), servedSerial(b, ca.clientContext()));
        assertEquals(0.0, refused(b, "peer"), "nothing was sent to refuse");
        // a's status lists the pair as held, as it lists a held deletion
        List<?> held = (List<?>) mirror(a).get("held_pairs");
        assertEquals(1, held.size(), String.valueOf(held));
        Map<?, ?> pair = (Map<?, ?>) held.get(0);
        assertEquals(dir.resolve("a/certs/site.pem").toRealPath().toString(), pair.get("cert"));
        assertEquals("here", pair.get("from"));
        assertTrue(!((List<?>) pair.get("errors")).isEmpty(), String.valueOf(pair));
        assertEquals(List.of(), mirror(b).get("held_pairs"));

        // The matching key put in on a: the pair passes, and both halves reach b, which serves it.
        TestCertificates.writeAtomically(dir.resolve("a/certs/site.key"), TestCertificates.pkcs8(second.key()));
        await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50))
                .until(() -> second.certificate().getSerialNumber().equals(servedSerial(b, ca.clientContext())));
        assertEquals(Files.readString(dir.resolve("a/certs/site.key")), Files.readString(dir.resolve("b/certs/site.key")));
        assertTrue(Files.readString(dir.resolve("b/certs/site.pem")).equals(Files.readString(dir.resolve("a/certs/site.pem"))));
        await().atMost(5, TimeUnit.SECONDS).until(() -> ((List<?>) mirror(a).get("held_pairs")).isEmpty());
    }
}
