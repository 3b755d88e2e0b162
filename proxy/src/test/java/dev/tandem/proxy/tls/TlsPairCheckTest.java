package dev.tandem.proxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.CertificateConfig;
import dev.tandem.testkit.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The check of one pair on contents that are not (yet) its files: what the mirror asks before it sends or writes. */
class TlsPairCheckTest {

    private static final TestCertificates CA = TestCertificates.authority("Pair check CA");
    private static final CertificateConfig PAIR = new CertificateConfig(Path.of("/etc/tandem/certs/site.pem"),
            Path.of("/etc/tandem/certs/site.key"));

    private static byte[] cert(TestCertificates.Issued i) {
        return TestCertificates.pem(i.chain().toArray()).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] key(TestCertificates.Issued i) {
        return TestCertificates.pkcs8(i.key()).getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void aMatchingPairPasses() {
        TestCertificates.Issued i = CA.issue("site.test", "site.test");
        assertEquals(new TlsCheck.PairCheck(List.of(), List.of()), new TlsCheck().checkPair(PAIR, cert(i), key(i)));
    }

    @Test
    void aKeyOfAnotherCertificateIsAnError() {
        TestCertificates.Issued i = CA.issue("site.test", "site.test");
        TestCertificates.Issued other = CA.issue("site.test", "site.test");
        TlsCheck.PairCheck c = new TlsCheck().checkPair(PAIR, cert(i), key(other));
        assertEquals(List.of("/etc/tandem/certs/site.key: the key does not match the certificate in /etc/tandem/certs/site.pem"),
                c.errors());
    }

    @Test
    void notPemIsAnError() {
        TestCertificates.Issued i = CA.issue("site.test", "site.test");
        TlsCheck.PairCheck c = new TlsCheck().checkPair(PAIR, "not a certificate".getBytes(StandardCharsets.US_ASCII), key(i));
        assertEquals(1, c.errors().size());
        assertTrue(c.errors().get(0).startsWith("/etc/tandem/certs/site.pem: "), c.errors().get(0));
    }

    @Test
    void anExpiredCertificateIsAWarningOnly() {
        Instant now = Instant.now();
        TestCertificates.Issued old = CA.issue(TestCertificates.KeyType.EC, now.minus(Duration.ofDays(10)),
                now.minus(Duration.ofDays(1)), "site.test", "site.test");
        TlsCheck.PairCheck c = new TlsCheck().checkPair(PAIR, cert(old), key(old));
        assertEquals(List.of(), c.errors());
        assertEquals(1, c.warnings().size());
        assertTrue(c.warnings().get(0).contains("expired at"), c.warnings().get(0));
    }
}
