package dev.tandem.cluster.vip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.VipConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The record of what a node put on its host: durable before, struck off after, read back by the next run. */
class HeldAddressesTest {

    @TempDir
    Path dir;

    private static final VipConfig VIP = new VipConfig("203.0.113.10", 24, "eth0", List.of("a"));
    private static final VipConfig V6 = new VipConfig("2001:db8::10", 64, "eth1", List.of("a"));

    @Test
    void whatIsAddedIsOnDiskAndTheNextRunReadsIt() throws Exception {
        Path state = dir.resolve("state");
        HeldAddresses record = HeldAddresses.open(state, "a");
        assertFalse(Files.exists(state), "nothing written before something is added");
        record.add(Held.address(VIP));
        record.add(Held.quiet(VIP));
        record.add(Held.address(V6));
        Path file = state.resolve("cluster-a.held");
        assertEquals(file, record.file());
        String text = Files.readString(file);
        assertTrue(text.contains("address 203.0.113.10/24 eth0\n"), text);
        assertTrue(text.contains("table arp tandem_203_0_113_10\n"), text);
        assertTrue(text.contains("address 2001:db8::10/64 eth1\n"), text);
        assertFalse(Files.exists(state.resolve("cluster-a.held.tmp")));

        // a process killed now: the next one starts from what this one left
        HeldAddresses next = HeldAddresses.open(state, "a");
        assertEquals(List.of(Held.address(VIP), Held.quiet(VIP), Held.address(V6)), next.held());
        next.remove(List.of(Held.quiet(VIP), Held.address(V6)));
        assertEquals(List.of(Held.address(VIP)), HeldAddresses.read(file));
        next.remove(List.of(Held.address(VIP)));
        assertFalse(Files.exists(file), "an empty record is no file");
        assertEquals(List.of(), HeldAddresses.read(file));
    }

    @Test
    void aTornOrCorruptRecordIsIgnoredNotAnError() throws Exception {
        Path file = HeldAddresses.file(dir, "a");
        String whole = HeldAddresses.format("a", List.of(Held.address(VIP), Held.forwarding(VIP)));
        assertEquals(List.of(Held.address(VIP), Held.forwarding(VIP)), HeldAddresses.parse(whole));
        for (String damaged : List.of(
                whole.substring(0, whole.length() / 2),                       // torn mid-write
                whole.replace("203.0.113.10/24", "203.0.113.11/24"),          // a flipped byte
                "",                                                            // empty
                "\0\0\0\0",                                                    // zeros from a crash
                "address 1.2.3.4/24 eth0\ncrc32 zz\n")) {
            Files.writeString(file, damaged, StandardCharsets.UTF_8);
            assertEquals(List.of(), HeldAddresses.read(file), damaged);
            // and it never keeps a start from recording
            HeldAddresses record = HeldAddresses.open(dir, "a");
            assertEquals(List.of(), record.held());
            record.add(Held.address(VIP));
            assertEquals(List.of(Held.address(VIP)), HeldAddresses.read(file));
            record.remove(List.of(Held.address(VIP)));
        }
        assertThrows(IllegalArgumentException.class, () -> HeldAddresses.parse("table inet other\ncrc32 0\n"));
    }

    @Test
    void aNodeThatHoldsSomethingHoldsItsLock() throws Exception {
        assertFalse(HeldAddresses.inUse(dir, "a"), "no lock file: nothing held");
        HeldAddresses record = HeldAddresses.open(dir, "a");
        record.add(Held.address(VIP));
        assertTrue(HeldAddresses.inUse(dir, "a"));
        assertFalse(HeldAddresses.inUse(dir, "b"));
        record.remove(List.of(Held.address(VIP)));
        assertFalse(HeldAddresses.inUse(dir, "a"), "holding nothing, it lets a cleanup run");
        record.add(Held.address(VIP));
        assertTrue(HeldAddresses.inUse(dir, "a"));
    }
}
