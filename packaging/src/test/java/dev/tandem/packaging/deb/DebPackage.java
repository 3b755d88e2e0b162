package dev.tandem.packaging.deb;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/** Where the build put the .deb: the newest target/tandem_*_all.deb. */
final class DebPackage {

    private DebPackage() {
    }

    static Optional<Path> built() throws IOException {
        Path target = Path.of(System.getProperty("tandem.target", "target")).toAbsolutePath();
        if (!Files.isDirectory(target)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(target)) {
            return files.filter(p -> p.getFileName().toString().matches("tandem_.+_all\\.deb"))
                    .max(Comparator.comparing(DebPackage::modified));
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }
}
