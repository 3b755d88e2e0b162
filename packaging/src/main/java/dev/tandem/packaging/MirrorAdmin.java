package dev.tandem.packaging;

import dev.tandem.cluster.mirror.Mirror;
import dev.tandem.packaging.admin.StatusSection;

/** The mirror on the admin listener: the {@code mirror} section of {@code /status} (the latest published, never waited for). */
final class MirrorAdmin {

    private MirrorAdmin() {
    }

    static void add(Node node, Mirror mirror) {
        node.statusSections().add(StatusSection.of("mirror", () -> mirror.status().toTree()));
    }
}
