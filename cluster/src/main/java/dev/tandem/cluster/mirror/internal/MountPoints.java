package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Whether a mirrored root is a mount point now ({@code require_mount}): listed as one in
 * {@code /proc/self/mountinfo} (bind mounts included), or on another device than its parent directory. A root
 * that is not (its disk is not mounted, and what is left is the empty directory below) is not scanned: its
 * emptiness is no edit.
 */
public final class MountPoints implements Predicate<Roots.Root> {

    private final Set<Path> required;
    private final Path mountinfo;

    public MountPoints(List<Path> required) {
        this(required, Path.of("/proc/self/mountinfo"));
    }

    MountPoints(List<Path> required, Path mountinfo) {
        this.required = Set.copyOf(required.stream().map(p -> p.toAbsolutePath().normalize()).toList());
        this.mountinfo = mountinfo;
    }

    @Override
    public boolean test(Roots.Root root) {
        Path p = root.path().toAbsolutePath().normalize();
        return !required.contains(p) || isMountPoint(p);
    }

    boolean isMountPoint(Path p) {
        if (!Files.isDirectory(p)) {
            return false;
        }
        try {
            Path real = p.toRealPath();
            for (String line : Files.readAllLines(mountinfo)) {
                String[] f = line.split(" ");
                if (f.length > 4 && Path.of(unescape(f[4])).equals(real)) {
                    return true;
                }
            }
            Path parent = real.getParent();
            return parent != null && !Files.getAttribute(real, "unix:dev", LinkOption.NOFOLLOW_LINKS)
                    .equals(Files.getAttribute(parent, "unix:dev", LinkOption.NOFOLLOW_LINKS));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** mountinfo writes a space, tab, newline and backslash of a path as octal escapes. */
    static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
