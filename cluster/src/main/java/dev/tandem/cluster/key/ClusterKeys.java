package dev.tandem.cluster.key;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import javax.crypto.Mac;

/**
 * The keys of all cluster traffic, derived from the one shared secret in {@code cluster.secret_file}.
 *
 * <p>Each purpose gets its own key (HKDF-SHA256, RFC 5869, with the purpose as {@code info}), so that a
 * packet made for one protocol can never authenticate as another: an advert MAC is no mirror MAC. The file's
 * bytes are used as they are (a trailing newline included), so any way of making it works as long as every
 * node has the same file; it must hold at least {@value #MIN_SECRET_BYTES} bytes, the size of the keys.
 */
public final class ClusterKeys {

    public static final int MIN_SECRET_BYTES = 32;
    public static final int KEY_BYTES = 32;

    /** Purpose of the key that authenticates VIP adverts. */
    public static final String ADVERTS = "tandem adverts v1";
    /** Purpose of the key that protects the mirror's TCP traffic. */
    public static final String MIRROR = "tandem mirror v1";

    private static final byte[] SALT = "tandem cluster secret v1".getBytes(StandardCharsets.US_ASCII);

    private final byte[] prk;

    private ClusterKeys(byte[] secret) {
        this.prk = Hkdf.extract(SALT, secret);
    }

    /** Keys from a secret held in memory (tests; a secret read some other way). */
    public static ClusterKeys of(byte[] secret) {
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("secret: " + secret.length + " bytes (expected: at least "
                    + MIN_SECRET_BYTES + ")");
        }
        return new ClusterKeys(secret);
    }

    /**
     * Reads the secret file. Blocking: call at start-up or config check, never on an event loop.
     *
     * @throws KeyFileException saying what is wrong, in words fit for {@code FILE:LINE:COL: message}
     */
    public static ClusterKeys load(Path file) throws KeyFileException {
        byte[] secret = read(file);
        try {
            return of(secret);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    /** Only checks the file, as {@link #load} would; the problem, or null when the file is fit. */
    public static String problem(Path file) {
        try {
            byte[] secret = read(file);
            Arrays.fill(secret, (byte) 0);
            return null;
        } catch (KeyFileException e) {
            return e.getMessage();
        }
    }

    private static byte[] read(Path file) throws KeyFileException {
        byte[] secret;
        try {
            if (Files.isDirectory(file)) {
                throw new KeyFileException(file + ": is a directory (expected: a file of at least "
                        + MIN_SECRET_BYTES + " random bytes)");
            }
            secret = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new KeyFileException(file + ": no such file (expected: a file of at least " + MIN_SECRET_BYTES
                    + " random bytes, e.g. made with: head -c 32 /dev/urandom > " + file + ")");
        } catch (AccessDeniedException e) {
            throw new KeyFileException(file + ": cannot read: permission denied");
        } catch (IOException e) {
            throw new KeyFileException(file + ": cannot read: " + e.getMessage());
        }
        if (secret.length < MIN_SECRET_BYTES) {
            int n = secret.length;
            Arrays.fill(secret, (byte) 0);
            throw new KeyFileException(file + ": " + n + " bytes (expected: at least " + MIN_SECRET_BYTES
                    + " random bytes)");
        }
        return secret;
    }

    /** A key of {@code length} bytes for {@code purpose}; the same on every node with the same secret. */
    public byte[] derive(String purpose, int length) {
        return Hkdf.expand(prk, purpose.getBytes(StandardCharsets.UTF_8), length);
    }

    /** The key of VIP adverts. */
    public byte[] advertKey() {
        return derive(ADVERTS, KEY_BYTES);
    }

    /** The key of the mirror. */
    public byte[] mirrorKey() {
        return derive(MIRROR, KEY_BYTES);
    }

    /** A fresh HMAC-SHA256 keyed for {@code purpose} (a Mac is not thread-safe: one per thread or per use). */
    public Mac hmac(String purpose) {
        return Hkdf.mac(derive(purpose, KEY_BYTES));
    }

    /** Thrown when the secret file is missing, unreadable or too short. */
    public static final class KeyFileException extends Exception {
        public KeyFileException(String message) {
            super(message);
        }
    }
}
