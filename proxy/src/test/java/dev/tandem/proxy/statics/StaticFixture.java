package dev.tandem.proxy.statics;

import com.sun.net.httpserver.HttpServer;
import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.ProxyServer;
import dev.tandem.proxy.transport.Transport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Tandem proxy on a loopback port serving one site ({@code *}) from {@code dir/root}, with a real
 * backend behind it that answers every request with {@code backend METHOD TARGET} and never reads a file.
 */
final class StaticFixture implements AutoCloseable {

    final Path root;
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final ProxyServer proxy;
    final HttpServer backend;
    /** Request targets the backend received, in order. */
    final List<String> backendRequests = new CopyOnWriteArrayList<>();
    private long version;
    /** Top-level YAML added to every config this fixture writes (limits, for example). */
    private String extra = "";

    private StaticFixture(Path root, Transport transport) throws IOException {
        this.root = root;
        this.backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        backend.createContext("/", exchange -> {
            String target = exchange.getRequestURI().toString();
            backendRequests.add(exchange.getRequestMethod() + " " + target);
            byte[] body = ("backend " + exchange.getRequestMethod() + " " + target).getBytes(StandardCharsets.UTF_8);
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, exchange.getRequestMethod().equals("HEAD") ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                if (!exchange.getRequestMethod().equals("HEAD")) {
                    out.write(body);
                }
            }
        });
        backend.start();
        this.proxy = new ProxyServer(transport, meters);
    }

    /**
     * Starts a proxy whose site has {@code static:} with {@code root: ROOT} plus {@code staticKeys} (YAML lines
     * at the indentation of keys under {@code static}); {@code upstream} names the backend unless false.
     */
    static StaticFixture start(Path root, String staticKeys, boolean upstream) throws Exception {
        return start(root, staticKeys, upstream, Transport.detect());
    }

    static StaticFixture start(Path root, String staticKeys, boolean upstream, Transport transport) throws Exception {
        return start(root, staticKeys, upstream, transport, "");
    }

    /** As above, with {@code extra} top-level YAML in the config ({@code limits: {...}}). */
    static StaticFixture start(Path root, String staticKeys, boolean upstream, Transport transport, String extra)
            throws Exception {
        StaticFixture f = new StaticFixture(root, transport);
        f.extra = extra;
        try {
            f.proxy.start(f.snapshot(staticKeys, upstream));
        } catch (Exception e) {
            f.close();
            throw e;
        }
        return f;
    }

    Snapshot snapshot(String staticKeys, boolean upstream) throws Exception {
        StringBuilder yaml = new StringBuilder("""
                workers: 1
                listeners:
                  - name: http
                    bind: 127.0.0.1:0
                sites:
                  - hosts: ["*"]
                """);
        if (staticKeys != null) {
            yaml.append("    static:\n      root: '").append(root).append("'\n");
            for (String line : staticKeys.split("\n")) {
                if (!line.isBlank()) {
                    yaml.append("      ").append(line.strip()).append('\n');
                }
            }
        }
        if (upstream) {
            yaml.append("    upstream: app\n");
        }
        yaml.append("upstreams:\n  app:\n    servers: [{address: \"127.0.0.1:")
                .append(backend.getAddress().getPort()).append("\"}]\n    retries: 0\n");
        yaml.append("access_log: '").append(accessLog()).append("'\n");
        yaml.append(extra).append('\n');
        return new Snapshot(ConfigLoader.parse("test.yaml", yaml.toString(), root.getParent()), "test", ++version, "test");
    }

    void reload(String staticKeys, boolean upstream) throws Exception {
        proxy.apply(snapshot(staticKeys, upstream));
    }

    Path accessLog() {
        return root.resolveSibling(root.getFileName() + "-access.log");
    }

    InetSocketAddress address() {
        return proxy.boundAddress("http");
    }

    RawHttp.Response get(String path, String... headers) throws IOException {
        return RawHttp.get(address(), "GET", path, headers);
    }

    RawHttp.Response head(String path, String... headers) throws IOException {
        return RawHttp.get(address(), "HEAD", path, headers);
    }

    double counter(String name) {
        var c = meters.find(name).counter();
        return c == null ? 0 : c.count();
    }

    Path write(String relative, String content) throws IOException {
        Path p = root.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
        return p;
    }

    @Override
    public void close() throws Exception {
        try {
            proxy.close(Duration.ofSeconds(1));
        } finally {
            backend.stop(0);
        }
    }
}
