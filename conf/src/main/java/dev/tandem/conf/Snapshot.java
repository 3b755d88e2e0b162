package dev.tandem.conf;

/**
 * A validated config together with where it came from, the SHA-256 of its text, a version number that
 * grows with every config this process has applied, and where each value was written.
 */
public record Snapshot(Config config, String hash, long version, String source, SourceMap sources) {

    /** A snapshot of a config that was not read from a file. */
    public Snapshot(Config config, String hash, long version, String source) {
        this(config, hash, version, source, SourceMap.EMPTY);
    }
}
