package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Symbolic links as the mirror keeps them: the target text travels as written (certbot's {@code live/} links
 * are relative, {@code ../../archive/example.com/cert2.pem}), and a link is applied like a file, atomically: a
 * new link beside the old one, renamed over it, so that a reader follows the old target or the new one and
 * never finds no link at all. A link whose target lies outside every mirrored path is refused on both sides:
 * mirrored, it would point each node at whatever that node happens to have there.
 */
public final class Symlinks {

    /** The longest target text a link may carry (Linux's PATH_MAX less its NUL). */
    public static final int MAX_TARGET = 4095;
    private static final byte[] TAG = "symlink\0".getBytes(StandardCharsets.US_ASCII);

    private Symlinks() {
    }

    /** What stands for the content of a link to {@code target}: never the SHA-256 of a file's bytes. */
    public static String hash(String target) {
        var md = FileStore.sha256();
        md.update(TAG);
        md.update(target.getBytes(StandardCharsets.UTF_8));
        return FileStore.hex(md.digest());
    }

    /** The target text of the link at {@code path}. */
    public static String target(Path path) throws IOException {
        return Files.readSymbolicLink(path).toString();
    }

    /** Where the kernel resolves a path (through every link on the way); null when it is not there. */
    @FunctionalInterface
    public interface RealPath {
        Path of(Path path) throws IOException;
    }

    /** {@link RealPath} off this node's disk. */
    public static Path realPath(Path path) throws IOException {
        try {
            return path.toRealPath();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * Why a link at {@code link} to {@code target} may not be mirrored, or null when it may: its target,
     * resolved from the link's directory, is inside a mirrored path, both as written and, when it exists,
     * as the kernel resolves it (through any link on the way). No I/O but {@code realPath}, asked only for a
     * target inside as written ({@link #realPath} on the disk).
     */
    public static String refusal(Roots roots, Path link, String target, RealPath realPath) {
        if (target.isEmpty() || target.length() > MAX_TARGET || target.indexOf('\0') >= 0) {
            return "a link whose target is empty, too long or not text";
        }
        Path abs;
        try {
            Path t = Path.of(target);
            abs = (t.isAbsolute() ? t : link.toAbsolutePath().getParent().resolve(t)).normalize();
        } catch (InvalidPathException e) {
            return "a link to '" + target + "', not a path";
        }
        if (roots.keyOf(abs) == null) {
            return "a link to " + target + (abs.toString().equals(target) ? "" : ", which is " + abs)
                    + ", outside the mirrored paths";
        }
        try {
            Path real = realPath.of(abs);
            // Not there (null): a certbot flip may name a file that arrives in the same batch. As written, it is inside.
            if (real != null && roots.keyOf(real) == null) {
                return "a link to " + target + ", which resolves to " + real + ", outside the mirrored paths";
            }
        } catch (IOException e) {
            return "a link to " + target + " that cannot be resolved (" + e.getMessage() + ")";
        }
        return null;
    }

    /**
     * Puts a link to {@code target} at {@code path} in place of whatever is there (a file, another link),
     * atomically and durably, owned as {@code entry} says when {@code owners} may.
     */
    public static void apply(Path path, String target, Entry entry, Ownership owners) throws IOException {
        Path temp = FileStore.tempBeside(path);
        try {
            FileStore.createDirectories(path.getParent());
            Files.createSymbolicLink(temp, Path.of(target));
            owners.apply(temp, entry);
            try {
                Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename " + temp + " over " + path + " atomically", e);
            }
            FileStore.fsyncDirectory(path.getParent());
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Whether {@code path} is a link to exactly {@code target}. */
    public static boolean is(Path path, String target) {
        try {
            return Files.isSymbolicLink(path) && target(path).equals(target);
        } catch (IOException e) {
            return false;
        }
    }
}
