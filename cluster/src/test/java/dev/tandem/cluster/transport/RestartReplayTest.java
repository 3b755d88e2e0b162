package dev.tandem.cluster.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.election.ElectionSettings;
import dev.tandem.cluster.election.Reason;
import dev.tandem.cluster.election.VipElection;
import dev.tandem.cluster.election.VipState;
import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.cluster.wire.Advert;
import dev.tandem.cluster.wire.AdvertCodec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A master that restarts while its peer is a silent backup, and an attacker who recorded the peer's adverts
 * (signed with the right key) from an earlier run, when the peer held the VIP at a higher priority: the parts a
 * node puts together (the backup's {@link PresenceSchedule}, the codec, the restarted node's fresh
 * {@link AdvertReceiver} and {@link VipElection}), on a clock the test moves.
 */
class RestartReplayTest {

    private static final long MS = 1_000_000L;
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes();
    private static final String VIP = "192.0.2.10";
    private static final Duration INTERVAL = Duration.ofMillis(100);

    private final AdvertCodec sender = new AdvertCodec(ClusterKeys.of(SECRET).hmac(ClusterKeys.ADVERTS));
    private final MeterRegistry meters = new SimpleMeterRegistry();
    private final List<Reason> moves = new ArrayList<>();
    private long now;

    private AdvertReceiver restartedReceiver() throws Exception {
        return new AdvertReceiver(new AdvertCodec(ClusterKeys.of(SECRET).hmac(ClusterKeys.ADVERTS)), "a",
                Map.of("a", InetAddress.getByName("10.0.0.11"), "b", InetAddress.getByName("10.0.0.12")),
                Set.of(VIP), meters, () -> now);
    }

    private VipElection restartedElection() {
        return new VipElection(new ElectionSettings(VIP, "a", 200, INTERVAL, true, Duration.ZERO), peer -> false,
                new VipElection.Output() {
                    @Override
                    public void send(int priority, int flags) {
                    }

                    @Override
                    public void transition(VipState from, VipState to, Reason reason) {
                        moves.add(reason);
                    }
                });
    }

    /** What the node does with a packet from b's address: the receiver's checks, then the election. */
    private void deliver(AdvertReceiver receiver, VipElection election, Advert a) throws Exception {
        ByteBuf buf = Unpooled.buffer();
        try {
            sender.encode(a, buf);
            Advert heard = receiver.receive(buf, new InetSocketAddress(InetAddress.getByName("10.0.0.12"), 7400));
            if (heard != null && (heard.isPresence() || heard.vip().equals(VIP))) {
                election.onAdvert(now, heard.node(), heard);
            }
        } finally {
            buf.release();
        }
    }

    private double replays() {
        return meters.get("tandem_cluster_adverts_total").tags("direction", "rejected", "reason", "replay").counter().count();
    }

    @Test
    void aRestartedMasterHoldsTheVipAgainstRecordedAdvertsOnceTheSilentBackupsPresenceIsIn() throws Exception {
        AdvertReceiver receiver = restartedReceiver();
        VipElection a = restartedElection();
        // b, preferred (250), runs boot 42 in maintenance: a backup, silent but for its presence adverts
        PresenceSchedule b = new PresenceSchedule(PresenceSchedule.period(INTERVAL));
        b.start(-60_000 * MS);
        b.sent(-60_000 * MS);
        long bSequence = 1_000;
        // what the attacker recorded: b's adverts of boot 41, as master at 250
        long recorded = 0;
        // b's packets to a are lost until 1 s (a link still coming up after a's restart): b is silent to a
        long heardFromB = 1_000 * MS;

        a.start(0);
        long firstPresenceIn = -1;
        long believed = 0;
        for (now = 0; now <= 6_000 * MS; now += 10 * MS) {
            if (b.due(now)) {
                b.sent(now);
                if (now >= heardFromB) {
                    deliver(receiver, a, Advert.presence("b", 100, 42, ++bSequence));
                    firstPresenceIn = firstPresenceIn < 0 ? now : firstPresenceIn;
                } else {
                    ++bSequence;
                }
            }
            if (now >= 500 * MS && now % (100 * MS) == 0) {
                deliver(receiver, a, new Advert("b", VIP, 250, 100, 41, ++recorded, Advert.MASTER | Advert.ANNOUNCED));
                believed += firstPresenceIn < 0 ? 1 : 0;
            }
            if (a.nextDeadline() - now <= 0) {
                a.tick(now);
            }
            if (now == 900 * MS) {
                // the window before b is heard: the recording is believed, a stepped down for the "preferred master"
                assertEquals(VipState.BACKUP, a.state());
                assertEquals("b", a.master());
                assertEquals(List.of(Reason.STARTUP, Reason.MASTER_DOWN, Reason.HIGHER_PRIORITY), moves);
            }
            if (firstPresenceIn >= 0 && now >= firstPresenceIn + 3 * 100 * MS + 100 * MS) {
                // b is heard: every recorded advert is a replay, and a took the VIP back within a master-down interval
                assertEquals(VipState.MASTER, a.state(), "at " + now / MS + " ms");
            }
        }
        assertTrue(firstPresenceIn >= heardFromB && firstPresenceIn < heardFromB + 300 * MS, "presence at " + firstPresenceIn);
        assertEquals(7, believed, "500 ms to 1.1 s");
        assertEquals(recorded - believed, replays(), "every recorded advert after b's presence is a replay");
        assertEquals(List.of(Reason.STARTUP, Reason.MASTER_DOWN, Reason.HIGHER_PRIORITY, Reason.MASTER_DOWN), moves);
        assertEquals("a", a.master());
    }
}
