package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One file being received from a peer: its version, the temporary file beside its target, the bytes so far and
 * their digest. A small file's content is kept in memory until it is complete, then written in one go on the
 * flush pool; a large one streams into its temporary file.
 */
final class Receiving {

    private static final Logger log = LoggerFactory.getLogger(Receiving.class);

    final Entry entry;
    final Path target;
    Path temp;
    FileChannel ch;
    /** A small file's content, kept here until it is complete, then written on the flush pool. */
    byte[] buffer;
    MessageDigest md;
    long written;
    /** Why what arrives is dropped (a reason of {@link MirrorMetrics}, or "" when it is no longer needed). */
    String discard;
    String discardReason;

    Receiving(Entry entry, Path target) {
        this.entry = entry;
        this.target = target;
    }

    /**
     * On the flush pool: the temporary file complete on disk, with its mode and owners. False when it could not
     * be ({@link #discardReason} then says why).
     */
    boolean flush(Ownership ownership) {
        try {
            if (buffer != null) {
                ch = FileStore.createTemp(temp);
                ByteBuffer b = ByteBuffer.wrap(buffer);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                buffer = null;
            }
            ch.force(true);
            ch.close();
            ch = null;
            Files.setAttribute(temp, "unix:mode", entry.mode(), LinkOption.NOFOLLOW_LINKS);
            ownership.apply(temp, entry);
            return true;
        } catch (IOException | RuntimeException ex) {
            // (logged as the engine's refusal of the file, which counts it and lists it in status)
            log.debug("mirror: cannot write {}: {}", temp, ex.toString());
            discardReason = "cannot write it: " + ex.getMessage();
            closeAndDelete();
            return false;
        }
    }

    /** Nothing of it is kept. */
    void closeAndDelete() {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // deleting it anyway
            }
            ch = null;
        }
        deleteQuietly(temp);
    }

    static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                log.warn("mirror: cannot delete {}: {}", p, e.toString());
            }
        }
    }

    /** A byte count for the log: {@code 411.1 MiB}. */
    static String size(long n) {
        if (n < 1024 * 1024) {
            return String.format("%.1f KiB", n / 1024.0);
        }
        if (n < 1024L * 1024 * 1024) {
            return String.format("%.1f MiB", n / (1024.0 * 1024));
        }
        return String.format("%.2f GiB", n / (1024.0 * 1024 * 1024));
    }
}
