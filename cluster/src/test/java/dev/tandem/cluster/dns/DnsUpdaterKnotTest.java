package dev.tandem.cluster.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.conf.DnsConfig;
import dev.tandem.conf.HostPort;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The updater against a real authoritative server (knot) on loopback, with a TSIG key. */
class DnsUpdaterKnotTest {

    private static final String WWW = "www.example.com.";

    @TempDir
    Path dir;
    private KnotServer knot;

    @BeforeEach
    void start() throws IOException {
        assumeTrue(KnotServer.installed(), "knotd is not installed (apt-get install knot): no server to update");
        knot = new KnotServer(dir);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (knot != null) {
            knot.close();
        }
    }

    private DnsConfig config(Path keyFile) {
        return new DnsConfig(new HostPort("127.0.0.1", knot.port), "example.com.",
                new DnsConfig.Tsig("tandem-key.", "hmac-sha256", keyFile), Duration.ofSeconds(30),
                List.of(new DnsConfig.Record(WWW, Duration.ofSeconds(5), DnsConfig.Mode.FAILOVER, List.of("a", "b"))));
    }

    private static InetAddress ip(String a) throws IOException {
        return InetAddress.getByName(a);
    }

    private DnsLedger ledger() throws IOException {
        return DnsLedger.open(dir.resolve("state").resolve("dns-a.added"));
    }

    @Test
    void updatesAreSignedReadBackAndLeaveForeignRecordsAlone() throws Exception {
        DnsUpdater u = new DnsUpdater(config(knot.keyFile), TsigSecret.read(knot.keyFile), Duration.ofSeconds(5));
        DnsLedger ledger = ledger();
        DnsUpdater.Readback before = u.read(WWW);
        assertEquals(Set.of(ip(KnotServer.FOREIGN)), before.addresses());
        DnsUpdater.Applied first = u.apply(WWW, Duration.ofSeconds(5), Set.of(ip("127.0.0.41")), Set.of(ip("127.0.0.42")),
                ledger);
        assertEquals(Set.of(ip(KnotServer.FOREIGN), ip("127.0.0.41")), first.back().addresses());
        assertEquals(Set.of(ip("127.0.0.41")), first.added());
        assertTrue(first.back().serial() > before.serial(), first + " after " + before);
        // The failover: the other node in, this one out, in one message; the foreign record stays.
        DnsUpdater.Applied moved = u.apply(WWW, Duration.ofSeconds(5), Set.of(ip("127.0.0.42")), Set.of(ip("127.0.0.41")),
                ledger);
        assertEquals(Set.of(ip(KnotServer.FOREIGN), ip("127.0.0.42")), moved.back().addresses());
        assertTrue(moved.back().serial() > first.back().serial());
        assertEquals(Set.of("127.0.0.42"), ledger.values(WWW), "the removed value is forgotten");
        // Idempotent: the same update again changes nothing and still checks out.
        DnsUpdater.Applied again = u.apply(WWW, Duration.ofSeconds(5), Set.of(ip("127.0.0.42")),
                Set.of(ip("127.0.0.41")), ledger);
        assertEquals(moved.back().addresses(), again.back().addresses());
        assertEquals(Set.of(), again.added());
        // An AAAA beside it.
        assertTrue(u.apply(WWW, Duration.ofSeconds(5), Set.of(ip("2001:db8::7")), Set.of(), ledger).back().addresses()
                .contains(ip("2001:db8::7")));
        // What is on disk is what a restarted node reads.
        assertEquals(Set.of("127.0.0.42", "2001:db8:0:0:0:0:0:7"), ledger().values(WWW));
    }

    @Test
    void anUpdateThatWouldEmptyTheRecordIsRefusedAndTheRecordStays() throws Exception {
        DnsUpdater u = new DnsUpdater(config(knot.keyFile), TsigSecret.read(knot.keyFile), Duration.ofSeconds(5));
        DnsLedger ledger = ledger();
        String all = "all.example.com.";
        assertEquals(Set.of(ip("127.0.0.41")),
                u.apply(all, Duration.ofSeconds(5), Set.of(ip("127.0.0.41")), Set.of(), ledger).back().addresses());
        // The last value, Tandem's own, removed with nothing in its place: two nodes that each decided on a read
        // still showing the other would do this between them.
        IOException refused = assertThrows(IOException.class,
                () -> u.apply(all, Duration.ofSeconds(5), Set.of(), Set.of(ip("127.0.0.41")), ledger));
        assertTrue(refused.getMessage().contains("would leave the record empty"), refused.getMessage());
        assertEquals(Set.of(ip("127.0.0.41")), u.read(all).addresses());
        assertTrue(ledger.contains(all, ip("127.0.0.41")));
    }

    @Test
    void aLedgerThatCannotBeWrittenDoesNotStopTheUpdate() throws Exception {
        DnsUpdater u = new DnsUpdater(config(knot.keyFile), TsigSecret.read(knot.keyFile), Duration.ofSeconds(5));
        DnsLedger ledger = ledger();
        // A directory where the ledger's file goes: the rename over it fails, as on a full or read-only disk.
        Path blocked = dir.resolve("state").resolve("dns-a.added");
        Files.createDirectories(blocked.resolve("in-the-way"));
        DnsUpdater.Applied a = u.apply(WWW, Duration.ofSeconds(5), Set.of(ip("127.0.0.41")), Set.of(), ledger);
        assertEquals(Set.of(ip(KnotServer.FOREIGN), ip("127.0.0.41")), a.back().addresses());
        assertEquals(Set.of(ip("127.0.0.41")), a.added());
        assertTrue(ledger.contains(WWW, ip("127.0.0.41")), "kept in memory, so this run may still remove it");
    }

    @Test
    void aValueAlreadyThereIsNotTakenForTandems() throws Exception {
        DnsUpdater u = new DnsUpdater(config(knot.keyFile), TsigSecret.read(knot.keyFile), Duration.ofSeconds(5));
        DnsLedger ledger = ledger();
        // The foreign value stands for a node's address written by hand: adding it adds nothing of Tandem's.
        DnsUpdater.Applied a = u.apply(WWW, Duration.ofSeconds(5), Set.of(ip(KnotServer.FOREIGN)), Set.of(), ledger);
        assertEquals(Set.of(ip(KnotServer.FOREIGN)), a.back().addresses());
        assertEquals(Set.of(), a.added());
        assertFalse(ledger.contains(WWW, ip(KnotServer.FOREIGN)));
        assertFalse(Files.exists(dir.resolve("state").resolve("dns-a.added")));
    }

    @Test
    void twoNodesDecidingOnTheSameEmptyReadWriteOneValueAndTheOtherIsRefused() throws Exception {
        String api = "api.example.com.";
        DnsUpdater a = new DnsUpdater(config(knot.keyFile), TsigSecret.read(knot.keyFile), Duration.ofSeconds(5));
        DnsUpdater b = new DnsUpdater(config(knot.keyFile), TsigSecret.read(knot.keyFile), Duration.ofSeconds(5));
        DnsLedger ledgerA = DnsLedger.open(dir.resolve("state").resolve("dns-a.added"));
        DnsLedger ledgerB = DnsLedger.open(dir.resolve("state").resolve("dns-b.added"));
        // Both decide on the same read: no node in the record, each writes itself in.
        DnsUpdater.Readback empty = a.read(api);
        assertEquals(Set.of(), empty.addresses());
        assertEquals(empty.addresses(), b.read(api).addresses());
        DnsUpdater.Applied first = a.apply(api, Duration.ofSeconds(5), empty, Set.of(ip("127.0.0.41")), Set.of(),
                ledgerA, () -> { });
        assertEquals(Set.of(ip("127.0.0.41")), first.back().addresses());
        // The second node's update carries the read it decided on: the server refuses it rather than add beside.
        DnsUpdater.RecordChanged refused = assertThrows(DnsUpdater.RecordChanged.class, () -> b.apply(api,
                Duration.ofSeconds(5), empty, Set.of(ip("127.0.0.42")), Set.of(), ledgerB, () -> { }));
        assertTrue(refused.getMessage().contains("YXRRSET"), refused.getMessage());
        assertFalse(ledgerB.contains(api, ip("127.0.0.42")), "a refused value is not Tandem's");
        // Read again, the other node sees the holder, alone.
        DnsUpdater.Readback again = b.read(api);
        assertEquals(Set.of(ip("127.0.0.41")), again.addresses());
        assertEquals(first.back().serial(), again.serial());
        // Decided on that read (a multi record: the second node adds itself beside), the update goes through.
        DnsUpdater.Applied second = b.apply(api, Duration.ofSeconds(5), again, Set.of(ip("127.0.0.42")), Set.of(),
                ledgerB, () -> { });
        assertEquals(Set.of(ip("127.0.0.41"), ip("127.0.0.42")), second.back().addresses());
        assertEquals(Set.of(ip("127.0.0.42")), second.added());
        assertEquals(Set.of("127.0.0.42"), ledgerB.values(api));
    }

    @Test
    void aRemovalDecidedOnAReadThatNoLongerHoldsIsRefused() throws Exception {
        DnsUpdater u = new DnsUpdater(config(knot.keyFile), TsigSecret.read(knot.keyFile), Duration.ofSeconds(5));
        DnsLedger ledger = ledger();
        DnsUpdater.Readback before = u.read(WWW);
        u.apply(WWW, Duration.ofSeconds(5), Set.of(ip("127.0.0.41")), Set.of(), ledger);
        // Decided on the read before .41 went in: the server's record is not that any more.
        assertThrows(DnsUpdater.RecordChanged.class, () -> u.apply(WWW, Duration.ofSeconds(5), before,
                Set.of(ip("127.0.0.42")), Set.of(ip("127.0.0.41")), ledger, () -> { }));
        assertEquals(Set.of(ip(KnotServer.FOREIGN), ip("127.0.0.41")), u.read(WWW).addresses());
        assertEquals(Set.of("127.0.0.41"), ledger.values(WWW), "what was Tandem's stays so; nothing else became");
    }

    @Test
    void aWrongKeyIsRefusedAndNothingChanges() throws Exception {
        Path wrong = dir.resolve("wrong.key");
        java.nio.file.Files.writeString(wrong, "c2VjcmV0IHRoYXQgaXMgbm90IHRoZSBzZXJ2ZXIncyBrZXk=\n");
        DnsUpdater bad = new DnsUpdater(config(wrong), TsigSecret.read(wrong), Duration.ofSeconds(5));
        DnsLedger ledger = ledger();
        assertThrows(IOException.class,
                () -> bad.apply(WWW, Duration.ofSeconds(5), Set.of(ip("127.0.0.41")), Set.of(), ledger));
        DnsUpdater good = new DnsUpdater(config(knot.keyFile), TsigSecret.read(knot.keyFile), Duration.ofSeconds(5));
        assertEquals(Set.of(ip(KnotServer.FOREIGN)), good.read(WWW).addresses());
    }
}
