package dev.tandem.cluster.vip;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether an interface has its link: {@code /sys/class/net/IF/carrier} reads 1. An interface set down reads as
 * an error, and a missing one has no file: both count as no link. ({@code ip netns exec} mounts the namespace's
 * own {@code /sys}, so a node run in a namespace sees its own interfaces.)
 */
public final class LinkState {

    private final Path classNet;

    public LinkState(Path classNet) {
        this.classNet = classNet;
    }

    public static LinkState system() {
        return new LinkState(Path.of("/sys/class/net"));
    }

    public boolean up(String iface) {
        try {
            return Files.readString(classNet.resolve(iface).resolve("carrier")).trim().equals("1");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
