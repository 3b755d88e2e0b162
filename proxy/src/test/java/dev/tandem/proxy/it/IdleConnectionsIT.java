package dev.tandem.proxy.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.TestBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Many keep-alive connections left idle between requests, on a real transport: they fall asleep (their HTTP
 * handlers leave the pipeline), every one of them is served again when its client comes back, and a graceful
 * stop still finds and closes the sleeping ones.
 */
class IdleConnectionsIT {

    private static final int CONNECTIONS = 1000;

    private TestBackend backend;
    private TestProxy proxy;
    private final List<RawHttpClient> clients = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.start("a");
        proxy = TestProxy.start(TestProxy.config("""
                servers: [{ address: %s }]
                timeouts: { connect: 2s, read: 10s, write: 10s }
                """.formatted(backend.hostPort()), """
                limits: { client_timeout: 60s, keepalive_timeout: 60s }
                """));
    }

    @AfterEach
    void stop() throws Exception {
        for (RawHttpClient c : clients) {
            c.close();
        }
        proxy.close();
        backend.close();
    }

    private void askEach(String path) throws Exception {
        for (RawHttpClient c : clients) {
            c.send("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n");
        }
        for (RawHttpClient c : clients) {
            assertEquals(200, c.read().status());
        }
    }

    @Test
    void aThousandIdleConnectionsSleepAndAreAllServedWhenTheyComeBack() throws Exception {
        for (int i = 0; i < CONNECTIONS; i++) {
            clients.add(proxy.connect().timeout(Duration.ofSeconds(30)));
        }
        askEach("/first");
        await().atMost(Duration.ofSeconds(60)).until(() -> proxy.server().dormantConnections() == CONNECTIONS);
        assertEquals(CONNECTIONS, proxy.server().connections());

        askEach("/again");
        assertEquals(CONNECTIONS, proxy.server().connections());
        // Awake again, and asleep again once idle.
        await().atMost(Duration.ofSeconds(60)).until(() -> proxy.server().dormantConnections() == CONNECTIONS);
        askEach("/third");
        assertEquals(3 * CONNECTIONS, backend.requests());
    }

    @Test
    void aGracefulStopClosesSleepingConnections() throws Exception {
        for (int i = 0; i < 50; i++) {
            clients.add(proxy.connect().timeout(Duration.ofSeconds(30)));
        }
        askEach("/");
        await().atMost(Duration.ofSeconds(60)).until(() -> proxy.server().dormantConnections() == 50);
        assertTrue(proxy.server().close(Duration.ofSeconds(30)), "drained within the limit, nothing cut");
        for (RawHttpClient c : clients) {
            assertTrue(c.closedByPeer(Duration.ofSeconds(10)));
        }
    }
}
