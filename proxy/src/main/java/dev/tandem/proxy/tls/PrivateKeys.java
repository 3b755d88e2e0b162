package dev.tandem.proxy.tls;

import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;

/**
 * Private keys from PEM: PKCS#8 ({@code BEGIN PRIVATE KEY}) as the JDK reads it, and the traditional OpenSSL
 * forms ({@code BEGIN RSA PRIVATE KEY}, PKCS#1; {@code BEGIN EC PRIVATE KEY}, SEC 1) that many certificate
 * tools still write, rewrapped as PKCS#8. The rewrapping is a few lines of DER, so no crypto library is
 * needed for it: PKCS#8 is {@code SEQUENCE {INTEGER 0, AlgorithmIdentifier, OCTET STRING {traditional key}}}.
 */
final class PrivateKeys {

    /** 1.2.840.113549.1.1.1 rsaEncryption, with its NULL parameters. */
    private static final byte[] RSA_ALGORITHM = {
        0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    };
    /** 1.2.840.10045.2.1 id-ecPublicKey. */
    private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    private PrivateKeys() {
    }

    /**
     * The one private key in a PEM file.
     *
     * @throws IllegalArgumentException saying what is wrong: no key, several keys, an encrypted or unsupported key
     */
    static PrivateKey read(byte[] file) {
        List<Pem> keys = Pem.parse(file).stream().filter(p -> p.label().endsWith("PRIVATE KEY")).toList();
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("no private key in the file (expected: a BEGIN PRIVATE KEY, "
                    + "BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY block)");
        }
        if (keys.size() > 1) {
            throw new IllegalArgumentException(keys.size() + " private keys in the file (expected: one)");
        }
        Pem key = keys.get(0);
        return switch (key.label()) {
            case "PRIVATE KEY" -> pkcs8(key.der());
            case "RSA PRIVATE KEY" -> decode("RSA", wrap(RSA_ALGORITHM, key.der()));
            case "EC PRIVATE KEY" -> decode("EC", wrap(ecAlgorithm(key.der()), key.der()));
            case "ENCRYPTED PRIVATE KEY" ->
                    throw new IllegalArgumentException("the private key is encrypted (expected: a key without a passphrase)");
            default -> throw new IllegalArgumentException("unsupported key type '" + key.label()
                    + "' (expected: PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
        };
    }

    private static PrivateKey pkcs8(byte[] der) {
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException | RuntimeException e) {
                // Not this algorithm: try the next.
            }
        }
        throw new IllegalArgumentException("unsupported or malformed PKCS#8 private key (expected: RSA, EC or Ed25519)");
    }

    private static PrivateKey decode(String algorithm, byte[] pkcs8) {
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("malformed " + algorithm + " private key: " + e.getMessage());
        }
    }

    /**
     * The AlgorithmIdentifier of a SEC 1 key: id-ecPublicKey with the curve named in the key's
     * {@code [0] parameters}. ECPrivateKey ::= SEQUENCE {version, privateKey OCTET STRING, [0] curve OID, [1] ...}.
     */
    private static byte[] ecAlgorithm(byte[] sec1) {
        Der outer = new Der(sec1, 0);
        if (outer.tag != 0x30) {
            throw new IllegalArgumentException("malformed EC private key (expected: a SEC 1 ECPrivateKey)");
        }
        int at = outer.contentStart;
        while (at < outer.end) {
            Der item = new Der(sec1, at);
            if (item.tag == 0xa0) {
                Der oid = new Der(sec1, item.contentStart);
                if (oid.tag != 0x06) {
                    break;
                }
                byte[] curve = java.util.Arrays.copyOfRange(sec1, item.contentStart, oid.end);
                return sequence(EC_PUBLIC_KEY_OID, curve);
            }
            at = item.end;
        }
        throw new IllegalArgumentException("EC private key without a named curve (expected: a key written by "
                + "openssl ecparam -genkey or openssl genpkey)");
    }

    private static byte[] wrap(byte[] algorithm, byte[] traditional) {
        byte[] version = {0x02, 0x01, 0x00};
        return sequence(version, algorithm, tlv(0x04, traditional));
    }

    private static byte[] sequence(byte[]... parts) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            body.writeBytes(p);
        }
        return tlv(0x30, body.toByteArray());
    }

    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x83);
            out.write(n >> 16);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    /** One DER element header: its tag, where its content starts and where the element ends. */
    private static final class Der {
        final int tag;
        final int contentStart;
        final int end;

        Der(byte[] b, int at) {
            if (at + 2 > b.length) {
                throw new IllegalArgumentException("malformed EC private key (truncated)");
            }
            tag = b[at] & 0xff;
            int len = b[at + 1] & 0xff;
            int pos = at + 2;
            if (len >= 0x80) {
                int bytes = len & 0x7f;
                if (bytes == 0 || bytes > 3 || pos + bytes > b.length) {
                    throw new IllegalArgumentException("malformed EC private key (bad length)");
                }
                len = 0;
                for (int i = 0; i < bytes; i++) {
                    len = (len << 8) | (b[pos++] & 0xff);
                }
            }
            contentStart = pos;
            end = pos + len;
            if (end > b.length) {
                throw new IllegalArgumentException("malformed EC private key (truncated)");
            }
        }
    }
}
