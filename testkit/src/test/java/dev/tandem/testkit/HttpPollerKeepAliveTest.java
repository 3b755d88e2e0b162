package dev.tandem.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link HttpPoller}'s keep-alive mode ({@link KeepAliveExchange}) against a small server whose every connection
 * and request does what the test scripts: it keeps one connection while the server lets it, replaces it when
 * told to close or closed while idle, retries only a request that crossed an idle close, and counts the rest
 * as failed.
 */
class HttpPollerKeepAliveTest {

    /** What the server does with request {@code request} (from 1) of connection {@code connection} (from 1). */
    private enum Act {
        /** Answers and keeps the connection. */
        ANSWER,
        /** Answers with {@code Connection: close}, then closes. */
        ANSWER_AND_CLOSE,
        /** Answers (keep-alive), then closes the connection while it is idle. */
        ANSWER_THEN_IDLE_CLOSE,
        /** Reads the request and closes without a byte of answer. */
        CLOSE_UNANSWERED,
        /** Sends the head and half the body, then closes. */
        CUT_SHORT
    }

    private interface Script {
        Act act(int connection, int request);
    }

    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private ServerSocket server;
    private Thread acceptor;

    private int start(Script script) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    accepted.add(s);
                    int n = connections.incrementAndGet();
                    Thread t = new Thread(() -> serve(s, n, script), "conn-" + n);
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
        return server.getLocalPort();
    }

    private static void serve(Socket s, int connection, Script script) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            for (int request = 1; ; request++) {
                if (!readHead(in)) {
                    return;
                }
                String body = "c" + connection + "r" + request;
                String ok = "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n";
                switch (script.act(connection, request)) {
                    case ANSWER -> out.write((ok + "\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                    case ANSWER_AND_CLOSE -> {
                        out.write((ok + "Connection: close\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                        return;
                    }
                    case ANSWER_THEN_IDLE_CLOSE -> {
                        out.write((ok + "\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        return;
                    }
                    case CLOSE_UNANSWERED -> {
                        return;
                    }
                    case CUT_SHORT -> {
                        out.write(("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + body)
                                .getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        return;
                    }
                }
                out.flush();
            }
        } catch (IOException e) {
            // the client went: nothing to serve
        }
    }

    /** Reads one request head; false at the end of the connection. */
    private static boolean readHead(InputStream in) throws IOException {
        int matched = 0;
        while (matched < 4) {
            int c = in.read();
            if (c < 0) {
                return false;
            }
            matched = (c == "\r\n\r\n".charAt(matched)) ? matched + 1 : (c == '\r' ? 1 : 0);
        }
        return true;
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
            acceptor.join(5_000);
        }
        for (Socket s : accepted) {
            s.close();
        }
    }

    private static KeepAliveExchange client(int port) {
        return new KeepAliveExchange(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), "test", "/", 1000, 2000);
    }

    @Test
    void everyRequestGoesOnOneConnectionWhileTheServerKeepsIt() throws Exception {
        int port = start((c, r) -> Act.ANSWER);
        try (KeepAliveExchange client = client(port)) {
            for (int i = 1; i <= 5; i++) {
                KeepAliveExchange.Outcome o = client.get();
                assertTrue(o.answered(), o.error());
                assertEquals("c1r" + i, o.body());
            }
            assertEquals(1, client.connections());
            assertEquals(0, client.retries());
        }
    }

    @Test
    void connectionCloseFromTheServerMeansANewConnectionAndNoFailure() throws Exception {
        int port = start((c, r) -> r == 2 ? Act.ANSWER_AND_CLOSE : Act.ANSWER);
        try (KeepAliveExchange client = client(port)) {
            List<String> bodies = new java.util.ArrayList<>();
            for (int i = 0; i < 5; i++) {
                KeepAliveExchange.Outcome o = client.get();
                assertTrue(o.answered(), o.error());
                bodies.add(o.body());
            }
            assertEquals(List.of("c1r1", "c1r2", "c2r1", "c2r2", "c3r1"), bodies);
            assertEquals(0, client.retries());
        }
    }

    @Test
    void aConnectionClosedWhileIdleIsReplacedBeforeTheNextRequest() throws Exception {
        int port = start((c, r) -> Act.ANSWER_THEN_IDLE_CLOSE);
        try (KeepAliveExchange client = client(port)) {
            for (int i = 1; i <= 3; i++) {
                KeepAliveExchange.Outcome o = client.get();
                assertTrue(o.answered(), o.error());
                assertEquals("c" + i + "r1", o.body());
                // the server's close has arrived by now
                org.awaitility.Awaitility.await().until(() -> accepted.get(accepted.size() - 1).isClosed());
            }
            assertEquals(0, client.retries(), "found closed before sending: no retry needed");
        }
    }

    @Test
    void aRequestThatCrossesAnIdleCloseIsSentOnceMoreOnANewConnection() throws Exception {
        // The server reads the second request on the first connection and closes: as if it had closed the idle
        // connection the moment the request arrived.
        int port = start((c, r) -> c == 1 && r == 2 ? Act.CLOSE_UNANSWERED : Act.ANSWER);
        try (KeepAliveExchange client = client(port)) {
            assertEquals("c1r1", client.get().body());
            KeepAliveExchange.Outcome o = client.get();
            assertTrue(o.answered(), o.error());
            assertTrue(o.retried());
            assertEquals("c2r1", o.body());
            assertEquals(1, client.retries());
        }
    }

    @Test
    void aFreshConnectionClosedUnansweredFailsTheRequest() throws Exception {
        int port = start((c, r) -> c == 1 ? Act.CLOSE_UNANSWERED : Act.ANSWER);
        try (KeepAliveExchange client = client(port)) {
            KeepAliveExchange.Outcome o = client.get();
            assertFalse(o.answered(), "nothing was reused: nothing is retried");
            assertEquals(0, client.retries());
            assertEquals("c2r1", client.get().body(), "the next request opens a new connection");
        }
    }

    @Test
    void theRetryIsUsedOnceOnly() throws Exception {
        int port = start((c, r) -> c == 1 && r == 1 ? Act.ANSWER : Act.CLOSE_UNANSWERED);
        try (KeepAliveExchange client = client(port)) {
            assertTrue(client.get().answered());
            KeepAliveExchange.Outcome o = client.get();
            assertFalse(o.answered(), "the retry on a fresh connection got nothing either");
            assertTrue(o.retried());
        }
    }

    @Test
    void aResponseCutShortFailsAndIsNotRetried() throws Exception {
        int port = start((c, r) -> r == 2 ? Act.CUT_SHORT : Act.ANSWER);
        try (KeepAliveExchange client = client(port)) {
            assertTrue(client.get().answered());
            KeepAliveExchange.Outcome o = client.get();
            assertFalse(o.answered());
            assertFalse(o.retried(), "bytes of the response came: the server had the request");
        }
    }

    @Test
    void thePollerPrintsItsLinesAndSummary() throws Exception {
        int port = start((c, r) -> r == 3 ? Act.ANSWER_AND_CLOSE : Act.ANSWER);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        // until the server has been asked on a second connection (its third request is answered with a close),
        // not for a fixed time: a busy host may fit fewer than three requests in any short time
        HttpPoller.pollKeepAlive(URI.create("http://127.0.0.1:" + port + "/"), 5, 20_000, 1000, 1000,
                new PrintStream(buf, true, StandardCharsets.UTF_8), () -> connections.get() > 1);
        List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
        assertTrue(lines.get(0).matches("t0_epoch_ms=\\d+"), lines.get(0));
        assertTrue(lines.get(1).matches("\\d+ \\d+ ok 200 c1r1 connect_ms=\\d+ conn=1"), lines.get(1));
        String summary = lines.get(lines.size() - 1);
        assertTrue(summary.matches("summary requests=(\\d+) ok=\\1 failed=0 max_gap_ms=\\d+ connections=\\d+ retried=0"),
                summary);
        assertTrue(connections.get() > 1, "a new connection after each Connection: close");
    }
}
