package dev.tandem.cluster.mirror;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A mirrored path under the name every node knows it by. Nodes name paths the same way when they run the same
 * config: a path under the config file's directory is named relative to it (so that nodes whose config lives
 * in different directories, as in tests, still agree), any other by its absolute path.
 */
public record MirrorRoot(String id, Path path) {

    /** The roots of {@code cluster.mirror.paths} for a node running {@code configFile}. */
    public static List<MirrorRoot> of(List<Path> paths, Path configFile) {
        Path base = configFile.toAbsolutePath().normalize().getParent();
        List<MirrorRoot> roots = new ArrayList<>();
        for (Path p : paths) {
            Path abs = p.toAbsolutePath().normalize();
            String id;
            if (base != null && abs.startsWith(base) && !abs.equals(base)) {
                StringBuilder b = new StringBuilder();
                for (Path name : base.relativize(abs)) {
                    b.append(b.length() == 0 ? "" : "/").append(name);
                }
                id = b.toString();
            } else {
                id = abs.toString();
            }
            roots.add(new MirrorRoot(id, abs));
        }
        return roots;
    }

    static Map<String, Path> byId(List<MirrorRoot> roots) {
        Map<String, Path> m = new LinkedHashMap<>();
        for (MirrorRoot r : roots) {
            if (m.put(r.id(), r.path()) != null) {
                throw new IllegalArgumentException("two mirrored paths named " + r.id());
            }
        }
        return m;
    }
}
