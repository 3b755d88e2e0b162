package dev.tandem.health;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tandem.conf.HostPort;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An HTTP server on a loopback port that a test turns sick and well again: it answers {@code 200 ok from
 * NAME}, or 500, or the wrong body, or nothing at all, or closes without answering; or it stops listening
 * (connections are refused) and comes back on the same port. Counts requests by path.
 */
public final class LoopbackBackend implements AutoCloseable {

    /** How requests are answered while the backend listens. */
    public enum Mode {
        /** 200 with {@code ok from NAME} */
        OK,
        /** 500 */
        ERROR_500,
        /** 200 with a body that does not say ok */
        WRONG_BODY,
        /** never answers (until the mode changes or the backend stops) */
        HANG,
        /** closes the connection without answering */
        CLOSE
    }

    static {
        // The JDK server writes headers and body separately; with Nagle on, every kept-alive response waits
        // for a delayed ACK (about 40 ms). Read once, when the first server is created.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private final String name;
    private final InetAddress loopback = InetAddress.getLoopbackAddress();
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "backend");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final AtomicReference<CountDownLatch> hang = new AtomicReference<>(new CountDownLatch(1));
    private volatile Mode mode = Mode.OK;
    private volatile String lastRequest = "";
    private volatile HttpServer server;
    private int port;

    private LoopbackBackend(String name) {
        this.name = name;
    }

    /** A backend answering {@link Mode#OK} on a free loopback port. */
    public static LoopbackBackend start(String name) throws IOException {
        LoopbackBackend b = new LoopbackBackend(name);
        b.listen(0);
        return b;
    }

    private synchronized void listen(int onPort) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(loopback, onPort), 256);
        s.createContext("/", this::handle);
        s.setExecutor(workers);
        s.start();
        port = s.getAddress().getPort();
        server = s;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            in.readAllBytes();
            lastRequest = exchange.getRequestMethod() + " " + exchange.getRequestURI() + " Host: "
                    + exchange.getRequestHeaders().getFirst("Host");
            hits.computeIfAbsent(exchange.getRequestURI().getPath(), p -> new AtomicInteger()).incrementAndGet();
            Mode m = mode;
            switch (m) {
                case OK -> answer(exchange, 200, "ok from " + name + "\n");
                case ERROR_500 -> answer(exchange, 500, "broken\n");
                case WRONG_BODY -> answer(exchange, 200, "maintenance\n");
                case HANG -> {
                    try {
                        hang.get().await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                case CLOSE -> {
                    // Closing the exchange before any header closes the connection.
                }
            }
        }
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.getResponseHeaders().set("Content-Length", Integer.toString(bytes.length));
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    public void mode(Mode next) {
        Mode previous = mode;
        mode = next;
        if (previous == Mode.HANG && next != Mode.HANG) {
            hang.getAndSet(new CountDownLatch(1)).countDown();
        }
    }

    /** Stops listening and drops every connection: new connections are refused. */
    public synchronized void refuse() {
        HttpServer s = server;
        if (s != null) {
            server = null;
            hang.getAndSet(new CountDownLatch(1)).countDown();
            s.stop(0);
        }
    }

    /** Listens again on the same port, in {@code next} mode. */
    public synchronized void restore(Mode next) throws IOException {
        mode(next);
        if (server == null) {
            listen(port);
        }
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    public HostPort hostPort() {
        return new HostPort(loopback.getHostAddress(), port);
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(loopback, port);
    }

    /** The last request's method, target and Host header: {@code GET /health Host: a.example}. */
    public String lastRequest() {
        return lastRequest;
    }

    /** Requests received for {@code path}. */
    public int hits(String path) {
        AtomicInteger n = hits.get(path);
        return n == null ? 0 : n.get();
    }

    /** Requests received for any path but {@code except}. */
    public int hitsExcept(String except) {
        return hits.entrySet().stream().filter(e -> !e.getKey().equals(except)).mapToInt(e -> e.getValue().get()).sum();
    }

    @Override
    public void close() {
        refuse();
        workers.shutdownNow();
    }
}
