package dev.tandem.conf;

/**
 * What one mirrored path may hold. Each path (root) is limited on its own: a file over {@code fileSize}, a new
 * file beyond {@code files}, or a change that would take the root over {@code totalBytes} is refused whole, on
 * the node where it was made (not sent) and on a node it is sent to (not asked for, not written).
 *
 * @param fileSize   bytes of one file
 * @param files      files (and links) in one root
 * @param totalBytes bytes of every file of one root together
 */
public record MirrorLimits(long fileSize, long files, long totalBytes) {

    public static final MirrorLimits DEFAULT = new MirrorLimits(Defaults.MIRROR_MAX_FILE_SIZE,
            Defaults.MIRROR_MAX_FILES, Defaults.MIRROR_MAX_TOTAL_BYTES);

    public MirrorLimits {
        if (fileSize < 1 || files < 1 || totalBytes < 1) {
            throw new IllegalArgumentException("mirror limits must be positive: " + fileSize + ", " + files + ", " + totalBytes);
        }
    }
}
