package dev.tandem.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.testkit.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tandem check FILE} on a config with per-node certificates ({@code tls.per_node}). */
class PerNodeCheckCommandTest {

    private static final TestCertificates CA = TestCertificates.authority("CA");

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int check(Path file) {
        return Main.run(new String[]{"check", file.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private Path config(String perNode) throws Exception {
        Files.writeString(dir.resolve("cluster.key"), "0123456789abcdef0123456789abcdef0123456789abcdef\n");
        CA.issue("us", "www.example.test").write(dir.resolve("us.pem"), dir.resolve("us.key"));
        Path file = dir.resolve("tandem.yaml");
        Files.writeString(file, """
                listeners:
                  - name: https
                    bind: 127.0.0.1:8443
                    tls:
                      certificates: [{ cert: us.pem, key: us.key }]
                      per_node:
                %s
                sites:
                  - hosts: ["*"]
                    upstream: web
                upstreams:
                  web: { servers: [{ address: "10.0.0.1:8000" }] }
                cluster:
                  nodes:
                    lb1: 10.0.0.11
                    lb2: 10.0.0.12
                  secret_file: cluster.key
                """.formatted(perNode));
        return file;
    }

    @Test
    void anotherNodesCertificateAbsentHereIsNoError() throws Exception {
        Path file = config("        lb2: { cert: eu.pem, key: eu.key }");
        assertEquals(0, check(file), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anUnknownNodeIsALocatedErrorWithASuggestion() throws Exception {
        Path file = config("        lb22: { cert: eu.pem, key: eu.key }");
        assertEquals(1, check(file));
        assertEquals(file + ":7:15: listeners[0].tls.per_node.lb22: 'lb22' is not a node of cluster.nodes"
                + " (did you mean 'lb2'?)\n", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aPairThatIsHereIsCheckedAsTheSharedOnesAre() throws Exception {
        Path file = config("        lb2: { cert: eu.pem, key: us.key }");
        CA.issue("eu", "www.example.test").write(dir.resolve("eu.pem"), dir.resolve("eu.key"));
        assertEquals(1, check(file));
        assertEquals(file + ":7:35: listeners[0].tls.per_node.lb2[0].key: " + dir.resolve("us.key")
                + ": the key does not match the certificate in " + dir.resolve("eu.pem") + "\n",
                err.toString(StandardCharsets.UTF_8));
    }
}
