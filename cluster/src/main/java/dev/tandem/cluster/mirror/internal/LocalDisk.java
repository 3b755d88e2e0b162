package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link Disk} as this node's file system answers it. */
final class LocalDisk implements Disk {

    static final LocalDisk INSTANCE = new LocalDisk();

    private static final Logger log = LoggerFactory.getLogger(LocalDisk.class);

    private LocalDisk() {
    }

    @Override
    public FileStore.Stat stat(Path path) throws IOException {
        return FileStore.stat(path);
    }

    @Override
    public boolean directory(Path path, boolean followLinks) {
        return followLinks ? Files.isDirectory(path) : Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public boolean exists(Path path) {
        return Files.exists(path, LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public String hash(Path path) throws IOException {
        return FileStore.hash(path);
    }

    @Override
    public byte[] read(Path path) throws IOException {
        return Files.readAllBytes(path);
    }

    @Override
    public String linkTarget(Path path) throws IOException {
        return Symlinks.target(path);
    }

    @Override
    public Path realPath(Path path) throws IOException {
        return Symlinks.realPath(path);
    }

    @Override
    public String[] owners(Path path) {
        return Ownership.namesOf(path);
    }

    @Override
    public boolean noLinksBetween(Path root, Path target) {
        return FileStore.noLinksBetween(root, target);
    }

    @Override
    public CertificatePairs.Half certificateHalf(Path path) {
        return CertificateFiles.read(path);
    }

    @Override
    public List<Walked> walk(Path dir) throws IOException {
        List<Walked> out = new ArrayList<>();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                out.add(new Walked(file, attrs.isRegularFile(), attrs.isSymbolicLink()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                log.debug("mirror: cannot scan {}: {}", file, e.toString());
                return FileVisitResult.CONTINUE;
            }
        });
        return out;
    }
}
