package dev.tandem.cluster.mirror;

import java.nio.file.Path;
import java.util.List;

/**
 * The check a config file must pass before the mirror sends it or applies it: the same one {@code tandem check}
 * runs, given by the composition root (the cluster module cannot see it).
 */
@FunctionalInterface
public interface ConfigValidator {

    /**
     * Every problem of {@code content} if it were the config file at {@code file} (relative paths resolve
     * against its directory), each as {@code FILE:LINE:COL: message}; empty when it is fit to run.
     * Called on the mirror's own thread: may block.
     */
    List<String> problems(Path file, byte[] content);
}
