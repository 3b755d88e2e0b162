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

    private Node(Path configFile, Transport transport) {
        this.configFile = configFile;
        this.proxy = new ProxyServer(transport, meters);
    }

    /** Loads {@code configFile} and starts serving it on {@code transport}. */
    static Node start(Path configFile, Transport transport) throws IOException, ConfigException, InterruptedException {
        Node node = new Node(configFile, transport);
        Snapshot snapshot = ConfigValidation.standard().load(configFile, ++node.version);
        node.proxy.start(snapshot);
        return node;
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
