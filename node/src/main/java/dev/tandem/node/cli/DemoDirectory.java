package dev.tandem.node.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The temporary directory of one {@code tandem demo} ({@code tandem-demo-*} under java.io.tmpdir): its config,
 * access log and static root. Closing it removes it with everything in it, once, from whichever thread
 * closes it first (the shutdown hook, or the demo's own way out).
 */
final class DemoDirectory implements AutoCloseable {

    private final Path path;
    private final AtomicBoolean removed = new AtomicBoolean();

    private DemoDirectory(Path path) {
        this.path = path;
    }

    static DemoDirectory create() throws IOException {
        return new DemoDirectory(Files.createTempDirectory("tandem-demo-"));
    }

    Path path() {
        return path;
    }

    @Override
    public void close() {
        if (!removed.compareAndSet(false, true)) {
            return;
        }
        try {
            Files.walkFileTree(path, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException e) {
            // already gone
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + path, e);
        }
    }
}
