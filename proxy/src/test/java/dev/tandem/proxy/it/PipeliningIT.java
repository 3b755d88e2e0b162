package dev.tandem.proxy.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.RawResponse;
import dev.tandem.testkit.TestBackend;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client that pipelines many requests in one write: Tandem reads as fast as it answers, never further ahead,
 * and answers every request in order, whether from a server or from disk.
 */
class PipeliningIT {

    private static final int STATIC_FILES = 10;

    private TestBackend backend;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        // Each answer names what was asked: the order of the answers is checked against the order of the requests.
        backend = TestBackend.start("a", x -> x.respond(200, "up " + x.request().uri()));
        proxy = TestProxy.start(TestProxy.config("""
                servers: [{ address: %s }]
                timeouts: { connect: 2s, read: 10s, write: 10s }
                """.formatted(backend.hostPort()), """
                limits: { client_timeout: 30s, keepalive_timeout: 30s }
                """).replace("""
                    upstream: web
                """, """
                    upstream: web
                    static: { root: '${DIR}', match: '\\.txt$', fallback: false }
                """));
        for (int i = 0; i < STATIC_FILES; i++) {
            Files.writeString(proxy.dir().resolve(i + ".txt"), "disk /" + i + ".txt");
        }
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    /** A response head, read byte by byte up to its empty line. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("closed after " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n";
    }

    @Test
    void aThousandPipelinedRequestsInOneWriteAreAllAnsweredInOrder() throws Exception {
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            all.append(get("/" + i));
        }
        try (RawHttpClient c = proxy.connect()) {
            c.timeout(Duration.ofSeconds(30)).send(all.toString());
            for (int i = 0; i < 1000; i++) {
                RawResponse r = c.read();
                assertEquals(200, r.status(), "request " + i);
                assertEquals("up /" + i, r.bodyText());
            }
        }
        assertEquals(1000, backend.requests());
    }

    @Test
    void aPipelineMixingFilesFromDiskAndTheServerIsAnsweredInOrder() throws Exception {
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            all.append(get(i % 2 == 0 ? "/" + (i % STATIC_FILES) + ".txt" : "/" + i));
        }
        try (RawHttpClient c = proxy.connect()) {
            c.timeout(Duration.ofSeconds(30)).send(all.toString());
            for (int i = 0; i < 1000; i++) {
                RawResponse r = c.read();
                assertEquals(200, r.status(), "request " + i);
                assertEquals(i % 2 == 0 ? "disk /" + (i % STATIC_FILES) + ".txt" : "up /" + i, r.bodyText());
            }
        }
        assertEquals(500, backend.requests());
    }

    /**
     * A client that writes requests without end and reads nothing: Tandem stops reading it once the answer it
     * is writing fills the connection, so what it takes of the client stays a socket's worth (the client's
     * writes stop being taken), and the server sees a handful of requests, not the pipeline.
     */
    @Test
    void aClientThatDoesNotReadIsNotReadAheadOf() throws Exception {
        int answer = 1024 * 1024;
        backend.behaviour(x -> x.stream(answer, false));
        byte[] one = get("/big").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer pipeline = ByteBuffer.allocate(one.length * 1_200_000);
        while (pipeline.remaining() >= one.length) {
            pipeline.put(one);
        }
        pipeline.flip();
        int offered = pipeline.remaining();
        try (SocketChannel client = SocketChannel.open()) {
            client.setOption(StandardSocketOptions.SO_RCVBUF, 64 * 1024);
            client.connect(proxy.address());
            client.configureBlocking(false);
            // Writes until nothing more is taken for a while: Tandem has stopped reading.
            long[] taken = {0};
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                    .during(Duration.ofSeconds(1)).until(() -> {
                        int n = client.write(pipeline);
                        taken[0] += n;
                        return n == 0;
                    });
            // The answers that left fill the sockets' buffers (Tandem's send buffer grows to 4 MiB here): the
            // server sees as many requests as they hold answers, not the pipeline.
            int requests = backend.requests();
            assertTrue((long) requests * answer <= 8L << 20, "the server saw " + requests + " requests of the pipeline");
            assertTrue(taken[0] < offered / 2, "Tandem took " + taken[0] + " of " + offered + " bytes");
            // And it resumes as the client reads: a few more answers, in order.
            client.configureBlocking(true);
            InputStream in = new BufferedInputStream(Channels.newInputStream(client), 64 * 1024);
            for (int i = 0; i < requests + 3; i++) {
                String head = readHead(in);
                assertTrue(head.startsWith("HTTP/1.1 200 "), head);
                in.skipNBytes(answer);
            }
        }
    }
}
