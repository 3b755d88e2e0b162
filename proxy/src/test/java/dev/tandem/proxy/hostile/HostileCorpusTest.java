package dev.tandem.proxy.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.RawResponse;
import java.io.IOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every case of {@code hostile/corpus.txt} through a real proxy on loopback in front of a
 * {@link RecordingBackend}: the client gets exactly the statuses the case names, then the connection is
 * closed or still usable as it says, and the server has seen exactly the octets it names, or nothing.
 *
 * <p>"Still usable" is shown by a probe request on the same connection that must be answered 200: a
 * request the proxy framed differently from the client would leave bytes behind that the probe runs into.
 */
class HostileCorpusTest {

    private static final String CORPUS = "/hostile/corpus.txt";
    private static final String PROBE = "GET /__probe HTTP/1.1\r\nHost: probe\r\n\r\n";
    private static final String SYNC = "GET /__sync HTTP/1.1\r\nHost: sync\r\n\r\n";
    private static final Duration WAIT = Duration.ofSeconds(5);

    private static RecordingBackend backend;
    private static TestProxy strict;
    private static TestProxy underscores;

    static List<HostileCase> corpus() throws IOException {
        return HostileCase.load(CORPUS);
    }

    @BeforeAll
    static void start() throws Exception {
        backend = new RecordingBackend();
        String server = "servers:\n  - { address: 127.0.0.1:" + backend.address().getPort() + " }\n"
                + "timeouts: { connect: 2s, read: 5s, write: 5s }\nretries: 0\n";
        String limits = "limits: { max_header_bytes: 8k, max_body_bytes: 1m, client_timeout: 1s, keepalive_timeout: 5s }\n";
        strict = TestProxy.start(TestProxy.config(server, limits));
        underscores = TestProxy.start(TestProxy.config(server, limits + "forwarding: { underscores_in_headers: true }\n"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (strict != null) {
            strict.close();
        }
        if (underscores != null) {
            underscores.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void theCorpusHoldsAtLeast250CasesInItsGroups() throws IOException {
        List<HostileCase> cases = corpus();
        Map<String, Long> byGroup = cases.stream()
                .collect(Collectors.groupingBy(HostileCase::group, TreeMap::new, Collectors.counting()));
        assertTrue(cases.size() >= 250, "corpus size " + cases.size() + " by group " + byGroup);
        assertEquals(cases.size(), cases.stream().map(HostileCase::toString).distinct().count(), "case names are unique");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    @Timeout(20)
    void answersAndForwardsExactly(HostileCase c) throws Exception {
        TestProxy proxy = c.underscores() ? underscores : strict;
        String addr = "127.0.0.1:" + proxy.address().getPort();
        await().until(() -> !backend.busy());
        backend.clear();

        List<Integer> got = new ArrayList<>();
        try (RawHttpClient client = proxy.connect()) {
            client.timeout(WAIT);
            client.send(c.sendBytes(addr));
            for (int i = 0; i < c.statuses().size(); i++) {
                RawResponse r = readOrNull(client, c.toHead().get(i));
                if (r == null) {
                    fail(c + ": connection closed after statuses " + got + ", expected " + c.statuses());
                }
                got.add(r.status());
            }
            assertEquals(c.statuses(), got, c + ": statuses");
            if (c.close()) {
                assertTrue(client.closedByPeer(WAIT), c + ": the proxy must close the connection");
            } else {
                client.send(PROBE);
                RawResponse probe = readOrNull(client, false);
                assertTrue(probe != null && probe.status() == 200,
                        c + ": the connection must still carry a request, got " + (probe == null ? "a close" : probe.status()));
            }
        }
        if (c.backend().isEmpty() || c.truncated()) {
            // Whatever the case may have made the proxy send has left before the answer to a later request.
            try (RawHttpClient sync = proxy.connect()) {
                sync.timeout(WAIT);
                assertEquals(200, sync.send(SYNC).read().status());
            }
            await().until(() -> !backend.busy());
        }
        List<byte[]> expected = c.backendBytes(addr);
        if (c.truncated()) {
            List<String> seen = text(backend.recorded());
            String whole = text(expected).get(0);
            assertEquals(0, backend.complete(), c + ": the server must see no whole request, saw " + seen);
            assertTrue(seen.isEmpty() || (seen.size() == 1 && whole.startsWith(seen.get(0))),
                    c + ": the server may see at most the beginning of " + whole + ", saw " + seen);
            return;
        }
        List<String> want = text(expected);
        try {
            await().until(() -> !backend.busy() && backend.recorded().size() >= expected.size());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // Reported by the comparison below, with what did arrive.
        }
        assertEquals(want, text(backend.recorded()), c + ": what the server saw");
        assertEquals(expected.size(), backend.complete(), c + ": whole requests the server saw");
    }

    /** Checks at once, then every 2 ms: most cases are settled by the time they are asked. */
    private static org.awaitility.core.ConditionFactory await() {
        return Awaitility.await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).atMost(WAIT);
    }

    private static RawResponse readOrNull(RawHttpClient client, boolean head) throws IOException {
        try {
            return client.read(head);
        } catch (java.io.EOFException | SocketException e) {
            return null;
        }
    }

    /** Octets as escaped text, so that a difference shows in the assertion message. */
    private static List<String> text(List<byte[]> requests) {
        List<String> out = new ArrayList<>();
        for (byte[] r : requests) {
            StringBuilder sb = new StringBuilder();
            for (byte b : r) {
                int v = b & 0xFF;
                if (v == '\r') {
                    sb.append("\\r");
                } else if (v == '\n') {
                    sb.append("\\n");
                } else if (v == '\\') {
                    sb.append("\\\\");
                } else if (v < 0x20 || v >= 0x7F) {
                    sb.append(String.format("\\x%02x", v));
                } else {
                    sb.append((char) v);
                }
            }
            out.add(sb.toString());
        }
        return out;
    }
}
