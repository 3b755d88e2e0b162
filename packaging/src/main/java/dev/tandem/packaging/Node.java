package dev.tandem.packaging;

import dev.tandem.conf.ConfigException;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.ProxyServer;
import dev.tandem.proxy.transport.Transport;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Tandem node: the composition root that wires the config, the data plane and the services
 * around it, and stops them in the right order.
 */
final class Node implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Node.class);

    private final Path configFile;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ProxyServer proxy;
    private long version;
    private ClusterService cluster;

    private Node(Path configFile, Transport transport) {
        this.configFile = configFile;
        this.proxy = new ProxyServer(transport, meters);
    }

    /** Loads {@code configFile} and starts serving it on {@code transport}. */
    static Node start(Path configFile, Transport transport) throws IOException, ConfigException, InterruptedException {
        return start(configFile, transport, Optional.empty());
    }

    /**
     * Loads {@code configFile}, starts serving it on {@code transport}, and, when it has a {@code cluster},
     * joins it as {@code nodeName} (default: the node whose address is on this host). The listeners are
     * up before the cluster may bring a VIP here (they bind with IP_FREEBIND).
     */
    static Node start(Path configFile, Transport transport, Optional<String> nodeName)
            throws IOException, ConfigException, InterruptedException {
        Node node = new Node(configFile, transport);
        Snapshot snapshot = ConfigValidation.standard().load(configFile, ++node.version);
        node.proxy.start(snapshot);
        if (snapshot.config().cluster().isPresent()) {
            // Before joining: a backup must be warm when a VIP lands on it.
            Warmup.run(snapshot, transport);
            try {
                node.cluster = ClusterService.start(snapshot.config().cluster().get(), nodeName, transport,
                        node.meters, node.proxy, null);
            } catch (IOException | RuntimeException e) {
                node.proxy.close(Duration.ZERO);
                throw e;
            }
        }
        return node;
    }

    /** The cluster this node is part of, if its config has one. */
    Optional<ClusterService> cluster() {
        return Optional.ofNullable(cluster);
    }

    ProxyServer proxy() {
        return proxy;
    }

    PrometheusMeterRegistry meters() {
        return meters;
    }

    Path configFile() {
        return configFile;
    }

    /** Stops accepting, lets requests in flight finish for up to {@code drain}, then stops. */
    void stop(Duration drain) {
        if (cluster != null) {
            cluster.stop();
            cluster = null;
        }
        try {
            proxy.close(drain);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        meters.close();
        log.info("stopped");
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(10));
    }
}
