package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The mirrored paths of this node, each under the id every node knows it by, and the mapping between keys
 * and local paths. A root that is a link is followed once, here: the mirror then works on what it points to
 * (so that a config file kept elsewhere and linked into /etc stays a link).
 */
public final class Roots {

    /** One mirrored path. {@code directory} is false for a single file, and for a path missing at start. */
    public record Root(String id, Path path, boolean directory) {
    }

    private final Map<String, Root> byId = new LinkedHashMap<>();

    /** @param paths local path by root id */
    public Roots(Map<String, Path> paths) throws IOException {
        for (Map.Entry<String, Path> e : paths.entrySet()) {
            Path p = e.getValue().toAbsolutePath().normalize();
            if (Files.exists(p)) {
                p = p.toRealPath();
            }
            byId.put(e.getKey(), new Root(e.getKey(), p, Files.isDirectory(p)));
        }
        List<Root> all = new ArrayList<>(byId.values());
        for (int i = 0; i < all.size(); i++) {
            for (int j = i + 1; j < all.size(); j++) {
                Path a = all.get(i).path();
                Path b = all.get(j).path();
                if (a.startsWith(b) || b.startsWith(a)) {
                    throw new IllegalArgumentException("mirrored paths " + a + " and " + b + " nest (expected: none inside another)");
                }
            }
        }
    }

    public Collection<Root> all() {
        return byId.values();
    }

    public Root get(String id) {
        return byId.get(id);
    }

    /** The root {@code path} is or is under, with the key it has there; null when it is in none. */
    public EntryKey keyOf(Path path) {
        Path p = path.toAbsolutePath().normalize();
        for (Root r : byId.values()) {
            if (p.equals(r.path())) {
                return new EntryKey(r.id(), "");
            }
            if (p.startsWith(r.path())) {
                StringBuilder rel = new StringBuilder();
                for (Path name : r.path().relativize(p)) {
                    rel.append(rel.length() == 0 ? "" : "/").append(name);
                }
                return new EntryKey(r.id(), rel.toString());
            }
        }
        return null;
    }

    /**
     * The local path of {@code key}, or null when its root is not mirrored here or its path is not one a peer
     * may name (see {@link #validRel}).
     */
    public Path pathOf(EntryKey key) {
        Root r = byId.get(key.root());
        if (r == null || !validRel(key.rel())) {
            return null;
        }
        if (key.rel().isEmpty()) {
            return r.path();
        }
        Path p = r.path().resolve(key.rel()).normalize();
        return p.startsWith(r.path()) && !p.equals(r.path()) ? p : null;
    }

    /**
     * A path inside a root as a peer may send it: empty (the root itself), or names separated by single
     * {@code /}, none of them empty, {@code .}, {@code ..} or a temporary file's, no NUL; at most 4096
     * characters. Anything else is hostile or broken, and is refused.
     */
    public static boolean validRel(String rel) {
        if (rel.isEmpty()) {
            return true;
        }
        if (rel.length() > 4096 || rel.indexOf('\0') >= 0 || rel.startsWith("/") || rel.endsWith("/")) {
            return false;
        }
        for (String name : rel.split("/", -1)) {
            if (name.isEmpty() || name.equals(".") || name.equals("..") || FileStore.isTemp(name)) {
                return false;
            }
        }
        return true;
    }
}
