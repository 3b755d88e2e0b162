package dev.tandem.proxy.tls;

import dev.tandem.conf.CertificateConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Reads a {@code {cert, key}} pair from disk and checks it: both files are PEM, the chain has at least one
 * certificate, the key is one Tandem can use, and the key belongs to the leaf certificate. Blocking file IO:
 * never on an event loop.
 */
public final class CertificateFiles {

    private static final SecureRandom RANDOM = new SecureRandom();

    private CertificateFiles() {
    }

    /**
     * Loads {@code config}.
     *
     * @throws CertificateProblem naming the file and what is wrong with it
     */
    public static LoadedCertificate load(CertificateConfig config) throws CertificateProblem {
        return load(config, read(config.cert()), read(config.key()));
    }

    /**
     * Checks {@code config}'s pair as if {@code cert} and {@code key} were the contents of its files (the mirror
     * checks a pair before it sends it, and one it received before it writes it over the files in place).
     *
     * @throws CertificateProblem naming the file and what is wrong with it
     */
    public static LoadedCertificate load(CertificateConfig config, byte[] cert, byte[] keyBytes) throws CertificateProblem {
        List<X509Certificate> chain = readChain(config.cert(), cert);
        PrivateKey key = readKey(config.key(), keyBytes);
        if (!matches(key, chain.get(0).getPublicKey())) {
            throw new CertificateProblem(config.key(), "the key does not match the certificate in " + config.cert());
        }
        return new LoadedCertificate(config, chain, key, names(chain.get(0)));
    }

    static List<X509Certificate> readChain(Path file) throws CertificateProblem {
        return readChain(file, read(file));
    }

    private static List<X509Certificate> readChain(Path file, byte[] bytes) throws CertificateProblem {
        List<Pem> blocks;
        try {
            blocks = Pem.parse(bytes);
        } catch (IllegalArgumentException e) {
            throw new CertificateProblem(file, e.getMessage());
        }
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (Pem p : blocks) {
                if (p.label().equals("CERTIFICATE")) {
                    chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(p.der())));
                }
            }
        } catch (CertificateException | RuntimeException e) {
            throw new CertificateProblem(file, "malformed certificate: " + e.getMessage());
        }
        if (chain.isEmpty()) {
            throw new CertificateProblem(file, "no certificate in the file (expected: a BEGIN CERTIFICATE block)");
        }
        return chain;
    }

    static PrivateKey readKey(Path file) throws CertificateProblem {
        return readKey(file, read(file));
    }

    private static PrivateKey readKey(Path file, byte[] bytes) throws CertificateProblem {
        try {
            return PrivateKeys.read(bytes);
        } catch (IllegalArgumentException e) {
            throw new CertificateProblem(file, e.getMessage());
        }
    }

    static byte[] read(Path file) throws CertificateProblem {
        try {
            if (Files.isDirectory(file)) {
                throw new CertificateProblem(file, "is a directory (expected: a PEM file)");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CertificateProblem(file, "no such file");
        } catch (AccessDeniedException e) {
            throw new CertificateProblem(file, "permission denied");
        } catch (IOException e) {
            throw new CertificateProblem(file, "cannot read: " + e.getMessage());
        }
    }

    /** Whether {@code key} is the private half of {@code publicKey}: it signs, the certificate's key verifies. */
    static boolean matches(PrivateKey key, PublicKey publicKey) {
        if (!key.getAlgorithm().equals(publicKey.getAlgorithm())
                && !(key.getAlgorithm().equals("EC") && publicKey.getAlgorithm().equals("EC"))) {
            return false;
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "Ed448" -> "Ed448";
            default -> null;
        };
        if (algorithm == null) {
            return false;
        }
        try {
            byte[] challenge = new byte[32];
            RANDOM.nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** DNS subject alternative names, else the subject's common name; lowercased, in certificate order. */
    static List<String> names(X509Certificate leaf) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(2).equals(san.get(0)) && san.get(1) instanceof String dns) {
                        names.add(dns.toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // Unreadable extension: fall back to the common name.
        }
        if (names.isEmpty()) {
            try {
                for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        names.add(String.valueOf(rdn.getValue()).toLowerCase(Locale.ROOT));
                    }
                }
            } catch (InvalidNameException e) {
                // No usable subject: the certificate serves as the default only.
            }
        }
        return names;
    }
}
