package dev.tandem.cluster.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.key.ClusterKeys;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.crypto.Mac;
import org.junit.jupiter.api.Test;

class AdvertCodecTest {

    private static final byte[] SECRET = new byte[32];
    private final AdvertCodec codec = new AdvertCodec(ClusterKeys.of(SECRET).hmac(ClusterKeys.ADVERTS));
    private final Advert advert = new Advert("lb1", "203.0.113.10", 250, 100, 1_700_000_000_000_000L, 42,
            Advert.MASTER | Advert.ANNOUNCED);

    private ByteBuf encoded() {
        ByteBuf buf = Unpooled.buffer();
        codec.encode(advert, buf);
        return buf;
    }

    private AdvertCodec.Decoded decode(ByteBuf buf) {
        try {
            return codec.decode(buf);
        } finally {
            buf.release();
        }
    }

    @Test
    void roundTrip() {
        AdvertCodec.Decoded d = decode(encoded());
        assertTrue(d.ok());
        assertEquals(advert, d.advert());
    }

    @Test
    void aDrainReportKeepsItsParity() {
        Advert report = new Advert("lb1", "203.0.113.10", 0, 100, 1, 43, Advert.DRAINING | Advert.DRAIN_PARITY);
        ByteBuf buf = Unpooled.buffer();
        codec.encode(report, buf);
        AdvertCodec.Decoded d = decode(buf);
        assertTrue(d.ok());
        assertEquals(report, d.advert());
    }

    @Test
    void everyFlippedBitIsAForgery() {
        ByteBuf good = encoded();
        try {
            for (int i = 6; i < good.readableBytes(); i++) {
                ByteBuf bad = good.copy();
                bad.setByte(i, bad.getByte(i) ^ 0x10);
                AdvertCodec.Decoded d = decode(bad);
                assertFalse(d.ok(), "byte " + i);
                // a length byte that changes moves the MAC: malformed or bad MAC, never accepted
                assertTrue(d.rejection() == Rejection.BAD_MAC || d.rejection() == Rejection.MALFORMED, "byte " + i);
            }
        } finally {
            good.release();
        }
    }

    @Test
    void anotherKeyIsABadMac() {
        byte[] other = new byte[32];
        Arrays.fill(other, (byte) 1);
        ByteBuf buf = Unpooled.buffer();
        new AdvertCodec(ClusterKeys.of(other).hmac(ClusterKeys.ADVERTS)).encode(advert, buf);
        assertEquals(Rejection.BAD_MAC, decode(buf).rejection());
        // the mirror's key of the same secret does not make adverts either
        ByteBuf mirror = Unpooled.buffer();
        new AdvertCodec(ClusterKeys.of(SECRET).hmac(ClusterKeys.MIRROR)).encode(advert, mirror);
        assertEquals(Rejection.BAD_MAC, decode(mirror).rejection());
    }

    @Test
    void truncatedAndPaddedPacketsAreMalformed() {
        ByteBuf good = encoded();
        try {
            for (int n = 0; n < good.readableBytes(); n++) {
                AdvertCodec.Decoded d = decode(good.copy(0, n));
                assertFalse(d.ok(), "length " + n);
                assertTrue(d.rejection() == Rejection.MALFORMED || d.rejection() == Rejection.BAD_MAC, "length " + n);
            }
            ByteBuf padded = Unpooled.buffer();
            padded.writeBytes(good, 0, good.readableBytes()).writeByte(0);
            assertEquals(Rejection.MALFORMED, decode(padded).rejection());
        } finally {
            good.release();
        }
    }

    @Test
    void foreignPacketsAreToldApart() {
        assertEquals(Rejection.FOREIGN, decode(Unpooled.wrappedBuffer(new byte[]{'G', 'E', 'T', ' ', '/', ' ', 'H'})).rejection());
        ByteBuf v2 = encoded();
        v2.setByte(4, 2);
        assertEquals(Rejection.FOREIGN, decode(v2).rejection());
    }

    @Test
    void replayedPacketsAreRefused() {
        ReplayGuard guard = new ReplayGuard();
        Advert first = new Advert("lb1", "v", 250, 100, 10, 1, 0);
        assertTrue(guard.accept(first));
        assertFalse(guard.accept(first), "the same packet again");
        assertTrue(guard.accept(new Advert("lb1", "v", 250, 100, 10, 2, 0)));
        assertFalse(guard.accept(new Advert("lb1", "v", 250, 100, 10, 1, 0)), "an older one");
        assertTrue(guard.accept(new Advert("lb2", "v", 250, 100, 5, 1, 0)), "marks are per node");
        assertTrue(guard.accept(new Advert("lb1", "v", 250, 100, 11, 1, 0)), "a restart: a newer epoch");
        assertFalse(guard.accept(new Advert("lb1", "v", 250, 100, 10, 99, 0)), "anything from the old epoch");
    }

    @Test
    void aPresenceAdvertRoundTrips() {
        Advert presence = Advert.presence("lb2", 100, 7, 99);
        ByteBuf buf = Unpooled.buffer();
        codec.encode(presence, buf);
        AdvertCodec.Decoded d = decode(buf);
        assertTrue(d.ok());
        assertEquals(presence, d.advert());
        assertTrue(d.advert().isPresence());
    }

    /**
     * What a node of the release before makes of a presence advert: its codec is this one for version 1, type 1
     * (the packet is one), so it decodes an advert at priority 0 about the VIP {@link Advert#NO_VIP}, which cannot
     * be one of its VIPs (those are addresses), and drops it as {@code unknown_vip} before any election sees it.
     */
    @Test
    void aPresenceAdvertIsToTheReleaseBeforeAnAdvertAboutAVipNoNodeHas() {
        ByteBuf buf = Unpooled.buffer();
        codec.encode(Advert.presence("lb2", 100, 7, 99), buf);
        try {
            assertEquals(AdvertCodec.MAGIC, buf.getInt(0));
            assertEquals(1, buf.getUnsignedByte(4), "version");
            assertEquals(1, buf.getUnsignedByte(5), "type");
            assertEquals(Advert.PRESENCE, buf.getUnsignedByte(6), "flags");
            assertEquals(0, buf.getUnsignedByte(7), "priority");
            int nodeLength = buf.getUnsignedByte(AdvertCodec.FIXED);
            int vipAt = AdvertCodec.FIXED + 1 + nodeLength;
            String vip = buf.toString(vipAt + 1, buf.getUnsignedByte(vipAt), StandardCharsets.UTF_8);
            assertEquals(Advert.NO_VIP, vip);
            assertFalse(vip.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':'),
                    "not an IPv4 or IPv6 address: never a configured VIP");
        } finally {
            buf.release();
        }
    }

    @Test
    void aPresenceAdvertThatAlsoSaysSomethingElseIsMalformed() throws Exception {
        // each signed with the right key: well made, but meaning one thing here and another to the release before
        assertEquals(Rejection.MALFORMED, decode(raw(Advert.PRESENCE, 0, "203.0.113.10")).rejection(), "about a VIP");
        assertEquals(Rejection.MALFORMED, decode(raw(Advert.PRESENCE | Advert.MASTER, 0, Advert.NO_VIP)).rejection(),
                "with another flag");
        assertEquals(Rejection.MALFORMED, decode(raw(Advert.PRESENCE, 250, Advert.NO_VIP)).rejection(), "a priority");
        assertEquals(Rejection.MALFORMED, decode(raw(Advert.MASTER, 250, Advert.NO_VIP)).rejection(),
                "about no VIP without being a presence");
        assertTrue(decode(raw(Advert.PRESENCE, 0, Advert.NO_VIP)).ok());
    }

    /** A packet made field by field with the advert key, past what {@link Advert} lets be built. */
    private static ByteBuf raw(int flags, int priority, String vip) throws Exception {
        ByteBuf buf = Unpooled.buffer();
        buf.writeInt(AdvertCodec.MAGIC).writeByte(1).writeByte(1).writeByte(flags).writeByte(priority).writeInt(100)
                .writeLong(7).writeLong(1);
        byte[] node = "lb2".getBytes(StandardCharsets.UTF_8);
        byte[] v = vip.getBytes(StandardCharsets.UTF_8);
        buf.writeByte(node.length).writeBytes(node).writeByte(v.length).writeBytes(v);
        Mac mac = ClusterKeys.of(SECRET).hmac(ClusterKeys.ADVERTS);
        byte[] body = new byte[buf.readableBytes()];
        buf.getBytes(0, body);
        buf.writeBytes(mac.doFinal(body));
        return buf;
    }
}
