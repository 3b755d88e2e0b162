package dev.tandem.packaging;

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
import java.nio.file.Path;
import java.util.List;

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
     */
    static MirrorService start(ClusterConfig cluster, String name, Path configFile, ConfigValidation validation,
                               Transport transport, MeterRegistry meters, MirrorListener listener) throws IOException {
        ClusterKeys keys;
        try {
            keys = ClusterKeys.load(cluster.secretFile());
        } catch (ClusterKeys.KeyFileException e) {
            throw new IOException("cluster.secret_file: " + e.getMessage(), e);
        }
        Mirror mirror = Mirror.builder(cluster, name, keys)
                .configFile(configFile, validator(validation))
                .listener(listener)
                .meters(meters)
                .transport(transport.ioHandlerFactory(), transport.serverChannel(), transport.socketChannel())
                .build();
        mirror.start();
        return new MirrorService(mirror);
    }

    /** The config check of {@code tandem check}, on bytes that are not (yet) the file on disk. */
    static ConfigValidator validator(ConfigValidation validation) {
        return (file, content) -> {
            try {
                validation.checked(ConfigLoader.fromBytes(file.toString(), content, file.toAbsolutePath().getParent(), 0));
                return List.of();
            } catch (ConfigException e) {
                return e.errors().stream().map(ConfigError::toString).toList();
            }
        };
    }

    Mirror mirror() {
        return mirror;
    }

    void stop() {
        mirror.close();
    }
}
