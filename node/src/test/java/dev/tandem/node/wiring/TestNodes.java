package dev.tandem.node.wiring;

import dev.tandem.proxy.transport.Transport;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;

/** Starting nodes from config text and talking to them, for the integration tests. */
public final class TestNodes {

    public static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private TestNodes() {
    }

    /** A config with one listener on port 0, one site and upstream {@code web} over {@code servers}. */
    public static String config(String servers, String extra) {
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
                    servers:
                %s
                    retries: 0
                admin:
                  bind: 127.0.0.1:0
                %s""".formatted(servers.indent(6).stripTrailing(), extra);
    }

    public static String server(TestBackend b, int weight) {
        return "- { address: \"" + b.address() + "\", weight: " + weight + " }";
    }

    public static Node start(Path dir, String yaml) throws Exception {
        Path file = dir.resolve("tandem.yaml");
        Files.writeString(file, yaml);
        return Node.start(file, Transport.detect(), "test-node");
    }

    /** Replaces the config file the way editors do: a temporary file renamed over it. */
    static void replaceFile(Path file, String yaml) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, yaml);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static String proxyUrl(Node node, String path) {
        return "http://127.0.0.1:" + node.proxy().boundAddress("http").getPort() + path;
    }

    public static String adminUrl(Node node, String path) {
        return "http://127.0.0.1:" + node.adminAddress().getPort() + path;
    }

    public static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    public static HttpResponse<String> send(String method, String url, String body, Map<String, String> headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    public static HttpResponse<String> post(String url, String body) throws IOException, InterruptedException {
        return send("POST", url, body, Map.of());
    }

    /** {@code /status} parsed. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> status(Node node) throws Exception {
        HttpResponse<String> r = get(adminUrl(node, "/status"));
        if (r.statusCode() != 200) {
            throw new IllegalStateException("/status: " + r.statusCode() + " " + r.body());
        }
        return (Map<String, Object>) dev.tandem.node.admin.Json.parse(r.body());
    }
}
