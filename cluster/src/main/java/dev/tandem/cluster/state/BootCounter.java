package dev.tandem.cluster.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;

/**
 * How many times this node has started, kept in {@code cluster.state_dir} as {@code cluster-NODE.boot}: the
 * epoch of its adverts. Peers accept a node's adverts only when they are newer than the last ones they accepted
 * from it (a higher epoch, or the same epoch and a higher sequence), so the epoch must grow with every start,
 * whatever the wall clock does: a clock stepped back, or a node whose clock runs behind its previous run, would
 * otherwise have every advert dropped as a replay while its peers take its VIPs.
 *
 * <p>The new value is on disk before the first advert goes out: written to a temporary file, synced, renamed
 * over the old one, and the directory synced, so that a crash at any point leaves either the old value or the
 * new one, never a torn or lost file (which would let the counter go back).
 *
 * <p>Where there is no file yet (a first start, or the first start of a version that kept the epoch as a wall
 * clock time), the count starts from the wall clock in microseconds, which is above any epoch an older version
 * sent: peers still running it accept the upgraded node at once.
 */
public final class BootCounter {

    private BootCounter() {
    }

    /** The file that holds {@code node}'s counter in {@code stateDir}. */
    public static Path file(Path stateDir, String node) {
        return stateDir.resolve("cluster-" + node + ".boot");
    }

    /**
     * Counts one more start of {@code node}: reads the last count, writes the next one durably, returns it.
     *
     * @throws IOException naming {@code cluster.state_dir} and the path when the directory cannot be made or
     *                     written, or the file holds something else than a count
     */
    public static long next(Path stateDir, String node, Clock wallClock) throws IOException {
        Path file = file(stateDir, node);
        try {
            Files.createDirectories(stateDir);
        } catch (IOException e) {
            throw problem(stateDir, "cannot create the directory", e);
        }
        long last;
        try {
            String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
            last = Long.parseLong(text);
            if (last < 0) {
                throw new NumberFormatException(text);
            }
        } catch (NoSuchFileException e) {
            last = Math.max(0, wallClock.millis() * 1000 - 1);
        } catch (NumberFormatException e) {
            throw new IOException("cluster.state_dir: " + file + ": not a boot count ('" + e.getMessage()
                    + "'); remove the file to start counting again", e);
        } catch (IOException e) {
            throw problem(file, "cannot read the boot counter", e);
        }
        if (last == Long.MAX_VALUE) {
            throw new IOException("cluster.state_dir: " + file + ": the boot counter is exhausted");
        }
        long next = last + 1;
        write(stateDir, file, next);
        return next;
    }

    private static void write(Path dir, Path file, long value) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap((value + "\n").getBytes(StandardCharsets.US_ASCII));
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the write failed already; that failure is the one to report
            }
            throw problem(file, "cannot write the boot counter", e);
        }
    }

    private static IOException problem(Path path, String what, IOException cause) {
        String why = cause instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : cause instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                : cause.toString();
        return new IOException("cluster.state_dir: " + path + ": " + what + " (" + why + ")", cause);
    }
}
