package dev.tandem.cluster.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DnsLedgerTest {

    @TempDir
    Path dir;

    private static InetAddress ip(String a) throws Exception {
        return InetAddress.getByName(a);
    }

    @Test
    void whatIsAddedIsOnDiskForTheNextRunAndForgottenOnceGone() throws Exception {
        Path file = DnsLedger.file(dir.resolve("state"), "lb1");
        DnsLedger l = DnsLedger.open(file);
        assertFalse(l.contains("www.example.com.", ip("198.51.100.7")));
        l.add("www.example.com.", List.of(ip("198.51.100.7")));
        l.add("all.example.com.", List.of(ip("198.51.100.7"), ip("2001:db8::7")));
        DnsLedger again = DnsLedger.open(file);
        assertTrue(again.contains("www.example.com.", ip("198.51.100.7")));
        assertFalse(again.contains("www.example.com.", ip("2001:db8::7")), "per record");
        assertEquals(Set.of("198.51.100.7", "2001:db8:0:0:0:0:0:7"), again.values("all.example.com."));
        // A read without it: no longer Tandem's.
        again.retain("all.example.com.", Set.of(ip("2001:db8::7"), ip("192.0.2.200")));
        assertEquals(Set.of("2001:db8:0:0:0:0:0:7"), DnsLedger.open(file).values("all.example.com."));
        again.remove("www.example.com.", List.of(ip("198.51.100.7")));
        assertEquals(Set.of(), DnsLedger.open(file).values("www.example.com."));
        assertEquals(List.of("all.example.com. 2001:db8:0:0:0:0:0:7"), Files.readAllLines(file));
        assertFalse(Files.exists(file.resolveSibling(file.getFileName() + ".tmp")));
    }
}
