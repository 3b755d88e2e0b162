package dev.tandem.node.wiring;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Graceful stop: the listener stops accepting, idle keep-alive connections close at once, a request in
 * flight finishes (and is told {@code Connection: close}), then the node stops; past the drain timeout
 * what is left is cut.
 */
class GracefulStopTest {

    /** A raw HTTP/1.1 connection, to see exactly what the server does with it. */
    private static final class RawClient implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        RawClient(int port) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout(15_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        void send(String path) throws IOException {
            out.write(("GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        /** Reads one response with a Content-Length body; returns head and body. */
        String response() throws IOException {
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("closed after: " + head);
                }
                head.append((char) c);
            }
            int length = 0;
            for (String line : head.toString().split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
        }

        /** True once the server has closed the connection (read returns end of stream). */
        boolean closedByServer() throws IOException {
            return in.read() < 0;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void slowRequestFinishesIdleConnectionClosesAtOnce(@TempDir Path dir) throws Exception {
        try (TestBackend a = TestBackend.start("a")) {
            Node node = TestNodes.start(dir, TestNodes.config(TestNodes.server(a, 1), ""));
            int port = node.proxy().boundAddress("http").getPort();
            try (RawClient idle = new RawClient(port); RawClient busy = new RawClient(port)) {
                idle.send("/");
                assertTrue(idle.response().endsWith("a"));
                busy.send("/held");
                await().atMost(Duration.ofSeconds(5)).until(() -> a.requests() == 2);

                long start = System.nanoTime();
                CompletableFuture<Boolean> stopped = CompletableFuture.supplyAsync(() -> node.stop(Duration.ofSeconds(10)));

                // The idle keep-alive connection is closed while the slow request is still held by its backend.
                assertTrue(idle.closedByServer());
                assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(1000),
                        "idle connection closed at drain start");
                await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                        assertThrows(ConnectException.class, () -> new Socket(InetAddress.getLoopbackAddress(), port).close()));
                assertFalse(stopped.isDone(), "the stop waits for the request in flight");
                a.release();

                String response = busy.response();
                assertTrue(response.startsWith("HTTP/1.1 200"), response);
                assertTrue(response.toLowerCase().contains("connection: close"), response);
                assertTrue(response.endsWith("a"), response);
                assertTrue(busy.closedByServer());
                assertTrue(stopped.get(10, TimeUnit.SECONDS), "every request finished within the drain timeout");
            } finally {
                node.stop(Duration.ZERO);
            }
        }
    }

    @Test
    void drainTimeoutCutsWhatIsLeft(@TempDir Path dir) throws Exception {
        try (TestBackend a = TestBackend.start("a")) {
            Node node = TestNodes.start(dir, TestNodes.config(TestNodes.server(a, 1), "shutdown: {drain_timeout: 200ms}\n"));
            assertEquals(Duration.ofMillis(200), node.drainTimeout());
            int port = node.proxy().boundAddress("http").getPort();
            try (RawClient busy = new RawClient(port)) {
                busy.send("/held");
                await().atMost(Duration.ofSeconds(5)).until(() -> a.requests() == 1);
                assertFalse(node.stop(node.drainTimeout()), "a request was cut");
                assertTrue(busy.closedByServer());
            } finally {
                node.stop(Duration.ZERO);
            }
        }
    }
}
