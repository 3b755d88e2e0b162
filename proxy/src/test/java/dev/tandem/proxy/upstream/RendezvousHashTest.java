package dev.tandem.proxy.upstream;

import static dev.tandem.proxy.upstream.TestServers.ALL;
import static dev.tandem.proxy.upstream.TestServers.primaries;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RendezvousHashTest {

    private static final int CLIENTS = 20_000;

    private static long client(int i) {
        return RendezvousHash.hashAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i});
    }

    @Test
    void aClientStaysOnItsServer() {
        UpstreamServer[] s = primaries(1, 1, 1, 1);
        RendezvousHash b = new RendezvousHash();
        for (int i = 0; i < 100; i++) {
            UpstreamServer first = b.pick(s, ALL, client(i));
            for (int k = 0; k < 5; k++) {
                assertSame(first, b.pick(s, ALL, client(i)));
            }
            // a fresh instance (another event loop, or after a reload) agrees
            assertSame(first, new RendezvousHash().pick(s, ALL, client(i)));
        }
    }

    @Test
    void removingAServerMovesOnlyItsClients() {
        UpstreamServer[] s = primaries(1, 1, 1, 1);
        RendezvousHash b = new RendezvousHash();
        UpstreamServer removed = s[2];
        int moved = 0;
        for (int i = 0; i < CLIENTS; i++) {
            UpstreamServer before = b.pick(s, ALL, client(i));
            UpstreamServer after = b.pick(s, x -> x != removed, client(i));
            if (before == removed) {
                assertNotEquals(removed, after);
                moved++;
            } else {
                assertSame(before, after, "client " + i + " moved although its server stayed");
            }
        }
        // about a quarter of the clients were on the removed server
        assertTrue(moved > CLIENTS / 4 * 0.9 && moved < CLIENTS / 4 * 1.1, "moved " + moved);
    }

    @Test
    void clientsComeBackWhenTheirServerReturns() {
        UpstreamServer[] s = primaries(1, 1, 1);
        RendezvousHash b = new RendezvousHash();
        for (int i = 0; i < 1000; i++) {
            UpstreamServer home = b.pick(s, ALL, client(i));
            b.pick(s, x -> x != home, client(i));
            assertSame(home, b.pick(s, ALL, client(i)));
        }
    }

    @Test
    void clientsSpreadByWeight() {
        UpstreamServer[] s = primaries(3, 1);
        RendezvousHash b = new RendezvousHash();
        Map<UpstreamServer, Integer> counts = new HashMap<>();
        for (int i = 0; i < CLIENTS; i++) {
            counts.merge(b.pick(s, ALL, client(i)), 1, Integer::sum);
        }
        double share = counts.get(s[0]) / (double) CLIENTS;
        assertEquals(0.75, share, 0.02);
    }

    @Test
    void distinctAddressesHashApart() {
        assertNotEquals(RendezvousHash.hashAddress(new byte[] {10, 0, 0, 1}),
                RendezvousHash.hashAddress(new byte[] {10, 0, 0, 2}));
        assertEquals(RendezvousHash.hashAddress(new byte[] {10, 0, 0, 1}),
                RendezvousHash.hashAddress(new byte[] {10, 0, 0, 1}));
    }
}
