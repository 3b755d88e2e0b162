package dev.tandem.conf;

import java.nio.file.Path;
import java.util.List;

/** Files and directories kept identical on every node. */
public record MirrorConfig(List<Path> paths) {

    public MirrorConfig {
        paths = List.copyOf(paths);
    }
}
