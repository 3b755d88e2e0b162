package dev.tandem.proxy.statics;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.AsciiString;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds what a clean relative path (see {@link RequestPath}) names under a static root, and opens it. Does
 * file system calls, so it runs on the lookup executor, never on an event loop.
 *
 * <p>No file outside the root is ever opened: the candidate's real path (every symlink resolved) must lie
 * under the root's real path, which is taken again on every lookup so that a root that is itself a symlink
 * switched by deployments ({@code current -> releases/42}) is followed. Hidden components are refused in the
 * real path too, so a symlink cannot expose {@code .git}. Only regular files are opened: opening a FIFO
 * would block this thread, and a device is no website's content.
 *
 * <p>The metadata that makes the ETag must describe the descriptor that is sent. Java cannot {@code fstat}
 * a FileChannel, so the path is stat'ed before and after the open, and the open is kept only when both agree
 * (same inode, size and modification time) and the channel's own size matches; a file replaced in between
 * is simply opened again. The remaining window (replaced and put back identically between the two stats)
 * cannot produce a wrong ETag, only the one the file has.
 *
 * <p>Files up to {@code inlineMax} bytes are read whole into a direct buffer (off the heap) and their
 * descriptor closed at once. For such a file a response costs its system calls and TCP segments, not its
 * bytes: sendfile would save a copy of a few kilobytes (well under a microsecond) but needs a second system
 * call after the head and sends the body as a second segment, which measured here at about eight
 * microseconds of kernel time per response, half of what nginx spends on a whole 1 KiB response. In memory,
 * head and body leave in one {@code writev}. The bytes are a snapshot taken with the ETag (stat'ed again
 * after the read), so a file rewritten in place is never sent half old, half new. {@link InlineMemory}
 * bounds the total; {@code inline_max: 0} sends every file with sendfile.
 */
final class FileLookup {

    private static final Logger log = LoggerFactory.getLogger(FileLookup.class);
    private static final int OPEN_ATTEMPTS = 3;
    private static final AsciiString BROTLI = AsciiString.cached("br");
    private static final AsciiString GZIP = AsciiString.cached("gzip");
    private static final String UNIX_ATTRIBUTES = "unix:ino,size,lastModifiedTime,isRegularFile,isDirectory";

    private final Path root;
    private final List<String> index;
    private final boolean hidden;
    private final boolean precompressed;
    private final MimeTypes mimeTypes;
    private final Executor closer;
    private final AtomicInteger openFiles;
    private final long inlineMax;
    private final InlineMemory inlineMemory;

    /**
     * @param closer       where files are closed once their last user is done
     * @param openFiles    counts the files open or in memory now, across every site (a gauge, and how tests
     *                     see leaks)
     * @param inlineMax    files up to this size are kept in memory instead of open (0: none)
     * @param inlineMemory the budget those share
     */
    FileLookup(Path root, List<String> index, boolean hidden, boolean precompressed, MimeTypes mimeTypes,
               Executor closer, AtomicInteger openFiles, long inlineMax, InlineMemory inlineMemory) {
        this.root = root;
        this.index = index;
        this.hidden = hidden;
        this.precompressed = precompressed;
        this.mimeTypes = mimeTypes;
        this.closer = closer;
        this.openFiles = openFiles;
        this.inlineMax = inlineMax;
        this.inlineMemory = inlineMemory;
    }

    /**
     * What {@code relative} names under the root.
     *
     * @param directory the request path ended with a slash
     */
    Lookup resolve(String relative, boolean directory) {
        Path rootReal;
        try {
            rootReal = root.toRealPath();
        } catch (IOException e) {
            log.warn("static root {} is not usable: {}", root, e.toString());
            return Lookup.Missing.NOT_FOUND;
        }
        try {
            Path real = inside(rootReal, relative.isEmpty() ? rootReal : rootReal.resolve(relative));
            if (real == null) {
                return Lookup.Missing.NOT_FOUND;
            }
            Attributes a = Attributes.of(real);
            if (a.directory()) {
                if (!directory) {
                    return hasIndex(rootReal, real) ? Lookup.Redirect.TO_DIRECTORY : Lookup.Missing.NOT_FOUND;
                }
                for (String name : index) {
                    Lookup found = openFile(rootReal, real.resolve(name));
                    if (found != null) {
                        return found;
                    }
                }
                return Lookup.Missing.NOT_FOUND;
            }
            if (directory || !a.regular()) {
                // "/a.png/" names a directory that is not there; a FIFO or device is not served.
                return Lookup.Missing.NOT_FOUND;
            }
            Lookup found = openFile(rootReal, real);
            return found != null ? found : Lookup.Missing.NOT_FOUND;
        } catch (NoSuchFileException e) {
            return Lookup.Missing.NOT_FOUND;
        } catch (FileSystemException | InvalidPathException e) {
            // Not a directory on the way, name too long, permission denied: nothing to serve.
            log.debug("static lookup of {} under {}: {}", relative, root, e.toString());
            return Lookup.Missing.NOT_FOUND;
        } catch (IOException e) {
            log.warn("static lookup of {} under {} failed: {}", relative, root, e.toString());
            return Lookup.Missing.NOT_FOUND;
        }
    }

    /**
     * The real path of {@code candidate} when it is under the root, not hidden (unless allowed) and no conflict
     * copy the mirror kept (by its name or by the name of what a link leads to), else null.
     */
    private Path inside(Path rootReal, Path candidate) throws IOException {
        Path real = candidate.toRealPath();
        if (isConflictCopy(candidate) || isConflictCopy(real)) {
            return null;
        }
        if (!real.startsWith(rootReal)) {
            log.warn("static path {} leaves the root {} through a symlink (to {}): not served", candidate, rootReal, real);
            return null;
        }
        if (!hidden) {
            for (Path part : rootReal.relativize(real)) {
                if (part.toString().startsWith(".")) {
                    return null;
                }
            }
        }
        return real;
    }

    private static boolean isConflictCopy(Path p) {
        Path name = p.getFileName();
        return name != null && ConflictCopies.isConflictCopy(name.toString());
    }

    private boolean hasIndex(Path rootReal, Path dir) throws IOException {
        for (String name : index) {
            try {
                Path real = inside(rootReal, dir.resolve(name));
                if (real != null && Attributes.of(real).regular()) {
                    return true;
                }
            } catch (NoSuchFileException e) {
                // try the next name
            }
        }
        return false;
    }

    /** The file at {@code path} opened with its siblings, or null when it is not a regular file under the root. */
    private Lookup.Found openFile(Path rootReal, Path path) throws IOException {
        Path real;
        try {
            real = inside(rootReal, path);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (real == null) {
            return null;
        }
        AsciiString type = mimeTypes.of(real.getFileName().toString());
        OpenFile file = open(real, type, null, -1);
        if (file == null) {
            return null;
        }
        OpenFile br = null;
        OpenFile gz = null;
        try {
            if (precompressed) {
                long notBefore = file.lastModifiedMillis() / 1000;
                br = sibling(rootReal, real, ".br", type, BROTLI, notBefore);
                gz = sibling(rootReal, real, ".gz", type, GZIP, notBefore);
            }
            return new Lookup.Found(file, br, gz);
        } catch (IOException | RuntimeException e) {
            file.release();
            if (br != null) {
                br.release();
            }
            throw e;
        }
    }

    /**
     * {@code file.br} or {@code file.gz}, when it is a regular file under the root and not older than the file
     * (to the second: compressors copy the original's time, at that precision on some systems). An older one
     * is left out, so a deploy that updates a file but not its compressed copy never serves stale content.
     */
    private OpenFile sibling(Path rootReal, Path file, String suffix, AsciiString type, AsciiString encoding,
                             long notBeforeSecond) throws IOException {
        try {
            Path real = inside(rootReal, file.resolveSibling(file.getFileName() + suffix));
            return real == null ? null : open(real, type, encoding, notBeforeSecond);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private OpenFile open(Path real, AsciiString type, AsciiString encoding, long notBeforeSecond) throws IOException {
        for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
            Attributes before = Attributes.of(real);
            if (!before.regular() || before.lastModifiedMillis() / 1000 < notBeforeSecond) {
                return null;
            }
            FileChannel channel = FileChannel.open(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            boolean keep = false;
            try {
                Attributes after = Attributes.of(real);
                if (!before.equals(after) || channel.size() != after.size()) {
                    continue;
                }
                long size = after.size();
                if (size <= inlineMax && inlineMemory.reserve(size)) {
                    ByteBuf content = null;
                    boolean unchanged = false;
                    try {
                        content = read(channel, size);
                        // Changed while being read: the bytes may not be the ones the ETag describes.
                        unchanged = content != null && Attributes.of(real).equals(after);
                    } finally {
                        if (!unchanged) {
                            if (content != null) {
                                content.release();
                            }
                            inlineMemory.free(size);
                        }
                    }
                    if (!unchanged) {
                        continue;
                    }
                    openFiles.incrementAndGet();
                    return new OpenFile(null, content, size, after.lastModifiedMillis(), after.etag(), type, encoding,
                            closer, () -> {
                                inlineMemory.free(size);
                                openFiles.decrementAndGet();
                            });
                }
                openFiles.incrementAndGet();
                keep = true;
                return new OpenFile(channel, null, size, after.lastModifiedMillis(), after.etag(), type, encoding,
                        closer, openFiles::decrementAndGet);
            } finally {
                if (!keep) {
                    channel.close();
                }
            }
        }
        log.info("static file {} kept changing while being opened; not served this time", real);
        return null;
    }

    /** The whole file in a direct buffer, or null when it turned out shorter than {@code size}. */
    private static ByteBuf read(FileChannel channel, long size) throws IOException {
        ByteBuf content = UnpooledByteBufAllocator.DEFAULT.directBuffer((int) size, (int) size);
        try {
            while (content.isWritable()) {
                if (content.writeBytes(channel, content.writerIndex(), content.writableBytes()) < 0) {
                    content.release();
                    return null;
                }
            }
            return content;
        } catch (IOException | RuntimeException e) {
            content.release();
            throw e;
        }
    }

    /** What the ETag and the freshness checks are made of. */
    record Attributes(boolean regular, boolean directory, long size, long mtimeNanos, long inode) {

        static Attributes of(Path real) throws IOException {
            try {
                Map<String, Object> a = Files.readAttributes(real, UNIX_ATTRIBUTES);
                return new Attributes((Boolean) a.get("isRegularFile"), (Boolean) a.get("isDirectory"),
                        (Long) a.get("size"), nanos((FileTime) a.get("lastModifiedTime")), (Long) a.get("ino"));
            } catch (UnsupportedOperationException e) {
                // Not a Unix file system view: the file key stands in for the inode.
                BasicFileAttributes b = Files.readAttributes(real, BasicFileAttributes.class);
                Object key = b.fileKey();
                return new Attributes(b.isRegularFile(), b.isDirectory(), b.size(), nanos(b.lastModifiedTime()),
                        key == null ? 0 : key.hashCode() & 0xffffffffL);
            }
        }

        private static long nanos(FileTime t) {
            return t.to(TimeUnit.NANOSECONDS);
        }

        long lastModifiedMillis() {
            return TimeUnit.NANOSECONDS.toMillis(mtimeNanos);
        }

        /**
         * A strong validator that changes whenever the content can have: size, modification time to the
         * nanosecond and inode (a file replaced by rename gets a new one, even when a reproducible build
         * pinned its time and its size did not change). It depends only on the file, so it survives
         * restarts. Another node holds the same file under another inode, so its ETag differs there: after a
         * failover a client downloads the file once more, which is the price of never answering 304 for
         * content that changed.
         */
        AsciiString etag() {
            return new AsciiString('"' + Long.toHexString(size) + '-' + Long.toHexString(mtimeNanos) + '-'
                    + Long.toHexString(inode) + '"');
        }
    }
}
