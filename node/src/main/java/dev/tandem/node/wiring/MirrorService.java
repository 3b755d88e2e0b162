package dev.tandem.node.wiring;

import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.cluster.mirror.ConfigValidator;
import dev.tandem.cluster.mirror.Mirror;
import dev.tandem.cluster.mirror.MirrorListener;
import dev.tandem.conf.ClusterConfig;
import dev.tandem.conf.ConfigError;
import dev.tandem.conf.ConfigException;
import dev.tandem.conf.ConfigLoader;
import dev.tandem.proxy.transport.Transport;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import dev.tandem.conf.Snapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The mirror as the node runs it: the cluster's key and nodes, the data plane's transport for its TCP
 * connections (a loop of its own), and the check a config must pass to be sent or applied, which is
 * {@link ConfigValidation}, the same as {@code tandem check}, start-up and reloads.
 */
final class MirrorService {

    private final Mirror mirror;

    private MirrorService(Mirror mirror) {
        this.mirror = mirror;
    }

    /**
     * Starts the mirror of {@code cluster} (which has a {@code mirror}) as node {@code name}.
     *
     * @param configFile the config file this node runs: edits of it are validated before they leave the node
     * @param inForce    the config in force: the certificate and key pairs of its TLS listeners are checked
     *                   before they leave the node and before they are written here
     */
    static MirrorService start(ClusterConfig cluster, String name, Path configFile, ConfigValidation validation,
                               Supplier<Snapshot> inForce, Transport transport, MeterRegistry meters,
                               MirrorListener listener) throws IOException {
        ClusterKeys keys;
        try {
            keys = ClusterKeys.load(cluster.secretFile());
        } catch (ClusterKeys.KeyFileException e) {
            throw new IOException("cluster.secret_file: " + e.getMessage(), e);
        }
        Mirror mirror = Mirror.builder(cluster, name, keys)
                .configFile(configFile, validator(validation, cluster))
                .certificates(new MirroredPairCheck(inForce))
                .listener(listener)
                .meters(meters)
                .transport(transport.ioHandlerFactory(), transport.serverChannel(), transport.socketChannel())
                .build();
        mirror.start();
        return new MirrorService(mirror);
    }

    /**
     * The config check of {@code tandem check}, on bytes that are not (yet) the file on disk; and, for a config
     * that would change {@link ProtectedSettings} from those of the file on disk, a refusal. The mirror checks
     * the file it read from disk (an edit made here: the same settings) and what a peer sent (before it is
     * written over the file on disk): only a peer's change of them is refused.
     */
    static ConfigValidator validator(ConfigValidation validation, ClusterConfig startedWith) {
        return (file, content) -> {
            Snapshot candidate;
            try {
                candidate = validation.checked(
                        ConfigLoader.fromBytes(file.toString(), content, file.toAbsolutePath().getParent(), 0));
            } catch (ConfigException e) {
                return e.errors().stream().map(ConfigError::toString).toList();
            }
            Optional<ClusterConfig> here;
            try {
                here = ConfigLoader.fromBytes(file.toString(), Files.readAllBytes(file), file.toAbsolutePath().getParent(),
                        0).config().cluster();
            } catch (IOException | ConfigException e) {
                // No config of this node's own to hold to (none yet, or a broken edit on disk): the one in force
                // at start is what the node runs with.
                here = Optional.of(startedWith);
            }
            return ProtectedSettings.changes(here, candidate);
        };
    }

    Mirror mirror() {
        return mirror;
    }

    void stop() {
        mirror.close();
    }
}
