package dev.tandem.cluster.mirror.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
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

    /** The frame for {@code plain} (not released): a 4-byte length, then the ciphertext with its tag. */
    public ByteBuf seal(ByteBufAllocator alloc, ByteBuf plain) throws GeneralSecurityException {
        int n = plain.readableBytes();
        ByteBuf out = alloc.buffer(4 + n + TAG);
        try {
            out.writeInt(n + TAG);
            next();
            ByteBuffer dst = out.nioBuffer(4, n + TAG);
            int written = cipher.doFinal(plain.nioBuffer(), dst);
            out.writerIndex(4 + written);
            return out;
        } catch (GeneralSecurityException | RuntimeException e) {
            out.release();
            throw e;
        }
    }

    /** The plaintext of one frame's body (ciphertext and tag, not released). */
    public ByteBuf open(ByteBufAllocator alloc, ByteBuf frame) throws GeneralSecurityException {
        int n = frame.readableBytes();
        if (n < TAG) {
            throw new GeneralSecurityException("frame shorter than its tag");
        }
        ByteBuf out = alloc.buffer(n - TAG);
        try {
            next();
            ByteBuffer dst = out.nioBuffer(0, n - TAG);
            int written = cipher.doFinal(frame.nioBuffer(), dst);
            out.writerIndex(written);
            return out;
        } catch (GeneralSecurityException | RuntimeException e) {
            out.release();
            throw e;
        }
    }
}
