package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.mirror.CertificateCheck;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The decisions on a certificate and its key, on the halves given as bytes (no file is read or written) and a
 * clock the test moves. The check here: a pair passes when the certificate's text "cert N" and the key's
 * "key N" have the same N; "boom" makes the check itself fail.
 */
class CertificatePairsTest {

    private static final Path CERT = Path.of("/etc/tandem/site.pem");
    private static final Path KEY = Path.of("/etc/tandem/site.key");
    private static final CertificateCheck.Pair PAIR = new CertificateCheck.Pair(CERT, KEY);

    private long now = 1_000_000;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final CertificatePairs<String> pairs = new CertificatePairs<>(new CertificateCheck() {
        @Override
        public Optional<Pair> pairOf(Path file) {
            return file.equals(CERT) || file.equals(KEY) ? Optional.of(PAIR) : Optional.empty();
        }

        @Override
        public Verdict check(Pair p, byte[] c, byte[] k) {
            String cn = new String(c, StandardCharsets.UTF_8).replace("cert ", "");
            String kn = new String(k, StandardCharsets.UTF_8).replace("key ", "");
            if (cn.equals("boom")) {
                throw new IllegalStateException("boom");
            }
            return new Verdict(cn.equals(kn) ? List.of() : List.of(p.key() + ": the key does not match the certificate"),
                    List.of());
        }
    }, () -> now, meters);

    private static CertificatePairs.Half half(String text) {
        return CertificatePairs.Half.of(text.getBytes(StandardCharsets.UTF_8));
    }

    private double refused(String origin) {
        return meters.get("tandem_mirror_certificate_pairs_refused_total").tag("origin", origin).counter().count();
    }

    @Test
    void onlyTheHalvesOfAPairArePairs() {
        assertEquals(Optional.of(PAIR), pairs.pairOf(KEY));
        assertEquals(Optional.empty(), pairs.pairOf(Path.of("/srv/www/index.html")));
        CertificatePairs.Received<String> r = CertificatePairs.Received.notAPair();
        assertEquals(CertificatePairs.Action.INSTALL, r.action());
        assertNull(r.partner());
    }

    @Test
    void aBadPairHereSettlesOnTheClockThenIsReportedOnceThenGoesWithItsOtherHalfWhenFixed() {
        assertEquals(CertificatePairs.SETTLE, pairs.local(CERT, PAIR, half("cert 2"), half("key 1")).recheckIn());
        now += 1999;
        assertEquals(Duration.ofMillis(1), pairs.local(CERT, PAIR, half("cert 2"), half("key 1")).recheckIn());
        assertEquals(0.0, refused("here"), "quiet while it settles");
        now += 1;
        CertificatePairs.Local reported = pairs.local(CERT, PAIR, half("cert 2"), half("key 1"));
        assertTrue(reported.held());
        assertNull(reported.recheckIn(), "reported: it waits for the next edit");
        assertEquals(1.0, refused("here"));
        assertEquals(List.of(new CertificatePairs.HeldPair(CERT, KEY, "here", 1_000_000,
                List.of(KEY + ": the key does not match the certificate"))), pairs.held());
        now += 60_000;
        pairs.local(KEY, PAIR, half("cert 2"), half("key 1"));
        assertEquals(1.0, refused("here"), "the same errors are reported once");

        CertificatePairs.Local fixed = pairs.local(KEY, PAIR, half("cert 2"), half("key 2"));
        assertFalse(fixed.held());
        assertEquals(CERT, fixed.partner());
        assertEquals(List.of(), pairs.held());
    }

    @Test
    void aHalfThatCouldNotBeReadIsAnErrorOfThePairAndTheCheckIsNotAsked() {
        pairs.local(CERT, PAIR, CertificatePairs.Half.of(new byte[0]), CertificatePairs.Half.missing());
        now += CertificatePairs.SETTLE.toMillis();
        pairs.local(CERT, PAIR, CertificatePairs.Half.tooLarge(), CertificatePairs.Half.missing());
        assertEquals(List.of(CERT + ": larger than " + CertificatePairs.MAX_BYTES
                        + " bytes (expected: a PEM certificate or key)", KEY + ": no such file"),
                pairs.held().get(0).errors());
    }

    @Test
    void aCheckThatFailsRefusesThePair() {
        pairs.local(CERT, PAIR, half("cert boom"), half("key 1"));
        now += CertificatePairs.SETTLE.toMillis();
        assertTrue(pairs.local(CERT, PAIR, half("cert boom"), half("key 1")).held());
        assertTrue(pairs.held().get(0).errors().get(0).startsWith(CERT + ": the check failed"));
    }

    @Test
    void aReceivedHalfIsHeldAsideUntilItsOtherHalfThenBothGoInPlace() {
        Path tempCert = Path.of("/etc/tandem/.tandem-mirror-c");
        CertificatePairs.Received<String> c = pairs.received(CERT, tempCert, "cert v2", "lb2", PAIR,
                half("cert 2"), half("key 1"));
        assertEquals(CertificatePairs.Action.HOLD, c.action());
        assertEquals(tempCert, pairs.heldTemp(CERT), "the driver reads the other half's partner from here");
        assertNull(pairs.heldTemp(KEY));
        assertTrue(pairs.holding());
        assertEquals(List.of(), pairs.held(), "waiting for its other half is no refusal");

        CertificatePairs.Received<String> k = pairs.received(KEY, Path.of("/etc/tandem/.tandem-mirror-k"), "key v2",
                "lb2", PAIR, half("cert 2"), half("key 2"));
        assertEquals(CertificatePairs.Action.INSTALL, k.action());
        assertEquals("cert v2", k.partner(), "the held certificate goes in place right after the key");
        assertFalse(pairs.holding());
        assertNull(pairs.heldTemp(CERT));
        assertEquals(0.0, refused("peer"));
    }

    @Test
    void aReceivedBadPairIsRefusedWholeAndListedUntilAGoodOneComes() {
        pairs.received(CERT, Path.of("/t/c"), "cert v6", "lb2", PAIR, half("cert 6"), half("key 1"));
        now += 5;
        CertificatePairs.Received<String> k = pairs.received(KEY, Path.of("/t/k"), "key v7", "lb2", PAIR,
                half("cert 6"), half("key 7"));
        assertEquals(CertificatePairs.Action.REFUSE, k.action());
        assertEquals("cert v6", k.partner(), "the held certificate is dropped too");
        assertFalse(pairs.holding());
        assertEquals(1.0, refused("peer"));
        assertEquals(List.of(new CertificatePairs.HeldPair(CERT, KEY, "lb2", 1_000_005, k.errors())), pairs.held());

        assertEquals(CertificatePairs.Action.INSTALL, pairs.received(CERT, Path.of("/t/c2"), "cert v1", "lb3", PAIR,
                half("cert 1"), half("key 1")).action());
        assertEquals(List.of(), pairs.held(), "a pair that passes ends it");
    }

    @Test
    void aHalfWhoseOtherHalfNeverCameIsGivenUpWhenTheRoundIsOver() {
        Path temp = Path.of("/t/c");
        pairs.received(CERT, temp, "cert v8", "lb2", PAIR, half("cert 8"), half("key 1"));
        now += 7;
        assertEquals(List.of(new CertificatePairs.Dropped<>(temp, "cert v8")), pairs.roundOver(),
                "its temporary file for the driver to delete");
        assertFalse(pairs.holding());
        assertEquals(1.0, refused("peer"));
        assertEquals("lb2", pairs.held().get(0).from());
        assertEquals(1_000_007, pairs.held().get(0).since());
        assertEquals(List.of(), pairs.roundOver(), "once");
    }
}
