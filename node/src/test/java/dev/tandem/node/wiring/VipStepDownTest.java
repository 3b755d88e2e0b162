package dev.tandem.node.wiring;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.vip.VipController;
import dev.tandem.cluster.vip.VipDrain;
import dev.tandem.cluster.vip.VipDriver;
import dev.tandem.conf.VipConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node that gives up one of two addresses it serves (127.0.0.2 and 127.0.0.1 stand for two VIPs of an
 * active-active pair, on one listener bound to {@code 0.0.0.0}) lets that address's keep-alive clients go and
 * removes it as soon as they are gone: its idle connection is closed at once, its busy one finishes its request
 * with {@code Connection: close}, and the other address's connections are neither closed nor waited for.
 */
class VipStepDownTest {

    private static final VipConfig GIVEN_UP = new VipConfig("127.0.0.2", 8, "lo", List.of("test-node"));

    /** The address as the VIP controller drives it, without touching the host. */
    private static final class FakeDriver implements VipDriver {
        volatile boolean present;

        @Override
        public void add(VipConfig vip) {
            present = true;
        }

        @Override
        public void remove(VipConfig vip) {
            present = false;
        }

        @Override
        public boolean present(VipConfig vip) {
            return present;
        }

        @Override
        public void announce(VipConfig vip) {
        }

        @Override
        public void stopAnnouncing(VipConfig vip) {
        }

        @Override
        public void withdraw(VipConfig vip) {
        }

        @Override
        public void forward(VipConfig vip, InetAddress oldHolder) {
        }

        @Override
        public long stopForwarding(VipConfig vip) {
            return 0;
        }

        @Override
        public void removeRules(VipConfig vip) {
        }
    }

    /** A raw HTTP/1.1 keep-alive connection to {@code host}, to see exactly what the server does with it. */
    private static final class RawClient implements AutoCloseable {
        final Socket socket = new Socket();
        final InputStream in;
        final OutputStream out;

        RawClient(String host, int port) throws IOException {
            socket.connect(new InetSocketAddress(InetAddress.getByName(host), port), 5_000);
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
    void onlyTheGivenUpAddressIsClosedAndWaitedFor(@TempDir Path dir) throws Exception {
        try (TestBackend a = TestBackend.start("a")) {
            String yaml = TestNodes.config(TestNodes.server(a, 1), "shutdown: {drain_timeout: 20s}\n")
                    .replaceFirst("bind: 127\\.0\\.0\\.1:0", "bind: 0.0.0.0:0");
            Node node = TestNodes.start(dir, yaml);
            FakeDriver driver = new FakeDriver();
            VipDrain drain = new VipDrain(new ProxyVipConnections(node.proxy()), () -> true,
                    () -> node.proxy().config().config().shutdown().drainTimeout());
            int port = node.proxy().boundAddress("http").getPort();
            try (RawClient other = new RawClient("127.0.0.1", port);
                 RawClient idle = new RawClient("127.0.0.2", port);
                 RawClient busy = new RawClient("127.0.0.2", port);
                 VipController controller = new VipController(GIVEN_UP, driver, announced -> { },
                         new SimpleMeterRegistry(), Duration.ofMillis(50), Duration.ofSeconds(5))) {
                other.send("/");
                assertTrue(other.response().endsWith("a"));
                idle.send("/");
                assertTrue(idle.response().endsWith("a"));
                busy.send("/held");
                await().atMost(Duration.ofSeconds(5)).until(() -> a.requests() == 3);
                assertEquals(2, node.proxy().connections(InetAddress.getByName("127.0.0.2")));
                assertEquals(1, node.proxy().connections(InetAddress.getByName("127.0.0.1")));
                controller.hold();
                await().atMost(Duration.ofSeconds(5)).until(() -> driver.present);

                long start = System.nanoTime();
                controller.releaseWhenDrained(Duration.ofMillis(100), drain);

                assertTrue(idle.closedByServer(), "the idle keep-alive connection to the address is closed");
                assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "at once, not at the drain limit");
                await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> driver.present);

                a.release();
                String response = busy.response();
                assertTrue(response.startsWith("HTTP/1.1 200"), response);
                assertTrue(response.toLowerCase().contains("connection: close"), response);
                assertTrue(busy.closedByServer());
                await().atMost(Duration.ofSeconds(5)).until(() -> !driver.present);
                assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10),
                        "released once its own connections were gone, not at the 20 s drain limit");

                assertEquals(1, node.proxy().connections(InetAddress.getByName("127.0.0.1")));
                other.send("/");
                String again = other.response();
                assertTrue(again.endsWith("a"), again);
                assertFalse(again.toLowerCase().contains("connection: close"), "the other address keeps alive: " + again);
            } finally {
                node.stop(Duration.ZERO);
            }
        }
    }
}
