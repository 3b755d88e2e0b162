package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The facts about this node's files that the {@link MirrorCore} decides on, and nothing else: a stat, a hash, a
 * link's target, a directory's files, the halves of a certificate pair. The driver gives {@link LocalDisk}; a test
 * gives a map in memory, so the core's decisions are tested with no file and no thread. Nothing here writes.
 */
interface Disk {

    /** A file met by a {@link #walk}: a regular file, a link, or something else (a socket, a fifo). */
    record Walked(Path path, boolean regular, boolean link) {
    }

    /** The stat of a regular file or a link (not followed), or null when {@code path} is neither. */
    FileStore.Stat stat(Path path) throws IOException;

    /** Whether {@code path} is a directory ({@code followLinks}: a link to one counts). */
    boolean directory(Path path, boolean followLinks);

    /** Whether anything is at {@code path} (a link counts, wherever it points). */
    boolean exists(Path path);

    /** Hex SHA-256 of the file's content. */
    String hash(Path path) throws IOException;

    byte[] read(Path path) throws IOException;

    /** The target text of the link at {@code path}. */
    String linkTarget(Path path) throws IOException;

    /** Where the kernel resolves {@code path}; null when it is not there (see {@link Symlinks.RealPath}). */
    Path realPath(Path path) throws IOException;

    /** Owner and group names of {@code path} (a link's own), {@code {"", ""}} when they cannot be read. */
    String[] owners(Path path);

    /** One half of a certificate pair, or why there is none. */
    CertificatePairs.Half certificateHalf(Path path);

    /** Whether no link lies between the directory {@code root} and the file {@code target} below it. */
    boolean noLinksBetween(Path root, Path target);

    /** Every file under {@code dir}, links not followed; a part that cannot be read is left out. */
    List<Walked> walk(Path dir) throws IOException;
}
