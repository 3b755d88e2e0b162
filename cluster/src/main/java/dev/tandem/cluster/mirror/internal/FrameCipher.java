package dev.tandem.cluster.mirror.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM over the frames of one direction of one connection. Each frame's nonce is the direction's IV
 * base with the frame's sequence number mixed in, so no nonce repeats under a key, and a frame dropped,
 * repeated or reordered by anyone on the path fails to open: the connection is then closed. Not thread-safe:
 * used on the connection's event loop only.
 */
public final class FrameCipher {

    public static final int TAG = 16;

    private final Cipher cipher;
    private final SecretKeySpec key;
    private final byte[] ivBase;
    private final byte[] iv = new byte[12];
    private final int mode;
    private long sequence;

    private FrameCipher(byte[] key, byte[] ivBase, int mode) {
        try {
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM is part of every Java runtime", e);
        }
        this.key = new SecretKeySpec(key, "AES");
        this.ivBase = ivBase.clone();
        this.mode = mode;
    }

    public static FrameCipher sealing(byte[] key, byte[] ivBase) {
        return new FrameCipher(key, ivBase, Cipher.ENCRYPT_MODE);
    }

    public static FrameCipher opening(byte[] key, byte[] ivBase) {
        return new FrameCipher(key, ivBase, Cipher.DECRYPT_MODE);
    }

    private void next() throws GeneralSecurityException {
        long n = sequence++;
        System.arraycopy(ivBase, 0, iv, 0, 12);
        for (int i = 0; i < 8; i++) {
            iv[11 - i] ^= (byte) (n >>> (8 * i));
        }
        cipher.init(mode, key, new GCMParameterSpec(TAG * 8, iv));
    }

    /**
     * The frame for {@code plain} (not released): a 4-byte length, then the ciphertext with its tag. Built in a
     * heap buffer: the JDK's AES-GCM works on arrays (a direct buffer would be copied to one anyway).
     */
    public ByteBuf seal(ByteBuf plain) throws GeneralSecurityException {
        int n = plain.readableBytes();
        byte[] in;
        int off;
        if (plain.hasArray()) {
            in = plain.array();
            off = plain.arrayOffset() + plain.readerIndex();
        } else {
            in = new byte[n];
            plain.getBytes(plain.readerIndex(), in);
            off = 0;
        }
        ByteBuf out = Messages.heap(4 + n + TAG);
        byte[] o = out.array();
        int base = out.arrayOffset();
        next();
        int written = cipher.doFinal(in, off, n, o, base + 4);
        out.writeInt(written);
        out.writerIndex(4 + written);
        return out;
    }

    /** The plaintext of one frame's body (ciphertext and tag, not released), in a heap buffer. */
    public ByteBuf open(ByteBuf frame) throws GeneralSecurityException {
        int n = frame.readableBytes();
        if (n < TAG) {
            throw new GeneralSecurityException("frame shorter than its tag");
        }
        byte[] in = new byte[n];
        frame.getBytes(frame.readerIndex(), in);
        next();
        byte[] plain = cipher.doFinal(in);
        return Unpooled.wrappedBuffer(plain);
    }
}
