package dev.tandem.cluster.mirror.internal;

import dev.tandem.cluster.key.Hkdf;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How two nodes prove to each other that they hold the cluster key, and agree on the keys of one connection.
 * Three messages: the dialer's hello (a fresh random nonce, its node name), the listener's hello (its own
 * nonce and name, and a MAC over both hellos), the dialer's finish (its MAC over both). Each MAC is
 * HMAC-SHA256 with the mirror key (derived from the cluster key for this purpose alone) over a hash of the
 * transcript, with a label per side so one side's MAC is never the other's. The fresh nonce of each side in
 * the transcript means a recorded handshake cannot be replayed. The connection's keys come from HKDF with
 * the transcript hash as salt: one AES-256-GCM key and IV base per direction, never used by another
 * connection.
 *
 * <p>Versions: the dialer's hello names the newest protocol it offers, the listener answers with the older of that
 * and its own, and that is the connection's ({@link #protocol()}); both hellos are in the transcript, so no one
 * without the key can lower it. A listener of protocol 1 (an older release) refuses any other: the dialer then
 * offers 1 on its next attempt (see {@link ProtocolChoice}), so that a rolling upgrade keeps mirroring.
 *
 * <p>Why not TLS with a pre-shared key: the JDK has no TLS-PSK cipher suites, and certificates would be one
 * more thing to deploy and renew on every node; a secret file is already there for the adverts.
 */
public final class Handshake {

    static final byte CLIENT_HELLO = 0x10;
    static final byte SERVER_HELLO = 0x11;
    static final byte CLIENT_FINISH = 0x12;
    static final byte[] MAGIC = "TANDEMMR".getBytes(StandardCharsets.US_ASCII);
    /** The newest protocol: 2 added links and owners to each entry. */
    public static final int PROTOCOL = 2;
    /** The oldest protocol still spoken (the release before links and owners). */
    public static final int OLDEST = 1;
    static final int NONCE = 32;
    static final int MAC = 32;
    static final int MAX_NAME = 255;

    /** The keys of one connection, for each direction. */
    public record SessionKeys(byte[] sendKey, byte[] sendIv, byte[] receiveKey, byte[] receiveIv) {
    }

    /** A handshake message that does not authenticate or does not parse: the peer is refused. */
    public static final class Refused extends Exception {
        public Refused(String message) {
            super(message);
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] key;
    private final boolean client;
    private final String self;
    /** The dialer: the protocol its hello offers. The listener: its answer. Then: the connection's. */
    private int protocol;
    private final byte[] ownNonce = new byte[NONCE];
    private final MessageDigest transcript = sha256();
    private String peer;
    private byte[] hash;

    /**
     * @param mirrorKey the mirror's key (from {@link dev.tandem.cluster.key.ClusterKeys#mirrorKey()})
     * @param client    true on the dialing side
     */
    public Handshake(byte[] mirrorKey, boolean client, String self) {
        this(mirrorKey, client, self, PROTOCOL);
    }

    /** @param offer on the dialing side, the protocol to offer ({@link #OLDEST} to {@link #PROTOCOL}) */
    public Handshake(byte[] mirrorKey, boolean client, String self, int offer) {
        if (offer < OLDEST || offer > PROTOCOL) {
            throw new IllegalArgumentException("protocol " + offer);
        }
        this.protocol = offer;
        if (self.getBytes(StandardCharsets.UTF_8).length > MAX_NAME) {
            throw new IllegalArgumentException("node name too long: " + self);
        }
        this.key = mirrorKey.clone();
        this.client = client;
        this.self = self;
        RANDOM.nextBytes(ownNonce);
    }

    public String peer() {
        return peer;
    }

    /** The protocol of the connection, once the hellos are exchanged. */
    public int protocol() {
        return protocol;
    }

    /** Dialer: the hello. */
    public void writeClientHello(ByteBuf out) {
        int start = out.writerIndex();
        out.writeByte(CLIENT_HELLO).writeBytes(MAGIC).writeByte(protocol).writeBytes(ownNonce);
        writeName(out, self);
        update(out, start, out.writerIndex());
    }

    /** Listener: reads the dialer's hello; returns the name it claims (not yet proven). */
    public String readClientHello(ByteBuf in) throws Refused {
        int start = in.readerIndex();
        // a newer dialer is answered with this node's newest: it speaks that too
        protocol = Math.min(expect(in, CLIENT_HELLO, Integer.MAX_VALUE), PROTOCOL);
        in.skipBytes(NONCE);
        peer = readName(in);
        end(in);
        update(in, start, in.readerIndex());
        return peer;
    }

    /** Listener: its hello with its MAC. */
    public void writeServerHello(ByteBuf out) {
        int start = out.writerIndex();
        out.writeByte(SERVER_HELLO).writeBytes(MAGIC).writeByte(protocol).writeBytes(ownNonce);
        writeName(out, self);
        update(out, start, out.writerIndex());
        hash = transcript.digest();
        out.writeBytes(mac("server"));
    }

    /** Dialer: checks the listener's hello and MAC; returns the listener's name. */
    public String readServerHello(ByteBuf in) throws Refused {
        int start = in.readerIndex();
        protocol = expect(in, SERVER_HELLO, protocol);
        in.skipBytes(NONCE);
        peer = readName(in);
        if (in.readableBytes() != MAC) {
            throw new Refused("malformed hello");
        }
        update(in, start, in.readerIndex());
        hash = transcript.digest();
        byte[] mac = new byte[MAC];
        in.readBytes(mac);
        if (!MessageDigest.isEqual(mac, mac("server"))) {
            throw new Refused("the listener does not hold the cluster key");
        }
        return peer;
    }

    /** Dialer: its finish. */
    public void writeClientFinish(ByteBuf out) {
        out.writeByte(CLIENT_FINISH).writeBytes(mac("client"));
    }

    /** Listener: checks the dialer's MAC. */
    public void readClientFinish(ByteBuf in) throws Refused {
        if (in.readableBytes() != 1 + MAC || in.readByte() != CLIENT_FINISH) {
            throw new Refused("malformed finish");
        }
        byte[] mac = new byte[MAC];
        in.readBytes(mac);
        if (!MessageDigest.isEqual(mac, mac("client"))) {
            throw new Refused("the dialer does not hold the cluster key");
        }
    }

    /** The connection's keys, once both hellos are known. */
    public SessionKeys keys() {
        if (hash == null) {
            throw new IllegalStateException("handshake not complete");
        }
        byte[] prk = Hkdf.extract(hash, key);
        byte[] c2sKey = Hkdf.expand(prk, "tandem mirror c2s key".getBytes(StandardCharsets.US_ASCII), 32);
        byte[] c2sIv = Hkdf.expand(prk, "tandem mirror c2s iv".getBytes(StandardCharsets.US_ASCII), 12);
        byte[] s2cKey = Hkdf.expand(prk, "tandem mirror s2c key".getBytes(StandardCharsets.US_ASCII), 32);
        byte[] s2cIv = Hkdf.expand(prk, "tandem mirror s2c iv".getBytes(StandardCharsets.US_ASCII), 12);
        Arrays.fill(prk, (byte) 0);
        return client ? new SessionKeys(c2sKey, c2sIv, s2cKey, s2cIv) : new SessionKeys(s2cKey, s2cIv, c2sKey, c2sIv);
    }

    private byte[] mac(String label) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            m.update(label.getBytes(StandardCharsets.US_ASCII));
            return m.doFinal(hash);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    /** Reads the header of a hello; returns its protocol, refused unless from {@link #OLDEST} to {@code newest}. */
    private static int expect(ByteBuf in, byte type, int newest) throws Refused {
        if (in.readableBytes() < 1 + MAGIC.length + 1 + NONCE + 1) {
            throw new Refused("not a mirror handshake");
        }
        byte t = in.readByte();
        byte[] magic = new byte[MAGIC.length];
        in.readBytes(magic);
        if (t != type || !Arrays.equals(magic, MAGIC)) {
            throw new Refused("not a mirror handshake");
        }
        int version = in.readUnsignedByte();
        if (version < OLDEST || version > newest) {
            throw new Refused("protocol version " + version + " (expected: " + OLDEST + " to "
                    + Math.min(newest, PROTOCOL) + ")");
        }
        return version;
    }

    private static void end(ByteBuf in) throws Refused {
        if (in.isReadable()) {
            throw new Refused("malformed hello");
        }
    }

    private static void writeName(ByteBuf out, String name) {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        out.writeByte(b.length).writeBytes(b);
    }

    private static String readName(ByteBuf in) throws Refused {
        int n = in.readUnsignedByte();
        if (n == 0 || in.readableBytes() < n) {
            throw new Refused("malformed hello");
        }
        return in.readCharSequence(n, StandardCharsets.UTF_8).toString();
    }

    private void update(ByteBuf b, int from, int to) {
        for (int i = from; i < to; i++) {
            transcript.update(b.getByte(i));
        }
    }

    private static MessageDigest sha256() {
        return FileStore.sha256();
    }
}
