package dev.tandem.cluster.mirror;

import dev.tandem.conf.ConfigCheck;
import dev.tandem.conf.ConfigError;
import dev.tandem.conf.MirrorConfig;
import dev.tandem.conf.Snapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What {@code cluster.mirror} names outside the config: the state directory must be a writable directory, or
 * one that can be made (its nearest existing parent writable), since a node that cannot record its versions
 * would take every file for a new edit at its next start. Mirrored paths may be missing: what peers send
 * creates them. Nothing is created here ({@code tandem check} changes nothing).
 */
public final class MirrorCheck implements ConfigCheck {

    @Override
    public List<ConfigError> check(Snapshot snapshot) {
        Optional<MirrorConfig> mirror = snapshot.config().cluster().flatMap(c -> c.mirror());
        if (mirror.isEmpty()) {
            return List.of();
        }
        Path dir = mirror.get().stateDir();
        String problem = problem(dir);
        return problem == null ? List.of()
                : List.of(snapshot.sources().error("cluster.mirror.state_dir", "cluster.mirror.state_dir: " + dir + ": " + problem));
    }

    static String problem(Path dir) {
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir)) {
                return "not a directory";
            }
            return Files.isWritable(dir) ? null : "not writable (expected: a directory this node can write)";
        }
        Path parent = dir.toAbsolutePath().getParent();
        while (parent != null && !Files.exists(parent)) {
            parent = parent.getParent();
        }
        if (parent == null) {
            return "cannot be made: no directory above it";
        }
        if (!Files.isDirectory(parent)) {
            return "cannot be made: " + parent + " is not a directory";
        }
        return Files.isWritable(parent) ? null : "cannot be made: " + parent + " is not writable";
    }
}
