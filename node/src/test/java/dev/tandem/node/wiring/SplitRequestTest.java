package dev.tandem.node.wiring;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request head that reaches the proxy in two TCP segments is served: the read demand the first, partial
 * segment used up is renewed (it was lost, and the request hung until the client timeout).
 */
class SplitRequestTest {

    @Test
    void requestHeadInTwoSegmentsIsAnswered(@TempDir Path dir) throws Exception {
        try (TestBackend a = TestBackend.start("a")) {
            Node node = TestNodes.start(dir, TestNodes.config(TestNodes.server(a, 1), ""));
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), node.proxy().boundAddress("http").getPort())) {
                s.setTcpNoDelay(true);
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                out.write("GET / HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                // The pause is the stimulus, not a wait for a result: it keeps the two halves in two segments.
                await().pollDelay(Duration.ofMillis(200)).until(() -> true);
                out.write("st: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                String head = new String(in.readNBytes(15), StandardCharsets.US_ASCII);
                assertTrue(head.startsWith("HTTP/1.1 200"), head);
            } finally {
                node.stop(Duration.ofSeconds(2));
            }
        }
    }
}
