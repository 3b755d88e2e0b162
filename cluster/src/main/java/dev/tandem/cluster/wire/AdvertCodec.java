package dev.tandem.cluster.wire;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.ShortBufferException;

/**
 * The advert packet: every field, then an HMAC-SHA256 over all of them.
 *
 * <pre>
 *  0  magic "TNDV"          4
 *  4  version (1)           1
 *  5  type (1 = advert)     1
 *  6  flags                 1
 *  7  priority              1
 *  8  interval, ms          4
 * 12  epoch                 8
 * 20  sequence              8
 * 28  node name: length 1 + UTF-8 (1-255)
 *  .  VIP: length 1 + UTF-8 (1-255)
 *  .  HMAC-SHA256 of every byte before it   32
 * </pre>
 *
 * <p>A presence advert ({@link Advert#PRESENCE}) is the same packet, version 1, type 1, flags 128, priority 0 and
 * the VIP {@link Advert#NO_VIP}: a node of the release before decodes it as an advert about a VIP it does not
 * have and drops it, counted as {@code unknown_vip}, before any election sees it.
 *
 * <p>The MAC is checked before anything in the packet is believed, in constant time. Not thread-safe (a
 * {@link Mac} is not): one codec per thread; the cluster uses it only on its event loop.
 */
public final class AdvertCodec {

    public static final int MAGIC = 0x544E4456; // "TNDV"
    public static final int VERSION = 1;
    public static final int TYPE_ADVERT = 1;
    static final int MAC_LENGTH = 32;
    static final int FIXED = 28;
    /** The largest packet: fixed fields, two names of 255 bytes with their lengths, the MAC. */
    public static final int MAX_LENGTH = FIXED + 2 * 256 + MAC_LENGTH;

    private final Mac mac;
    private final byte[] computed = new byte[MAC_LENGTH];
    private final byte[] received = new byte[MAC_LENGTH];

    /** @param mac keyed with the advert key ({@code ClusterKeys.hmac(ClusterKeys.ADVERTS)}) */
    public AdvertCodec(Mac mac) {
        if (mac.getMacLength() != MAC_LENGTH) {
            throw new IllegalArgumentException("mac: " + mac.getAlgorithm() + " (expected: HmacSHA256)");
        }
        this.mac = mac;
    }

    /** Writes {@code a} to {@code out}, MAC included. */
    public void encode(Advert a, ByteBuf out) {
        byte[] node = name(a.node(), "node");
        byte[] vip = name(a.vip(), "vip");
        int start = out.writerIndex();
        out.writeInt(MAGIC);
        out.writeByte(VERSION);
        out.writeByte(TYPE_ADVERT);
        out.writeByte(a.flags());
        out.writeByte(a.priority());
        out.writeInt(a.intervalMillis());
        out.writeLong(a.epoch());
        out.writeLong(a.sequence());
        out.writeByte(node.length);
        out.writeBytes(node);
        out.writeByte(vip.length);
        out.writeBytes(vip);
        macOf(out, start, out.writerIndex() - start);
        out.writeBytes(computed);
    }

    private static byte[] name(String s, String what) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length == 0 || b.length > 255) {
            throw new IllegalArgumentException(what + ": '" + s + "' (expected: 1-255 bytes of UTF-8)");
        }
        return b;
    }

    /** The outcome of decoding: an authenticated advert, or why the packet was dropped. */
    public record Decoded(Advert advert, Rejection rejection) {
        static Decoded of(Advert a) {
            return new Decoded(a, null);
        }

        static Decoded rejected(Rejection r) {
            return new Decoded(null, r);
        }

        public boolean ok() {
            return advert != null;
        }
    }

    /** Reads the whole of {@code in} (readable bytes; the index is left alone), MAC checked first. */
    public Decoded decode(ByteBuf in) {
        int start = in.readerIndex();
        int length = in.readableBytes();
        if (length >= 4 && in.getInt(start) != MAGIC) {
            return Decoded.rejected(Rejection.FOREIGN);
        }
        if (length < 4 + 2) {
            return Decoded.rejected(Rejection.MALFORMED);
        }
        if (in.getUnsignedByte(start + 4) != VERSION || in.getUnsignedByte(start + 5) != TYPE_ADVERT) {
            return Decoded.rejected(Rejection.FOREIGN);
        }
        if (length < FIXED + 2 + MAC_LENGTH || length > MAX_LENGTH) {
            return Decoded.rejected(Rejection.MALFORMED);
        }
        int nodeLength = in.getUnsignedByte(start + FIXED);
        int vipAt = start + FIXED + 1 + nodeLength;
        if (nodeLength == 0 || vipAt >= start + length - MAC_LENGTH) {
            return Decoded.rejected(Rejection.MALFORMED);
        }
        int vipLength = in.getUnsignedByte(vipAt);
        int macAt = vipAt + 1 + vipLength;
        if (vipLength == 0 || macAt + MAC_LENGTH != start + length) {
            return Decoded.rejected(Rejection.MALFORMED);
        }
        macOf(in, start, macAt - start);
        in.getBytes(macAt, received);
        if (!MessageDigest.isEqual(computed, received)) {
            return Decoded.rejected(Rejection.BAD_MAC);
        }
        int flags = in.getUnsignedByte(start + 6);
        int priority = in.getUnsignedByte(start + 7);
        long interval = in.getUnsignedInt(start + 8);
        if (interval == 0 || interval > Integer.MAX_VALUE) {
            return Decoded.rejected(Rejection.MALFORMED);
        }
        long epoch = in.getLong(start + 12);
        long sequence = in.getLong(start + 20);
        String node = in.toString(start + FIXED + 1, nodeLength, StandardCharsets.UTF_8);
        String vip = in.toString(vipAt + 1, vipLength, StandardCharsets.UTF_8);
        if (!Advert.wellFormed(vip, priority, flags)) {
            return Decoded.rejected(Rejection.MALFORMED);
        }
        return Decoded.of(new Advert(node, vip, priority, (int) interval, epoch, sequence, flags));
    }

    private void macOf(ByteBuf buf, int from, int length) {
        mac.reset();
        if (buf.hasArray()) {
            mac.update(buf.array(), buf.arrayOffset() + from, length);
        } else if (buf.nioBufferCount() == 1) {
            mac.update(buf.nioBuffer(from, length));
        } else {
            byte[] copy = new byte[length];
            buf.getBytes(from, copy);
            mac.update(copy);
        }
        try {
            mac.doFinal(computed, 0);
        } catch (ShortBufferException e) {
            throw new IllegalStateException(e);
        }
    }
}
