package dev.tandem.proxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tandem.conf.CertificateConfig;
import dev.tandem.testkit.TestCertificates;
import dev.tandem.testkit.TestCertificates.Issued;
import dev.tandem.testkit.TestCertificates.KeyFormat;
import dev.tandem.testkit.TestCertificates.KeyType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading certificate chains and keys the way operators have them, and saying clearly what is wrong. */
class CertificateFilesTest {

    private static final TestCertificates CA = TestCertificates.authority("Test CA");

    @TempDir
    Path dir;

    private CertificateConfig write(Issued issued, KeyFormat format) {
        Path cert = dir.resolve("c.pem");
        Path key = dir.resolve("k.pem");
        issued.write(cert, key, format);
        return new CertificateConfig(cert, key);
    }

    @Test
    void everyKeyFormatOfBothAlgorithmsLoadsAndMatches() throws Exception {
        Instant now = Instant.now();
        for (KeyType type : KeyType.values()) {
            for (KeyFormat format : KeyFormat.values()) {
                Issued issued = CA.issue(type, now.minusSeconds(60), now.plus(Duration.ofDays(1)), "x", "x.test");
                CertificateConfig c = write(issued, format);
                String header = Files.readString(c.key()).lines().findFirst().orElseThrow();
                LoadedCertificate loaded = CertificateFiles.load(c);
                assertEquals(issued.key().getAlgorithm(), loaded.key().getAlgorithm(), type + " " + format + " " + header);
                assertEquals(2, loaded.chain().size());
                assertEquals(List.of("x.test"), loaded.names());
            }
        }
    }

    @Test
    void namesAreTheSubjectAlternativeNamesElseTheCommonName() throws Exception {
        assertEquals(List.of("a.test", "*.b.test"), CertificateFiles.load(write(CA.issue("cn", "A.test", "*.b.test"),
                KeyFormat.PKCS8)).names());
        assertEquals(List.of("only-cn.test"), CertificateFiles.load(write(CA.issue("only-cn.test"), KeyFormat.PKCS8)).names());
    }

    @Test
    void aKeyOfAnotherCertificateIsRefusedNamingTheKeyFile() {
        CertificateConfig c = write(CA.issue("a", "a.test"), KeyFormat.PKCS8);
        TestCertificates.writeAtomically(c.key(), TestCertificates.pkcs8(CA.issue("b", "b.test").key()));
        CertificateProblem e = assertThrows(CertificateProblem.class, () -> CertificateFiles.load(c));
        assertEquals(c.key(), e.file());
        assertEquals("the key does not match the certificate in " + c.cert(), e.reason());
    }

    @Test
    void missingNotPemEncryptedAndUnsupportedFilesSayWhy() throws Exception {
        CertificateConfig c = write(CA.issue("a", "a.test"), KeyFormat.PKCS8);
        assertProblem(new CertificateConfig(dir.resolve("nope.pem"), c.key()), "nope.pem", "no such file");
        Files.writeString(dir.resolve("text.pem"), "hello\n");
        assertProblem(new CertificateConfig(dir.resolve("text.pem"), c.key()), "text.pem",
                "not a PEM file (no -----BEGIN ...----- block)");
        assertProblem(new CertificateConfig(c.key(), c.key()), "k.pem",
                "no certificate in the file (expected: a BEGIN CERTIFICATE block)");
        assertProblem(new CertificateConfig(c.cert(), c.cert()), "c.pem",
                "no private key in the file (expected: a BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY block)");
        Files.writeString(dir.resolve("enc.pem"), "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        assertProblem(new CertificateConfig(c.cert(), dir.resolve("enc.pem")), "enc.pem",
                "the private key is encrypted (expected: a key without a passphrase)");
        Files.writeString(dir.resolve("dsa.pem"), "-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n");
        assertProblem(new CertificateConfig(c.cert(), dir.resolve("dsa.pem")), "dsa.pem",
                "unsupported key type 'DSA PRIVATE KEY' (expected: PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
        Files.writeString(dir.resolve("proc.pem"), "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
                + "DEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        assertProblem(new CertificateConfig(c.cert(), dir.resolve("proc.pem")), "proc.pem",
                "the RSA PRIVATE KEY is encrypted (expected: a key without a passphrase)");
    }

    private static void assertProblem(CertificateConfig c, String file, String reason) {
        CertificateProblem e = assertThrows(CertificateProblem.class, () -> CertificateFiles.load(c));
        assertEquals(file, e.file().getFileName().toString());
        assertEquals(reason, e.reason());
    }
}
