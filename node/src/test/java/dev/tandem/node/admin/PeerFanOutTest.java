package dev.tandem.node.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Asking peers: one answers, one refuses connections, one accepts and never answers; none holds the others up. */
class PeerFanOutTest {

    @Test
    void aDeadPeerIsReportedAndHoldsNothingUp() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        HttpServer live = HttpServer.create(new InetSocketAddress(lo, 0), 0);
        AtomicReference<String> auth = new AtomicReference<>();
        live.createContext("/api/node", x -> {
            auth.set(x.getRequestHeaders().getFirst("Authorization"));
            byte[] body = "{\"name\":\"lb2\",\"status\":{}}".getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        live.start();
        int refused;
        try (ServerSocket s = new ServerSocket(0, 1, lo)) {
            refused = s.getLocalPort();
        }
        // Accepts (the kernel completes the handshake) but never answers: a stopped (SIGSTOP) peer.
        try (ServerSocket stuck = new ServerSocket(0, 50, lo)) {
            PeerFanOut fanOut = new PeerFanOut(Duration.ofSeconds(2));
            List<PeerFanOut.Peer> peers = List.of(
                    new PeerFanOut.Peer("lb2", "127.0.0.1:" + live.getAddress().getPort(), null),
                    new PeerFanOut.Peer("lb3", "127.0.0.1:" + refused, null),
                    new PeerFanOut.Peer("lb4", "127.0.0.1:" + stuck.getLocalPort(), null),
                    new PeerFanOut.Peer("lb5", null, "not asked: loopback"));
            long start = System.nanoTime();
            List<PeerFanOut.Answer> answers = fanOut.ask(peers, "/api/node", Optional.of("t0ken")).get(10, TimeUnit.SECONDS);
            long tookMs = (System.nanoTime() - start) / 1_000_000;

            assertEquals(4, answers.size());
            assertTrue(answers.get(0).ok(), String.valueOf(answers.get(0)));
            assertEquals("lb2", ((Map<?, ?>) answers.get(0).body()).get("name"));
            assertEquals("Bearer t0ken", auth.get());
            assertFalse(answers.get(1).ok());
            assertTrue(answers.get(1).error().contains("refused"), answers.get(1).error());
            assertFalse(answers.get(2).ok());
            assertTrue(answers.get(2).error().contains("within 2000ms"), answers.get(2).error());
            assertEquals("not asked: loopback", answers.get(3).error());
            assertEquals(false, answers.get(3).toTree().get("reachable"));
            // The stuck peer costs the timeout (and the margin of the cut of a stalled body), not more.
            assertTrue(tookMs < 10_000, "took " + tookMs + "ms");
        } finally {
            live.stop(0);
        }
    }
}
