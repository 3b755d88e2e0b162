package dev.tandem.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tandem check FILE}, run through {@link Main#run} with its output captured. */
class CheckCommandTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int tandem(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private List<String> errLines() {
        return err.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private Path write(String name, String yaml) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, yaml);
        return file;
    }

    @Test
    void aFileWithThreeMistakesGetsExactlyThreeLocatedLinesAndExit1() throws Exception {
        Path file = write("bad.yaml", """
                listeners:
                  - name: http
                    bind: 127.0.0.1:80
                sites:
                  - hosts: ["*"]
                    upstream: web
                upstreams:
                  web:
                    balance: round-robin
                    servers:
                      - { address: 10.0.0.1:8000, weight: 0 }
                      - { address: 10.0.0.2:8000 }
                    keepalve: 16
                """);
        assertEquals(1, tandem("check", file.toString()));
        List<String> lines = errLines();
        assertEquals(3, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).startsWith(file + ":9:14: "), lines.get(0));
        assertTrue(lines.get(1).startsWith(file + ":11:43: "), lines.get(1));
        assertTrue(lines.get(2).startsWith(file + ":13:5: "), lines.get(2));
        assertTrue(lines.get(2).contains("keepalive"), "suggests the known key: " + lines.get(2));
        for (String line : lines) {
            assertTrue(line.matches("\\Q" + file + "\\E:\\d+:\\d+: .+"), line);
        }
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aValidFileExits0() throws Exception {
        Path file = write("good.yaml", """
                listeners:
                  - name: http
                    bind: 127.0.0.1:8080
                sites:
                  - hosts: [example.com, "*.example.com"]
                    upstream: web
                upstreams:
                  web:
                    servers:
                      - { address: 10.0.0.1:8000, weight: 2 }
                      - { address: 10.0.0.2:8000, backup: true }
                """);
        assertEquals(0, tandem("check", file.toString()));
        assertEquals(file + ": ok\n", out.toString(StandardCharsets.UTF_8));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theDemoConfigIsValid() throws Exception {
        Path file = Demo.writeConfig(dir, 10_001, 10_002);
        Demo.writeStaticRoot(dir);
        assertEquals(0, tandem("check", file.toString()), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aMissingFileExits2() {
        Path file = dir.resolve("nothing-here.yaml");
        assertEquals(2, tandem("check", file.toString()));
        assertEquals(List.of(file + ": cannot read: no such file"), errLines());
    }

    @Test
    void aDirectoryCannotBeReadEither() {
        assertEquals(2, tandem("check", dir.toString()));
        assertTrue(errLines().get(0).startsWith(dir + ": cannot read"), errLines().toString());
    }

    @Test
    void aFileThatIsNotYamlIsOneLocatedError() throws Exception {
        Path file = write("broken.yaml", "listeners: [\n  - name: x\n");
        assertEquals(1, tandem("check", file.toString()));
        assertEquals(1, errLines().size(), errLines().toString());
        assertTrue(errLines().get(0).matches("\\Q" + file + "\\E:\\d+:\\d+: YAML syntax: .+"), errLines().get(0));
    }

    @Test
    void checkWithoutAFileIsAUsageError() {
        assertEquals(64, tandem("check"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("usage: tandem"));
        assertEquals(64, tandem("check", "a.yaml", "b.yaml"));
    }

    @Test
    void unknownCommandsAndNoCommandAreUsageErrors() {
        assertEquals(64, tandem("frobnicate"));
        assertTrue(errLines().get(0).contains("unknown command 'frobnicate'"));
        assertEquals(64, tandem());
        assertEquals(0, tandem("--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("check  FILE"));
    }

    @Test
    void certificateProblemsAreErrorsAtTheirEntryAndAnExpiredOneIsAWarningThatExits0() throws Exception {
        dev.tandem.testkit.TestCertificates ca = dev.tandem.testkit.TestCertificates.authority("CA");
        ca.issue("a", "a.test").write(dir.resolve("a.pem"), dir.resolve("a.key"));
        java.time.Instant now = java.time.Instant.now();
        ca.issue(dev.tandem.testkit.TestCertificates.KeyType.RSA, now.minusSeconds(7200), now.minusSeconds(3600), "old",
                "old.test").write(dir.resolve("old.pem"), dir.resolve("old.key"),
                dev.tandem.testkit.TestCertificates.KeyFormat.TRADITIONAL);
        Files.writeString(dir.resolve("junk.pem"), "not a certificate\n");
        String listener = """
                listeners:
                  - name: https
                    bind: 127.0.0.1:8443
                    tls:
                      certificates:
                """;
        Path bad = write("bad.yaml", listener + """
                        - {cert: a.pem, key: old.key}
                        - {cert: junk.pem, key: a.key}
                        - {cert: gone.pem, key: a.key}
                """);
        assertEquals(1, tandem("check", bad.toString()));
        assertEquals(List.of(
                bad + ":6:30: listeners[0].tls.certificates[0].key: " + dir.resolve("old.key")
                        + ": the key does not match the certificate in " + dir.resolve("a.pem"),
                bad + ":7:18: listeners[0].tls.certificates[1].cert: " + dir.resolve("junk.pem")
                        + ": not a PEM file (no -----BEGIN ...----- block)",
                bad + ":8:18: listeners[0].tls.certificates[2].cert: " + dir.resolve("gone.pem") + ": no such file"),
                errLines());

        err.reset();
        Path expired = write("expired.yaml", listener + """
                        - {cert: a.pem, key: a.key}
                        - {cert: old.pem, key: old.key}
                """);
        assertEquals(0, tandem("check", expired.toString()));
        List<String> lines = errLines();
        assertEquals(1, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).startsWith(expired + ":7:18: warning: listeners[0].tls.certificates[1].cert: "
                + dir.resolve("old.pem") + ": the certificate for old.test expired at "), lines.get(0));
        assertEquals(expired + ": ok\n", out.toString(StandardCharsets.UTF_8));
    }
}
