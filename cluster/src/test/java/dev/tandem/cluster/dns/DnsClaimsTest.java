package dev.tandem.cluster.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DnsClaimsTest {

    private static final String WWW = "www.example.com.";
    private static final String ALL = "all.example.com.";

    @TempDir
    Path dir;

    private DnsClaims claims(String self, List<String> records) throws Exception {
        Map<String, InetAddress> addresses = Map.of("lb1", InetAddress.getByName("198.51.100.7"),
                "lb2", InetAddress.getByName("203.0.113.9"));
        // Both "threads" run a task at once: the order is the one the driver's single threads keep.
        return new DnsClaims(self, addresses, records, DnsLedger.open(dir.resolve(self + ".added")), Runnable::run,
                Runnable::run);
    }

    @Test
    void aNodeClaimsTheValuesItAddedAndAPeerTakesTheClaimIn() throws Exception {
        DnsClaims lb1 = claims("lb1", List.of(WWW, ALL));
        assertEquals("@node:lb2", lb1.withClaims("@node:lb2", false), "nothing added yet");
        lb1.ledger().add(WWW, List.of(InetAddress.getByName("198.51.100.7")));
        lb1.publish();
        String heartbeat = lb1.withClaims("@node:lb2", false);
        assertEquals("@node:lb2,+" + DnsClaims.tag(WWW), heartbeat);
        assertEquals("@node:+" + DnsClaims.tag(WWW), lb1.withClaims("@node:", true));

        DnsClaims lb2 = claims("lb2", List.of(WWW, ALL));
        assertEquals(Set.of(), lb2.addedNodes(WWW));
        for (String item : heartbeat.substring("@node:".length()).split(",")) {
            if (DnsClaims.isClaim(item)) {
                lb2.claimed("lb1", item);
            }
        }
        assertEquals(Set.of("lb1"), lb2.addedNodes(WWW));
        assertEquals(Set.of(), lb2.addedNodes(ALL));
        assertEquals(Set.of("198.51.100.7"), DnsLedger.open(dir.resolve("lb2.added")).values(WWW), "kept on disk");
        // A claim of a record this node does not have, or in a node's name for another, changes nothing.
        lb2.claimed("lb1", "+00000000");
        lb2.claimed("lb2", "+" + DnsClaims.tag(ALL));
        assertEquals(Set.of(), lb2.addedNodes(ALL));
        // Read back without it: forgotten.
        lb2.readBack(WWW, Set.of(InetAddress.getByName("192.0.2.200")));
        assertEquals(Set.of(), lb2.addedNodes(WWW));
    }

    @Test
    void claimsThatDoNotFitTheAdvertAreLeftOut() throws Exception {
        List<String> many = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            many.add("r" + i + ".example.com.");
        }
        DnsClaims lb1 = claims("lb1", many);
        for (String r : many) {
            lb1.ledger().add(r, List.of(InetAddress.getByName("198.51.100.7")));
        }
        lb1.publish();
        String heartbeat = lb1.withClaims("@node:lb2", false);
        assertTrue(heartbeat.length() <= DnsClaims.HEARTBEAT_MAX, heartbeat);
        assertTrue(heartbeat.length() > DnsClaims.HEARTBEAT_MAX - 10, heartbeat);
    }
}
