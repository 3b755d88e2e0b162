package dev.tandem.proxy;

import dev.tandem.conf.Config;
import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.HostPort;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.transport.Transport;
import dev.tandem.proxy.upstream.ServerKey;
import dev.tandem.proxy.upstream.ServerState;
import dev.tandem.testkit.RawHttpClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A {@link ProxyServer} started from YAML for an integration test, with its listener {@code http} on a
 * port of its own. The YAML may say {@code ${DIR}} for a scratch directory that is deleted afterwards.
 */
public final class TestProxy implements AutoCloseable {

    private static final Transport TRANSPORT = Transport.detect();

    private final Path dir;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ProxyServer server;

    private TestProxy(String yaml, Transport transport) throws Exception {
        dir = Files.createTempDirectory("tandem-test-");
        Config config = ConfigLoader.parse("test.yaml", yaml.replace("${DIR}", dir.toString()), dir);
        server = new ProxyServer(transport, meters);
        server.start(new Snapshot(config, "test", 1, "test.yaml"));
    }

    /** On the transport this machine offers best (as {@code tandem run} picks it). */
    public static TestProxy start(String yaml) throws Exception {
        return new TestProxy(yaml, TRANSPORT);
    }

    public static TestProxy start(String yaml, Transport transport) throws Exception {
        return new TestProxy(yaml, transport);
    }

    /**
     * A config with one listener {@code http}, one site for every host and upstream {@code web} as given
     * by {@code upstreamBody} (its keys, indented by four spaces), plus {@code extra} top-level YAML.
     */
    public static String config(String upstreamBody, String extra) {
        return """
                workers: 1
                listeners:
                  - name: http
                    bind: 127.0.0.1:0
                sites:
                  - hosts: ["*"]
                    upstream: web
                upstreams:
                  web:
                """ + upstreamBody.stripIndent().lines().map(l -> "    " + l + "\n").reduce("", String::concat)
                + extra;
    }

    /** {@link #config} with servers {@code addresses} at weight 1 and otherwise defaults but short timeouts. */
    public static String simpleConfig(String... addresses) {
        StringBuilder servers = new StringBuilder("servers:\n");
        for (String a : addresses) {
            servers.append("  - { address: ").append(a).append(" }\n");
        }
        return config(servers + "timeouts: { connect: 2s, read: 5s, write: 5s }\n", "");
    }

    public ProxyServer server() {
        return server;
    }

    public SimpleMeterRegistry meters() {
        return meters;
    }

    public Path dir() {
        return dir;
    }

    public InetSocketAddress address() {
        return server.boundAddress("http");
    }

    public RawHttpClient connect() throws IOException {
        return RawHttpClient.connect(address());
    }

    public RawHttpClient connect(int receiveBuffer) throws IOException {
        return RawHttpClient.connect(address(), receiveBuffer);
    }

    /** The long-lived state of server {@code hostPort} of upstream {@code web}. */
    public ServerState state(String hostPort) {
        return server.servers().get(new ServerKey("web", HostPort.parse(hostPort, -1)));
    }

    public static String transportName() {
        return TRANSPORT.name();
    }

    @Override
    public void close() throws InterruptedException, IOException {
        server.close(Duration.ofSeconds(1));
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
