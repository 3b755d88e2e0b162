package dev.tandem.cluster.key;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterKeysTest {

    @TempDir
    Path dir;

    /** RFC 5869 appendix A.1. */
    @Test
    void hkdfMatchesTheRfcTestVector() {
        HexFormat hex = HexFormat.of();
        byte[] ikm = hex.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        byte[] salt = hex.parseHex("000102030405060708090a0b0c");
        byte[] info = hex.parseHex("f0f1f2f3f4f5f6f7f8f9");
        byte[] prk = Hkdf.extract(salt, ikm);
        assertEquals("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", hex.formatHex(prk));
        assertEquals("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
                hex.formatHex(Hkdf.expand(prk, info, 42)));
    }

    @Test
    void eachPurposeGetsItsOwnKeyAndEveryNodeTheSameOnes() throws Exception {
        byte[] secret = new byte[32];
        Arrays.fill(secret, (byte) 7);
        Path file = dir.resolve("cluster.key");
        Files.write(file, secret);
        ClusterKeys a = ClusterKeys.load(file);
        ClusterKeys b = ClusterKeys.of(secret);
        assertArrayEquals(a.advertKey(), b.advertKey());
        assertArrayEquals(a.mirrorKey(), b.mirrorKey());
        assertFalse(Arrays.equals(a.advertKey(), a.mirrorKey()));
        assertFalse(Arrays.equals(a.advertKey(), secret));
        assertEquals(32, a.advertKey().length);
        secret[0] = 8;
        assertFalse(Arrays.equals(a.advertKey(), ClusterKeys.of(secret).advertKey()), "another secret, other keys");
        assertEquals(48, a.derive("something else", 48).length);
    }

    @Test
    void missingShortAndUnreadableFilesAreRefusedWithAReason() throws Exception {
        Path missing = dir.resolve("nope.key");
        var e = assertThrows(ClusterKeys.KeyFileException.class, () -> ClusterKeys.load(missing));
        assertTrue(e.getMessage().startsWith(missing + ": no such file (expected: a file of at least 32 random bytes"),
                e.getMessage());

        Path shortFile = dir.resolve("short.key");
        Files.writeString(shortFile, "tooshort\n");
        assertEquals(shortFile + ": 9 bytes (expected: at least 32 random bytes)", ClusterKeys.problem(shortFile));

        assertEquals(dir + ": is a directory (expected: a file of at least 32 random bytes)", ClusterKeys.problem(dir));

        Path fine = dir.resolve("fine.key");
        Files.write(fine, new byte[64]);
        assertNull(ClusterKeys.problem(fine));
        assertThrows(IllegalArgumentException.class, () -> ClusterKeys.of(new byte[31]));
    }
}
