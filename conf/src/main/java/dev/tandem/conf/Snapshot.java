package dev.tandem.conf;

/**
 * A validated config together with where it came from, the SHA-256 of its text and a version number
 * that grows with every config this process has applied.
 */
public record Snapshot(Config config, String hash, long version, String source) {
}
