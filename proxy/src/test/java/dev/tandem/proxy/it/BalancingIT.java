package dev.tandem.proxy.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.RawResponse;
import dev.tandem.testkit.TestBackend;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Requests spread over real backends by weight, by client, and to backups. */
class BalancingIT {

    private TestBackend a;
    private TestBackend b;

    @BeforeEach
    void start() throws InterruptedException {
        a = TestBackend.start("a");
        b = TestBackend.start("b");
    }

    @AfterEach
    void stop() {
        a.close();
        b.close();
    }

    private static String get(RawHttpClient c) throws Exception {
        RawResponse r = c.send("GET / HTTP/1.1\r\nHost: site.example\r\n\r\n").read();
        assertEquals(200, r.status(), r.toString());
        return r.bodyText().trim();
    }

    @Test
    void twoToOneOverThreeHundredRequests() throws Exception {
        String yaml = TestProxy.config("""
                servers:
                  - { address: %s, weight: 2 }
                  - { address: %s, weight: 1 }
                """.formatted(a.hostPort(), b.hostPort()), "");
        try (TestProxy proxy = TestProxy.start(yaml)) {
            StringBuilder order = new StringBuilder();
            // half on one kept-alive connection, half on a connection each
            try (RawHttpClient c = proxy.connect()) {
                for (int i = 0; i < 150; i++) {
                    order.append(get(c));
                }
            }
            for (int i = 0; i < 150; i++) {
                try (RawHttpClient c = proxy.connect()) {
                    order.append(get(c));
                }
            }
            String o = order.toString();
            assertEquals(200, o.chars().filter(ch -> ch == 'a').count(), o);
            assertEquals(100, o.chars().filter(ch -> ch == 'b').count(), o);
            assertEquals("abaaba", o.substring(0, 6), "smooth: never three of a kind in a row");
            assertEquals(-1, o.indexOf("aaa"));
            assertEquals(-1, o.indexOf("bb"));
            assertEquals(300, a.requests() + b.requests());
        }
    }

    @Test
    void ipHashKeepsEachClientOnOneServer() throws Exception {
        String yaml = TestProxy.config("""
                balance: ip-hash
                servers:
                  - { address: %s }
                  - { address: %s }
                """.formatted(a.hostPort(), b.hostPort()), "");
        try (TestProxy proxy = TestProxy.start(yaml)) {
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < 20; i++) {
                try (RawHttpClient c = proxy.connect()) {
                    seen.merge(get(c), 1, Integer::sum);
                }
            }
            assertEquals(1, seen.size(), "one client address, one server: " + seen);
        }
    }

    @Test
    void theBackupTakesOverOnlyWhenThePrimariesAreGone() throws Exception {
        try (TestBackend spare = TestBackend.start("spare")) {
            String yaml = TestProxy.config("""
                    servers:
                      - { address: %s }
                      - { address: %s }
                      - { address: %s, backup: true }
                    retries: 2
                    timeouts: { connect: 1s, read: 5s, write: 5s }
                    """.formatted(a.hostPort(), b.hostPort(), spare.hostPort()), "");
            try (TestProxy proxy = TestProxy.start(yaml); RawHttpClient c = proxy.connect()) {
                for (int i = 0; i < 10; i++) {
                    assertTrue(Set.of("a", "b").contains(get(c)));
                }
                assertEquals(0, spare.requests());
                a.kill();
                b.kill();
                for (int i = 0; i < 5; i++) {
                    assertEquals("spare", get(c));
                }
            }
        }
    }

    @Test
    void keptAliveConnectionsToBackendsAreReused() throws Exception {
        try (TestProxy proxy = TestProxy.start(TestProxy.simpleConfig(a.hostPort()))) {
            for (int i = 0; i < 20; i++) {
                try (RawHttpClient c = proxy.connect()) {
                    assertEquals("a", get(c));
                }
            }
            assertEquals(20, a.requests());
            assertEquals(1, a.connectionsAccepted(), "one pooled connection serves them all");
            await().until(() -> a.openConnections() == 1);
        }
    }
}
