package dev.tandem.cluster.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

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
}
