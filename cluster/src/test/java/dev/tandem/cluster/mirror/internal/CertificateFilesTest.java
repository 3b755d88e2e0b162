package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.mirror.CertificateCheck;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A certificate and its key as one unit, read off the disk and temporary files as the engine does, on a clock
 * the test moves. The check here: a pair passes when the certificate's text "cert N" and the key's "key N" have
 * the same N. (The decisions alone, on the bytes given: {@link CertificatePairsTest}.)
 */
class CertificateFilesTest {

    @TempDir
    Path dir;
    private Path cert;
    private Path key;
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private CertificateFiles<String> pairs;

    @BeforeEach
    void setUp() throws Exception {
        cert = dir.resolve("site.pem");
        key = dir.resolve("site.key");
        Files.writeString(cert, "cert 1");
        Files.writeString(key, "key 1");
        CertificateCheck.Pair pair = new CertificateCheck.Pair(cert, key);
        CertificateCheck check = new CertificateCheck() {
            @Override
            public Optional<Pair> pairOf(Path file) {
                return file.equals(cert) || file.equals(key) ? Optional.of(pair) : Optional.empty();
            }

            @Override
            public Verdict check(Pair p, byte[] c, byte[] k) {
                String cn = new String(c).replace("cert ", "");
                String kn = new String(k).replace("key ", "");
                return new Verdict(cn.equals(kn) ? List.of() : List.of(p.key() + ": the key does not match the certificate"),
                        List.of());
            }
        };
        pairs = new CertificateFiles<>(new CertificatePairs<>(check, now::get, meters));
    }

    private double refused(String origin) {
        return meters.get("tandem_mirror_certificate_pairs_refused_total").tag("origin", origin).counter().count();
    }

    private Path temp(String name, String text) throws Exception {
        Path t = dir.resolve(".tandem-mirror-" + name);
        Files.writeString(t, text);
        return t;
    }

    @Test
    void otherFilesAreNotPairs() {
        assertEquals(CertificatePairs.Local.NOT_A_PAIR, pairs.local(dir.resolve("index.html"), LocalDisk.INSTANCE));
    }

    @Test
    void aRenewalHereGoesOutWhenBothHalvesAreInAndTogether() throws Exception {
        Files.writeString(cert, "cert 2");
        CertificatePairs.Local first = pairs.local(cert, LocalDisk.INSTANCE);
        assertTrue(first.held(), "the key is not there yet");
        assertEquals(CertificatePairs.SETTLE, first.recheckIn());
        now.addAndGet(500);
        Files.writeString(key, "key 2");
        CertificatePairs.Local second = pairs.local(key, LocalDisk.INSTANCE);
        assertFalse(second.held());
        assertEquals(cert, second.partner(), "the certificate goes with it");
        assertFalse(pairs.local(cert, LocalDisk.INSTANCE).held());
        assertEquals(0.0, refused("here"), "a renewal within the settle is no refusal");
    }

    @Test
    void aBadPairHereIsHeldThenReportedOnceAndSentWhenFixed() throws Exception {
        Files.writeString(cert, "cert 3");
        Files.writeString(key, "key 4");
        assertEquals(Duration.ofSeconds(2), pairs.local(cert, LocalDisk.INSTANCE).recheckIn());
        now.addAndGet(1500);
        assertEquals(Duration.ofMillis(500), pairs.local(key, LocalDisk.INSTANCE).recheckIn(), "the settle runs from the first half");
        now.addAndGet(500);
        CertificatePairs.Local reported = pairs.local(cert, LocalDisk.INSTANCE);
        assertTrue(reported.held());
        assertNull(reported.recheckIn());
        assertEquals(1.0, refused("here"));
        pairs.local(key, LocalDisk.INSTANCE);
        assertEquals(1.0, refused("here"), "reported once, not at every look");

        Files.writeString(key, "key 3");
        CertificatePairs.Local fixed = pairs.local(key, LocalDisk.INSTANCE);
        assertFalse(fixed.held());
        assertEquals(cert, fixed.partner());
    }

    @Test
    void aBadMomentThatWentAwayLeavesTheNextRenewalItsOwnSettle() throws Exception {
        Files.writeString(cert, "cert 2");
        assertTrue(pairs.local(cert, LocalDisk.INSTANCE).held());
        // put back as it was (the engine then never asks again), and much later a renewal begins
        now.addAndGet(Duration.ofMinutes(10).toMillis());
        Files.writeString(cert, "cert 3");
        CertificatePairs.Local renewal = pairs.local(cert, LocalDisk.INSTANCE);
        assertTrue(renewal.held());
        assertEquals(CertificatePairs.SETTLE, renewal.recheckIn(), "quiet for the whole settle");
        assertEquals(0.0, refused("here"));
    }

    @Test
    void aReceivedRenewalIsHeldUntilItsOtherHalfThenBothGoInPlace() throws Exception {
        Path newCert = temp("c", "cert 2");
        CertificatePairs.Received<String> c = pairs.received(cert, newCert, "cert v2", "lb2");
        assertEquals(CertificatePairs.Action.HOLD, c.action());
        assertTrue(pairs.holding());
        Path newKey = temp("k", "key 2");
        CertificatePairs.Received<String> k = pairs.received(key, newKey, "key v2", "lb2");
        assertEquals(CertificatePairs.Action.INSTALL, k.action());
        assertEquals("cert v2", k.partner(), "the held certificate goes in place right after the key");
        assertFalse(pairs.holding());
        assertEquals(0.0, refused("peer"));
    }

    @Test
    void aReceivedHalfThatMatchesTheOtherHalfInPlaceGoesAtOnce() throws Exception {
        Files.writeString(key, "key 5");
        CertificatePairs.Received<String> c = pairs.received(cert, temp("c", "cert 5"), "cert v5", "lb2");
        assertEquals(CertificatePairs.Action.INSTALL, c.action());
        assertNull(c.partner());
    }

    @Test
    void aReceivedBadPairIsRefusedWhole() throws Exception {
        assertEquals(CertificatePairs.Action.HOLD, pairs.received(cert, temp("c", "cert 6"), "cert v6", "lb2").action());
        CertificatePairs.Received<String> k = pairs.received(key, temp("k", "key 7"), "key v7", "lb2");
        assertEquals(CertificatePairs.Action.REFUSE, k.action());
        assertEquals("cert v6", k.partner(), "the held certificate is dropped too");
        assertTrue(k.errors().get(0).contains("does not match"));
        assertFalse(pairs.holding());
        assertEquals(1.0, refused("peer"));
    }

    @Test
    void aReceivedHalfWhoseOtherHalfNeverComesIsRefusedWhenTheRoundIsOver() throws Exception {
        Path t = temp("c", "cert 8");
        pairs.received(cert, t, "cert v8", "lb2");
        assertEquals(List.of("cert v8"), pairs.roundOver());
        assertFalse(Files.exists(t), "its temporary file is gone");
        assertEquals(1.0, refused("peer"));
        assertEquals("cert 1", Files.readString(cert));
    }

    @Test
    void aPairHeldHereIsListedOnceReportedAndLeavesTheListWhenFixed() throws Exception {
        Files.writeString(cert, "cert 3");
        Files.writeString(key, "key 4");
        pairs.local(cert, LocalDisk.INSTANCE);
        assertTrue(pairs.held().isEmpty(), "quiet while it settles");
        now.addAndGet(2000);
        pairs.local(cert, LocalDisk.INSTANCE);
        List<CertificatePairs.HeldPair> held = pairs.held();
        assertEquals(1, held.size());
        CertificatePairs.HeldPair h = held.get(0);
        assertEquals(cert, h.cert());
        assertEquals(key, h.key());
        assertEquals("here", h.from());
        assertEquals(1_000_000, h.since());
        assertTrue(h.errors().get(0).contains("does not match"), h.errors().toString());
        Files.writeString(key, "key 3");
        pairs.local(key, LocalDisk.INSTANCE);
        assertTrue(pairs.held().isEmpty());
    }

    @Test
    void aReceivedPairRefusedIsListedUntilAGoodOneComes() throws Exception {
        pairs.received(cert, temp("c", "cert 6"), "cert v6", "lb2");
        assertTrue(pairs.held().isEmpty(), "a half waiting for its other half is no refusal yet");
        pairs.received(key, temp("k", "key 7"), "key v7", "lb2");
        List<CertificatePairs.HeldPair> held = pairs.held();
        assertEquals(1, held.size());
        assertEquals("lb2", held.get(0).from());
        assertEquals(cert, held.get(0).cert());

        pairs.received(cert, temp("c", "cert 9"), "cert v9", "lb3");
        pairs.roundOver();
        assertEquals("lb3", pairs.held().get(0).from(), "a half refused at the end of its round, listed by its pair");

        assertEquals(CertificatePairs.Action.INSTALL, pairs.received(cert, temp("c", "cert 1"), "cert v1", "lb2").action());
        assertTrue(pairs.held().isEmpty(), "a pair of the peer's that passes ends it");
    }

    @Test
    void aHalfMissingOnDiskIsAnErrorOfThePair() throws Exception {
        Files.delete(key);
        pairs.local(cert, LocalDisk.INSTANCE);
        now.addAndGet(CertificatePairs.SETTLE.toMillis());
        assertTrue(pairs.local(cert, LocalDisk.INSTANCE).held());
        assertEquals(List.of(key + ": no such file"), pairs.held().get(0).errors());
    }

    @Test
    void aHalfLargerThanACertificateIsNotRead() throws Exception {
        Files.write(cert, new byte[CertificatePairs.MAX_BYTES + 1]);
        assertTrue(CertificateFiles.read(cert).problem().startsWith("larger than"));
        assertNull(CertificateFiles.read(cert).content());
    }

    @Test
    void aReceivedHalfSentAgainReplacesTheOneHeldAndItsTemporaryFileIsDeleted() throws Exception {
        Path first = temp("c1", "cert 2");
        pairs.received(cert, first, "cert v2", "lb2");
        Path second = temp("c2", "cert 3");
        assertEquals(CertificatePairs.Action.HOLD, pairs.received(cert, second, "cert v3", "lb2").action());
        assertFalse(Files.exists(first), "the half it replaces is gone");
        assertTrue(Files.exists(second));
        CertificatePairs.Received<String> k = pairs.received(key, temp("k", "key 3"), "key v3", "lb2");
        assertEquals(CertificatePairs.Action.INSTALL, k.action(), "checked with the held half read from its file");
        assertEquals("cert v3", k.partner());
    }
}
