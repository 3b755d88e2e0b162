package dev.tandem.proxy.tls;

import java.nio.file.Path;

/** A certificate or key file that cannot be used: which file, and why. */
public final class CertificateProblem extends Exception {

    private final transient Path file;
    private final String reason;

    public CertificateProblem(Path file, String reason) {
        super(file + ": " + reason);
        this.file = file;
        this.reason = reason;
    }

    public Path file() {
        return file;
    }

    public String reason() {
        return reason;
    }
}
