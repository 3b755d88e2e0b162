package dev.tandem.conf;

import java.nio.file.Path;

/** A PEM certificate chain and its private key. */
public record CertificateConfig(Path cert, Path key) {
}
