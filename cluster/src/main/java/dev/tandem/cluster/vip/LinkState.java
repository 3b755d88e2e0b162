package dev.tandem.cluster.vip;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether an interface has its link: {@code /sys/class/net/IF/carrier} reads 1; 0, or an error (what an
 * interface set down reads), is no link. Without {@code /sys/class/net/IF} (no sysfs, no such interface) it cannot
 * tell. ({@code ip netns exec} mounts the namespace's own {@code /sys}, so a node run in a namespace sees its
 * own interfaces.)
 */
public final class LinkState {

    private final Path classNet;

    public LinkState(Path classNet) {
        this.classNet = classNet;
    }

    public static LinkState system() {
        return new LinkState(Path.of("/sys/class/net"));
    }

    /** True: link; false: no link; null: cannot tell. */
    public Boolean up(String iface) {
        Path dir;
        try {
            dir = classNet.resolve(iface);
        } catch (RuntimeException e) {
            return null;
        }
        if (!Files.isDirectory(dir)) {
            return null;
        }
        try {
            return Files.readString(dir.resolve("carrier")).trim().equals("1");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
