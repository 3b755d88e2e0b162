package dev.tandem.packaging;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An application server for tests, on loopback port 0: answers every path with its name (and in header
 * {@code X-Backend}); {@code /slow?ms=N} answers after N milliseconds.
 */
final class TestBackend implements AutoCloseable {

    private final String name;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(16);
    private final AtomicLong requests = new AtomicLong();

    private TestBackend(String name) throws IOException {
        this.name = name;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    static TestBackend start(String name) throws IOException {
        return new TestBackend(name);
    }

    private void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            String query = exchange.getRequestURI().getQuery();
            if (exchange.getRequestURI().getPath().equals("/slow") && query != null && query.startsWith("ms=")) {
                try {
                    Thread.sleep(Long.parseLong(query.substring(3)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("X-Backend", name);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    String name() {
        return name;
    }

    /** {@code 127.0.0.1:port}, as a config names it. */
    String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    long requests() {
        return requests.get();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
