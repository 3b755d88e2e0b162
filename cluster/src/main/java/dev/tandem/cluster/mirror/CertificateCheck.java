package dev.tandem.cluster.mirror;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The check a certificate and its key must pass, as one unit, before the mirror sends either half and before
 * it writes a received half over the file in place: the same one {@code tandem check} runs (the file parses,
 * the key matches the certificate; an expired certificate is a warning), given by the composition root (the
 * cluster module cannot see the proxy's TLS code).
 */
public interface CertificateCheck {

    /** A certificate file and its key file, by their absolute real paths. */
    record Pair(Path cert, Path key) {

        /** The other half of {@code file}, which is one of the two. */
        public Path other(Path file) {
            return file.equals(cert) ? key : cert;
        }
    }

    /** What the check found: errors refuse the pair, warnings (an expired certificate) do not. */
    record Verdict(List<String> errors, List<String> warnings) {

        public boolean ok() {
            return errors.isEmpty();
        }
    }

    /** The pair of the config in force that {@code file} (absolute, real) is half of; empty for any other file. */
    Optional<Pair> pairOf(Path file);

    /** Checks {@code pair} as if {@code cert} and {@code key} were its files' contents. May block. */
    Verdict check(Pair pair, byte[] cert, byte[] key);
}
