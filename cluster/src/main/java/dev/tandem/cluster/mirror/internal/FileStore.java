package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The file-system side of the mirror: what a file is now (stat, hash), and changes made so that a reader never
 * sees half a file and a crash at any point leaves the old or the new version: content goes to a temporary
 * file in the same directory, is flushed to disk, takes its mode, is renamed over the target (atomic within a
 * file system), and the directory is flushed so that the rename itself survives a crash. Blocking: call from
 * the mirror's own thread, never an event loop.
 */
public final class FileStore {

    /** Temporary files carry this in their name; scans and watches skip them, a start removes leftovers. */
    static final String TEMP_MARK = ".tandem-mirror-";
    static final String TEMP_SUFFIX = ".tmp";
    private static final int BUFFER = 64 * 1024;

    private FileStore() {
    }

    /**
     * What identifies a file's content without reading it: if none of these changed, the content did not
     * either (the inode and ctime catch a rename over the file and tools that restore mtimes).
     */
    public record Stat(long size, long mtimeNanos, long ctimeNanos, long inode, int mode, int uid, int gid,
                       boolean link) {

        /** A regular file's stat without its owners (a state file written before owners were mirrored). */
        public Stat(long size, long mtimeNanos, long ctimeNanos, long inode, int mode) {
            this(size, mtimeNanos, ctimeNanos, inode, mode, -1, -1, false);
        }

        /** Whether the owner or group differs from {@code before}'s (false when {@code before} did not record them). */
        public boolean ownersChangedSince(Stat before) {
            return before != null && before.uid >= 0 && (uid != before.uid || gid != before.gid);
        }
    }

    public static boolean isTemp(String name) {
        return name.startsWith(".") && name.contains(TEMP_MARK) && name.endsWith(TEMP_SUFFIX);
    }

    /**
     * The stat of a regular file or of a symbolic link (links not followed), or null when {@code path} is
     * neither.
     */
    public static Stat stat(Path path) throws IOException {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(path, "unix:size,lastModifiedTime,ctime,ino,mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
        int mode = (Integer) a.get("mode");
        int type = mode & 0170000;
        if (type != 0100000 && type != 0120000) {
            return null;
        }
        return new Stat((Long) a.get("size"), nanos((FileTime) a.get("lastModifiedTime")),
                nanos((FileTime) a.get("ctime")), (Long) a.get("ino"), mode & 07777, (Integer) a.get("uid"),
                (Integer) a.get("gid"), type == 0120000);
    }

    private static long nanos(FileTime t) {
        return t.to(TimeUnit.NANOSECONDS);
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    private static final ThreadLocal<byte[]> BUFFERS = ThreadLocal.withInitial(() -> new byte[BUFFER]);

    /** Hex SHA-256 of the file's content. */
    public static String hash(Path path) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = BUFFERS.get();
        try (InputStream in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return hex(md.digest());
    }

    /** A fresh name for a temporary file beside {@code target}. */
    public static Path tempBeside(Path target) {
        return target.resolveSibling("." + target.getFileName() + TEMP_MARK
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE) + TEMP_SUFFIX);
    }

    /** Opens a new temporary file beside {@code target} for writing, creating missing parent directories. */
    public static FileChannel createTemp(Path temp) throws IOException {
        createDirectories(temp.getParent());
        return FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    /**
     * Creates {@code dir} and its missing parents, durably: the entry of each new directory is flushed in its
     * parent, or a crash could lose a directory whose files the state file then says are here.
     */
    static void createDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        ArrayDeque<Path> missing = new ArrayDeque<>();
        for (Path p = dir; p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); p = p.getParent()) {
            missing.push(p);
        }
        Files.createDirectories(dir);
        for (Path p : missing) {
            fsyncDirectory(p.getParent());
        }
    }

    /**
     * Puts {@code temp} (written and forced) in place of {@code target} with {@code mode}: chmod, rename,
     * directory flushed.
     */
    public static void commit(Path temp, Path target, int mode) throws IOException {
        Files.setAttribute(temp, "unix:mode", mode & 07777, LinkOption.NOFOLLOW_LINKS);
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + temp + " over " + target + " atomically", e);
        }
        fsyncDirectory(target.getParent());
    }

    /** Writes {@code content} to {@code target} the same atomic, durable way (the mirror's state file). */
    public static void writeAtomically(Path target, byte[] content, int mode) throws IOException {
        Path temp = tempBeside(target);
        try {
            try (FileChannel ch = createTemp(temp)) {
                ByteBuffer b = ByteBuffer.wrap(content);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            commit(temp, target, mode);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Flushes a directory's entries (a rename, a creation, a deletion) to disk. */
    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Sets the permission bits of an existing file (a version that changed only its mode). */
    public static void chmod(Path file, int mode) throws IOException {
        Files.setAttribute(file, "unix:mode", mode & 07777, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Deletes {@code file} if present, durably, then removes the directories this left empty up to (not
     * including) {@code root}.
     */
    public static void delete(Path file, Path root) throws IOException {
        if (Files.deleteIfExists(file)) {
            fsyncDirectory(file.getParent());
        }
        for (Path dir = file.getParent(); dir != null && !dir.equals(root) && dir.startsWith(root); dir = dir.getParent()) {
            try {
                Files.delete(dir);
            } catch (DirectoryNotEmptyException | NoSuchFileException e) {
                return;
            }
        }
    }

    /**
     * Keeps the current content of {@code file} under {@code keep} (a conflict's loser) before something else
     * is renamed over {@code file}: a hard link when the file system allows (instant, and the content is the
     * very file readers had), else a copy, made atomically. An existing {@code keep} (the same loser kept
     * before) is left alone.
     */
    public static void keepBeside(Path file, Path keep) throws IOException {
        if (Files.exists(keep, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.createLink(keep, file);
            fsyncDirectory(keep.getParent());
            return;
        } catch (FileAlreadyExistsException e) {
            return;
        } catch (UnsupportedOperationException | IOException e) {
            // fall back to a copy
        }
        Path temp = tempBeside(keep);
        try {
            Files.copy(file, temp, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(temp, keep, StandardCopyOption.ATOMIC_MOVE);
            fsyncDirectory(keep.getParent());
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Whether every existing directory below {@code root} down to {@code target}'s parent is a real directory:
     * a received path must not lead out of its root through a link. (The root itself may be a link: the operator
     * chose it. {@code target} itself may be a link: what is received replaces the link, by a rename, or deletes
     * it, and never writes through it.)
     */
    public static boolean noLinksBetween(Path root, Path target) {
        Path rel = root.relativize(target.getParent() == null ? target : target.getParent());
        Path p = root;
        for (Path name : rel) {
            if (name.toString().isEmpty()) {
                continue;
            }
            p = p.resolve(name);
            if (Files.isSymbolicLink(p) || Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
        }
        return true;
    }
}
