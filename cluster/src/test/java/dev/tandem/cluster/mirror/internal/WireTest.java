package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.key.ClusterKeys;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The handshake, the frame cipher and the message codec, without sockets. */
class WireTest {

    private static final byte[] KEY = ClusterKeys.of("0123456789abcdef0123456789abcdef".getBytes()).mirrorKey();
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    private static Handshake.SessionKeys[] handshake(byte[] clientKey, byte[] serverKey) throws Handshake.Refused {
        Handshake c = new Handshake(clientKey, true, "a");
        Handshake s = new Handshake(serverKey, false, "b");
        ByteBuf m = Unpooled.buffer();
        try {
            c.writeClientHello(m);
            assertEquals("a", s.readClientHello(m));
            m.clear();
            s.writeServerHello(m);
            assertEquals("b", c.readServerHello(m));
            m.clear();
            c.writeClientFinish(m);
            s.readClientFinish(m);
            return new Handshake.SessionKeys[]{c.keys(), s.keys()};
        } finally {
            m.release();
        }
    }

    @Test
    void bothSidesDeriveMatchingKeysFreshForEachConnection() throws Exception {
        Handshake.SessionKeys[] one = handshake(KEY, KEY);
        assertArrayEquals(one[0].sendKey(), one[1].receiveKey());
        assertArrayEquals(one[0].sendIv(), one[1].receiveIv());
        assertArrayEquals(one[1].sendKey(), one[0].receiveKey());
        Handshake.SessionKeys[] two = handshake(KEY, KEY);
        assertTrue(!java.util.Arrays.equals(one[0].sendKey(), two[0].sendKey()), "fresh nonces, fresh keys");
    }

    @Test
    void aListenerWithoutTheKeyIsRefusedByTheDialer() {
        byte[] other = ClusterKeys.of("another secret of 32 bytes or so!".getBytes()).mirrorKey();
        assertThrows(Handshake.Refused.class, () -> handshake(KEY, other));
    }

    @Test
    void aDialerWithoutTheKeyIsRefusedByTheListener() throws Exception {
        byte[] other = ClusterKeys.of("another secret of 32 bytes or so!".getBytes()).mirrorKey();
        Handshake c = new Handshake(other, true, "a");
        Handshake s = new Handshake(KEY, false, "b");
        ByteBuf m = Unpooled.buffer();
        try {
            c.writeClientHello(m);
            s.readClientHello(m);
            m.clear();
            s.writeServerHello(m);
            assertThrows(Handshake.Refused.class, () -> c.readServerHello(m));
            // a finish made up without the key
            m.clear();
            m.writeByte(Handshake.CLIENT_FINISH).writeZero(Handshake.MAC);
            assertThrows(Handshake.Refused.class, () -> s.readClientFinish(m));
        } finally {
            m.release();
        }
    }

    @Test
    void aRecordedHandshakeDoesNotReplay() throws Exception {
        // Record a dialer's hello and finish, then play them to a new listener: its nonce is new.
        Handshake c = new Handshake(KEY, true, "a");
        Handshake s1 = new Handshake(KEY, false, "b");
        ByteBuf hello = Unpooled.buffer();
        ByteBuf m = Unpooled.buffer();
        ByteBuf finish = Unpooled.buffer();
        try {
            c.writeClientHello(hello);
            s1.readClientHello(hello.duplicate());
            s1.writeServerHello(m);
            c.readServerHello(m);
            c.writeClientFinish(finish);
            Handshake s2 = new Handshake(KEY, false, "b");
            s2.readClientHello(hello.duplicate());
            m.clear();
            s2.writeServerHello(m);
            assertThrows(Handshake.Refused.class, () -> s2.readClientFinish(finish));
        } finally {
            hello.release();
            m.release();
            finish.release();
        }
    }

    @Test
    void notTheProtocol() {
        Handshake s = new Handshake(KEY, false, "b");
        ByteBuf m = Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: x\r\n\r\n", StandardCharsets.US_ASCII);
        try {
            assertThrows(Handshake.Refused.class, () -> s.readClientHello(m));
        } finally {
            m.release();
        }
    }

    @Test
    void framesOpenInOrderOnlyAndNotWhenTampered() throws Exception {
        Handshake.SessionKeys[] k = handshake(KEY, KEY);
        FrameCipher seal = FrameCipher.sealing(k[0].sendKey(), k[0].sendIv());
        FrameCipher open = FrameCipher.opening(k[1].receiveKey(), k[1].receiveIv());
        List<ByteBuf> frames = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ByteBuf plain = Unpooled.copiedBuffer("frame " + i, StandardCharsets.US_ASCII);
            ByteBuf f = seal.seal(plain);
            plain.release();
            assertEquals(f.readableBytes() - 4, f.readInt());
            frames.add(f);
        }
        try {
            ByteBuf p0 = open.open(frames.get(0));
            assertEquals("frame 0", p0.toString(StandardCharsets.US_ASCII));
            p0.release();
            // frame 2 before frame 1: refused (a replayed or reordered frame never opens)
            assertThrows(GeneralSecurityException.class, () -> open.open(frames.get(2)));
            FrameCipher fresh = FrameCipher.opening(k[1].receiveKey(), k[1].receiveIv());
            ByteBuf tampered = frames.get(0);
            tampered.setByte(tampered.readerIndex() + 2, tampered.getByte(tampered.readerIndex() + 2) ^ 1);
            assertThrows(GeneralSecurityException.class, () -> fresh.open(tampered));
        } finally {
            frames.forEach(ByteBuf::release);
        }
    }

    @Test
    void messagesRoundTrip() throws Exception {
        EntryKey key = new EntryKey("www", "a/ü b.txt");
        Entry e = Entry.edit(key, null, "lb1", 5, "ab".repeat(32), 0755, 99);
        Entry d = Entry.deletion(e, "lb2", 6);
        List<Entry> many = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            many.add(Entry.edit(new EntryKey("www", "dir/file-" + i), null, "lb1", i, "cd".repeat(32), 0644, i));
        }
        int[] next = {0};
        List<Entry> back = new ArrayList<>();
        int messages = 0;
        while (next[0] < many.size()) {
            ByteBuf b = Messages.offer(7, many, next[0], next);
            assertTrue(b.readableBytes() < Messages.BATCH_BYTES + 1024);
            Messages.Offer o = (Messages.Offer) Messages.decode(b);
            b.release();
            assertEquals(7, o.round());
            back.addAll(o.entries());
            messages++;
        }
        assertEquals(many, back);
        assertTrue(messages > 1, "cut in batches");

        ByteBuf b = Messages.offer(1, List.of(e, d), 0, next);
        assertEquals(List.of(e, d), ((Messages.Offer) Messages.decode(b)).entries());
        b.release();
        b = Messages.want(List.of(new Messages.Wanted(key, 1, "lb1")), 0, next);
        assertEquals(List.of(new Messages.Wanted(key, 1, "lb1")), ((Messages.Want) Messages.decode(b)).items());
        b.release();
        b = Messages.fileAbort(key, "gone");
        assertEquals(new Messages.FileAbort(key, "gone"), Messages.decode(b));
        b.release();
        Messages.Summary s = new Messages.Summary(1, 2, Map.of("www", new MirrorTable.RootDigest("ef".repeat(32), 3, 4, 5)));
        b = Messages.summary(s);
        assertEquals(s, Messages.decode(b));
        b.release();
        b = Messages.fileDataHeader(ALLOC, 3).writeBytes(new byte[]{1, 2, 3});
        Messages.FileData data = (Messages.FileData) Messages.decode(b);
        b.release();
        assertEquals(3, data.content().readableBytes());
        data.release();
    }

    @Test
    void linksAndOwnersTravelWithTheirVersion() throws Exception {
        EntryKey key = new EntryKey("certs", "live/example.com/cert.pem");
        Entry link = Entry.link(key, null, "lb1", 5, "../../archive/example.com/cert2.pem", "root", "ssl-cert");
        Entry file = Entry.edit(new EntryKey("www", "a.txt"), null, "lb1", 5, "ab".repeat(32), 0640, 9, "www-data", "");
        int[] next = {0};
        ByteBuf b = Messages.offer(1, List.of(link, file), 0, next);
        assertEquals(List.of(link, file), ((Messages.Offer) Messages.decode(b)).entries());
        b.release();
        b = Messages.fileStart(file);
        assertEquals(new Messages.FileStart(file), Messages.decode(b));
        b.release();

        // a link whose hash is not its target's is a lie: refused whole
        Entry forged = new Entry(key, 1, "lb1", VersionVector.EMPTY.edit("lb1"), 5, "ab".repeat(32), false, 0777, 0,
                "/etc/shadow", "", "");
        ByteBuf f = Messages.fileStart(forged);
        assertThrows(Messages.Malformed.class, () -> Messages.decode(f));
        f.release();
    }

    /** Runs a handshake whose dialer offers {@code offer}; returns both sides' protocols. */
    private static int[] negotiated(int offer) throws Handshake.Refused {
        Handshake c = new Handshake(KEY, true, "a", offer);
        Handshake s = new Handshake(KEY, false, "b");
        ByteBuf m = Unpooled.buffer();
        try {
            c.writeClientHello(m);
            s.readClientHello(m);
            m.clear();
            s.writeServerHello(m);
            c.readServerHello(m);
            m.clear();
            c.writeClientFinish(m);
            s.readClientFinish(m);
            assertArrayEquals(c.keys().sendKey(), s.keys().receiveKey());
            return new int[]{c.protocol(), s.protocol()};
        } finally {
            m.release();
        }
    }

    @Test
    void aDialerOfTheOlderProtocolIsAnsweredInIt() throws Exception {
        assertArrayEquals(new int[]{2, 2}, negotiated(Handshake.PROTOCOL));
        assertArrayEquals(new int[]{1, 1}, negotiated(Handshake.OLDEST));
    }

    @Test
    void aListenerCannotAnswerANewerProtocolThanOffered() throws Exception {
        Handshake c = new Handshake(KEY, true, "a", 1);
        Handshake s = new Handshake(KEY, false, "b");
        ByteBuf m = Unpooled.buffer();
        try {
            c.writeClientHello(m);
            m.setByte(1 + Handshake.MAGIC.length, 2);
            s.readClientHello(m);
            m.clear();
            s.writeServerHello(m);
            assertThrows(Handshake.Refused.class, () -> c.readServerHello(m));
            // and a version nobody speaks is refused by the listener
            Handshake c0 = new Handshake(KEY, true, "a");
            m.clear();
            c0.writeClientHello(m);
            m.setByte(1 + Handshake.MAGIC.length, 0);
            assertThrows(Handshake.Refused.class, () -> new Handshake(KEY, false, "b").readClientHello(m));
        } finally {
            m.release();
        }
    }

    @Test
    void theOlderProtocolCarriesNeitherLinksNorOwners() throws Exception {
        Entry file = Entry.edit(new EntryKey("www", "a.txt"), null, "lb1", 5, "ab".repeat(32), 0640, 9, "www-data", "adm");
        Entry gone = Entry.deletion(file, "lb2", 6);
        int[] next = {0};
        ByteBuf b = Messages.offer(1, List.of(file, gone), 0, next, 1);
        List<Entry> read = ((Messages.Offer) Messages.decode(b, 1)).entries();
        b.release();
        assertEquals(List.of(new Entry(file.key(), file.version(), file.origin(), file.vector(), file.changedAt(),
                file.hash(), false, file.mode(), file.size()), gone), read);
        assertEquals("", read.get(0).owner());
        b = Messages.fileStart(file, 1);
        assertEquals(read.get(0), ((Messages.FileStart) Messages.decode(b, 1)).entry());
        b.release();
        // what protocol 1 wrote is not what protocol 2 reads (the handshake keeps them apart)
        ByteBuf old = Messages.fileStart(file, 1);
        assertThrows(Messages.Malformed.class, () -> Messages.decode(old, 2));
        old.release();
        Entry link = Entry.link(new EntryKey("certs", "live/cert.pem"), null, "lb1", 5, "../archive/cert2.pem", "", "");
        assertThrows(IllegalArgumentException.class, () -> Messages.fileStart(link, 1));
    }

    @Test
    void malformedMessagesAreRefused() {
        ByteBuf b = Unpooled.buffer().writeByte(Messages.OFFER).writeLong(1).writeShort(3);
        assertThrows(Messages.Malformed.class, () -> Messages.decode(b));
        b.release();
        ByteBuf c = Unpooled.buffer().writeByte(42);
        assertThrows(Messages.Malformed.class, () -> Messages.decode(c));
        c.release();
        ByteBuf d = Messages.done(1).writeByte(0);
        assertThrows(Messages.Malformed.class, () -> Messages.decode(d));
        d.release();
    }
}
