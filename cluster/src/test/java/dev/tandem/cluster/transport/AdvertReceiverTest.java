package dev.tandem.cluster.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.cluster.wire.Advert;
import dev.tandem.cluster.wire.AdvertCodec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AdvertReceiverTest {

    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes();
    private static final String VIP = "192.0.2.10";
    private final AdvertCodec sender = new AdvertCodec(ClusterKeys.of(SECRET).hmac(ClusterKeys.ADVERTS));
    private MeterRegistry meters = new SimpleMeterRegistry();

    private AdvertReceiver receiver() throws Exception {
        meters = new SimpleMeterRegistry();
        return new AdvertReceiver(new AdvertCodec(ClusterKeys.of(SECRET).hmac(ClusterKeys.ADVERTS)), "b",
                Map.of("a", InetAddress.getByName("10.0.0.11"), "b", InetAddress.getByName("10.0.0.12"),
                        "c", InetAddress.getByName("10.0.0.13")),
                Set.of(VIP), meters, System::nanoTime);
    }

    private static InetSocketAddress from(String address) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(address), 7400);
    }

    private Advert receive(AdvertReceiver r, Advert a, String source) throws Exception {
        ByteBuf buf = Unpooled.buffer();
        try {
            sender.encode(a, buf);
            return r.receive(buf, from(source));
        } finally {
            buf.release();
        }
    }

    private double count(String direction, String reason) {
        return meters.get("tandem_cluster_adverts_total").tags("direction", direction, "reason", reason).counter().count();
    }

    private static Advert advert(String node, long epoch, long sequence) {
        return new Advert(node, VIP, 250, 100, epoch, sequence, Advert.MASTER);
    }

    @Test
    void acceptsAFreshAdvertFromTheAddressItsNodeHas() throws Exception {
        AdvertReceiver r = receiver();
        assertNotNull(receive(r, advert("a", 1, 1), "10.0.0.11"));
        assertNotNull(receive(r, advert("a", 1, 2), "::ffff:10.0.0.11"), "an IPv4-mapped source is the same address");
        assertEquals(2, count("received", "none"));
    }

    @Test
    void aNodeBehindNatIsAcceptedFromItsDialledOrItsBoundAddressOnly() throws Exception {
        meters = new SimpleMeterRegistry();
        AdvertReceiver r = new AdvertReceiver(new AdvertCodec(ClusterKeys.of(SECRET).hmac(ClusterKeys.ADVERTS)), "b",
                Map.of("a", List.of(InetAddress.getByName("198.51.100.7"), InetAddress.getByName("10.0.0.11")),
                        "b", List.of(InetAddress.getByName("203.0.113.9"))),
                Set.of(VIP), meters, System::nanoTime, true);
        assertNotNull(receive(r, advert("a", 1, 1), "198.51.100.7"), "across NAT: the public address");
        assertNotNull(receive(r, advert("a", 1, 2), "10.0.0.11"), "in the same network: the private one");
        assertNull(receive(r, advert("a", 1, 3), "10.0.0.12"));
        assertEquals(1, count("rejected", "wrong_source"));
    }

    @Test
    void rejectsANodeNameThatIsNotItsSources() throws Exception {
        AdvertReceiver r = receiver();
        assertNull(receive(r, advert("a", 1, 1), "10.0.0.13"));
        assertEquals(1, count("rejected", "wrong_source"));
        // the forged one moved no mark: a's own advert is still accepted
        assertNotNull(receive(r, advert("a", 1, 1), "10.0.0.11"));
    }

    @Test
    void rejectsReplaysUnknownNodesSelfAndUnknownVips() throws Exception {
        AdvertReceiver r = receiver();
        assertNotNull(receive(r, advert("a", 1, 5), "10.0.0.11"));
        assertNull(receive(r, advert("a", 1, 5), "10.0.0.11"));
        assertNull(receive(r, advert("z", 1, 1), "10.0.0.11"));
        assertNull(receive(r, advert("b", 1, 1), "10.0.0.12"));
        assertNull(receive(r, new Advert("a", "192.0.2.99", 250, 100, 1, 6, 0), "10.0.0.11"));
        assertEquals(1, count("rejected", "replay"));
        assertEquals(2, count("rejected", "unknown_node"));
        assertEquals(1, count("rejected", "unknown_vip"));
    }

    /**
     * What holds across restarts: the sender's boot count grows with each start, so its earlier runs' packets are
     * dropped by a receiver that has heard its current run, even a receiver that restarted in between (its marks
     * are in memory). Before it hears the current run, a just-started receiver accepts one old packet; the
     * sender's next advert raises the mark past it.
     */
    @Test
    void aRestartedReceiverDropsReplaysOfEarlierRunsOnceItHasHeardTheCurrentOne() throws Exception {
        Advert oldRun = advert("a", 41, 900);
        AdvertReceiver first = receiver();
        assertNotNull(receive(first, oldRun, "10.0.0.11"));
        assertNotNull(receive(first, advert("a", 42, 1), "10.0.0.11"), "the sender restarted: boot 42");
        assertNull(receive(first, oldRun, "10.0.0.11"));

        AdvertReceiver restarted = receiver();
        assertNotNull(receive(restarted, advert("a", 42, 30), "10.0.0.11"));
        assertNull(receive(restarted, oldRun, "10.0.0.11"), "an earlier run's packet, replayed after the restart");
        assertNull(receive(restarted, advert("a", 42, 30), "10.0.0.11"), "this run's packet, replayed");
        assertEquals(2, count("rejected", "replay"));

        AdvertReceiver fresh = receiver();
        assertNotNull(receive(fresh, oldRun, "10.0.0.11"), "before the current run is heard: accepted once");
        assertNotNull(receive(fresh, advert("a", 42, 31), "10.0.0.11"));
        assertNull(receive(fresh, oldRun, "10.0.0.11"));
    }

    @Test
    void aPresenceAdvertIsAcceptedAboutNoVipAndMovesTheMark() throws Exception {
        AdvertReceiver r = receiver();
        Advert presence = receive(r, Advert.presence("a", 100, 42, 7), "10.0.0.11");
        assertNotNull(presence);
        assertTrue(presence.isPresence());
        assertEquals(1, count("received", "none"));
        assertNull(receive(r, advert("a", 42, 6), "10.0.0.11"), "older than the presence: a replay");
        assertNull(receive(r, Advert.presence("a", 100, 42, 7), "10.0.0.11"), "the presence, replayed");
        assertEquals(2, count("rejected", "replay"));
        assertEquals(0, count("rejected", "unknown_vip"));
    }

    @Test
    void aPresenceAdvertFromAnotherAddressIsRejectedAndMovesNoMark() throws Exception {
        AdvertReceiver r = receiver();
        // c's address, claiming to be a: counted as wrong_source, and a's mark stays where it was
        assertNull(receive(r, Advert.presence("a", 100, 42, 1_000_000), "10.0.0.13"));
        assertEquals(1, count("rejected", "wrong_source"));
        assertNotNull(receive(r, advert("a", 42, 1), "10.0.0.11"));
    }

    /**
     * The defect a backup's silence left open: a receiver that has just started, and has not heard a silent peer's
     * current run, accepts that peer's recorded adverts of an earlier run, in order, for as long as they come.
     * Once the peer's presence advert is in, none is.
     */
    @Test
    void aRestartedReceiverDropsASilentPeersRecordedAdvertsOnceItsPresenceIsIn() throws Exception {
        AdvertReceiver restarted = receiver();
        assertNotNull(receive(restarted, advert("a", 41, 500), "10.0.0.11"), "before the presence: accepted");
        assertNotNull(receive(restarted, Advert.presence("a", 100, 42, 3), "10.0.0.11"));
        for (long sequence = 501; sequence < 510; sequence++) {
            assertNull(receive(restarted, advert("a", 41, sequence), "10.0.0.11"), "an earlier run's advert " + sequence);
        }
        assertNull(receive(restarted, advert("a", 42, 2), "10.0.0.11"), "this run's advert from before the presence");
        assertEquals(10, count("rejected", "replay"));
    }
}
