package dev.tandem.node.cli;

import dev.tandem.cluster.LocalNode;
import dev.tandem.conf.Config;
import dev.tandem.conf.HostPort;
import java.io.IOException;
import java.util.Optional;

/**
 * Where a command run on a node finds that node's admin listener from the config: {@code admin.bind}, or this
 * host's node's {@code admin.per_node} entry (the node picked as {@code tandem run} picks it, by the addresses on
 * this host). A host that is no single node's uses {@code admin.bind}.
 */
final class AdminTarget {

    private AdminTarget() {
    }

    static HostPort of(Config c) {
        if (c.admin().perNodeBind().isEmpty() || c.cluster().isEmpty()) {
            return c.admin().bind();
        }
        try {
            return c.admin().bindFor(LocalNode.pick(c.cluster().get(), Optional.empty()));
        } catch (IOException | IllegalArgumentException e) {
            return c.admin().bind();
        }
    }
}
