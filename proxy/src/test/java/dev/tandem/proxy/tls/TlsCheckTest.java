package dev.tandem.proxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.conf.ConfigError;
import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import dev.tandem.testkit.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code tandem check} says about certificates, placed at the entry of the config that names them. */
class TlsCheckTest {

    private static final TestCertificates CA = TestCertificates.authority("Test CA");

    @TempDir
    Path dir;

    @Test
    void errorsAtTheEntryAndExpiryAsAWarning() throws Exception {
        CA.issue("good", "good.test").write(dir.resolve("good.pem"), dir.resolve("good.key"));
        Instant now = Instant.now();
        CA.issue(TestCertificates.KeyType.EC, now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)), "old",
                "old.test").write(dir.resolve("old.pem"), dir.resolve("old.key"));
        TestCertificates.writeAtomically(dir.resolve("other.key"), TestCertificates.pkcs8(CA.issue("x").key()));
        String yaml = """
                listeners:
                  - name: https
                    bind: :443
                    tls:
                      certificates:
                        - {cert: good.pem, key: good.key}
                        - {cert: old.pem, key: old.key}
                        - {cert: good.pem, key: other.key}
                        - {cert: missing.pem, key: good.key}
                  - name: plain
                    bind: :80
                """;
        Path file = dir.resolve("t.yaml");
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        Snapshot snapshot = ConfigLoader.load(file, 1);
        TlsCheck check = new TlsCheck();
        List<String> errors = check.check(snapshot).stream().map(ConfigError::toString).toList();
        assertEquals(List.of(
                file + ":8:33: listeners[0].tls.certificates[2].key: " + dir.resolve("other.key")
                        + ": the key does not match the certificate in " + dir.resolve("good.pem"),
                file + ":9:18: listeners[0].tls.certificates[3].cert: " + dir.resolve("missing.pem") + ": no such file"),
                errors);
        List<ConfigError> warnings = check.warnings(snapshot);
        assertEquals(1, warnings.size());
        assertEquals(7, warnings.get(0).line());
        String w = warnings.get(0).message();
        assertEquals(true, w.startsWith("listeners[0].tls.certificates[1].cert: " + dir.resolve("old.pem")
                + ": the certificate for old.test expired at "), w);
        assertEquals(true, w.endsWith("(served all the same)"), w);
    }
}
