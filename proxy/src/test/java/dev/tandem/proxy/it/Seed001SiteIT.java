package dev.tandem.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.RawResponse;
import dev.tandem.testkit.RecordedRequest;
import dev.tandem.testkit.TestBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nginx site of seed 001 ("Service high availability using open-source tools") written as a Tandem
 * config, end to end:
 *
 * <pre>
 * upstream backends { server A weight=50; server B weight=50; }
 * server {
 *   listen 80; server_name example.com www.example.com;
 *   location / {
 *     proxy_pass http://backends;
 *     proxy_set_header Host $host; proxy_set_header X-Real-IP $remote_addr;
 *     proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
 *     client_max_body_size 30m;
 *     proxy_connect_timeout 30; proxy_send_timeout 30; proxy_read_timeout 60;
 *   }
 *   location ~* ^.+\.(jpg|jpeg|gif|png|css|js|ico|zip|rar|swf)$ {
 *     root /home/websites/example.com;
 *     error_page 404 = @fallback;
 *   }
 *   location @fallback { proxy_pass http://backends; ... }
 * }
 * </pre>
 */
class Seed001SiteIT {

    private static final String CONFIG = """
            workers: 1
            listeners:
              - name: http
                bind: 127.0.0.1:0
            sites:
              - hosts: [example.com, www.example.com]
                upstream: backends
                routes:
                  - regex: '^.+\\.(jpg|jpeg|gif|png|css|js|ico|zip|rar|swf)$'
                    ignore_case: true
                    static: { root: ROOT, fallback: true }
            upstreams:
              backends:
                balance: weighted-round-robin
                servers:
                  - { address: SERVER_A, weight: 50 }
                  - { address: SERVER_B, weight: 50 }
                timeouts: { connect: 30s, read: 60s, write: 30s }
            limits: { max_body_bytes: 30m }
            """;

    @TempDir
    Path root;
    private TestBackend a;
    private TestBackend b;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        a = TestBackend.start("a");
        b = TestBackend.start("b");
        Files.createDirectories(root.resolve("images"));
        Files.writeString(root.resolve("images/logo.PNG"), "png-bytes");
        Files.writeString(root.resolve("style.css"), "body{}");
        proxy = TestProxy.start(CONFIG.replace("ROOT", root.toString()).replace("SERVER_A", a.hostPort())
                .replace("SERVER_B", b.hostPort()));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        a.close();
        b.close();
    }

    private RawResponse send(String request) throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            return c.send(request).read();
        }
    }

    @Test
    void staticFilesMatchedCaseInsensitivelyAreServedFromDisk() throws Exception {
        RawResponse png = send("GET /images/logo.PNG HTTP/1.1\r\nHost: www.example.com\r\n\r\n");
        assertEquals(200, png.status());
        assertEquals("png-bytes", png.bodyText());
        assertEquals("image/png", png.header("Content-Type"));
        RawResponse css = send("GET /style.css?v=3 HTTP/1.1\r\nHost: example.com\r\n\r\n");
        assertEquals(200, css.status());
        assertEquals("body{}", css.bodyText());
        assertEquals(0, a.received().size() + b.received().size());
    }

    @Test
    void aMissingStaticFileFallsBackToTheBackends() throws Exception {
        RawResponse r = send("GET /uploads/missing.JPG HTTP/1.1\r\nHost: example.com\r\n\r\n");
        assertEquals(200, r.status());
        assertEquals(1, a.received().size() + b.received().size());
        RecordedRequest seen = (a.received().isEmpty() ? b : a).received().get(0);
        assertEquals("/uploads/missing.JPG", seen.uri());
    }

    @Test
    void everythingElseGoesToTheWeightedBackendsWithForwardingHeaders() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            for (int i = 0; i < 10; i++) {
                RawResponse r = c.send("GET /index.php?page=" + i + " HTTP/1.1\r\nHost: www.example.com\r\n"
                        + "X-Forwarded-For: 6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\n\r\n").read();
                assertEquals(200, r.status());
            }
        }
        assertEquals(5, a.received().size(), "weights 50:50");
        assertEquals(5, b.received().size());
        RecordedRequest seen = a.received().get(0);
        assertEquals("www.example.com", seen.header("Host"));
        assertEquals("127.0.0.1", seen.header("X-Real-IP"), "a client's own X-Real-IP is replaced");
        assertEquals("127.0.0.1", seen.header("X-Forwarded-For"), "and its X-Forwarded-For: the peer is not trusted");
        assertEquals("http", seen.header("X-Forwarded-Proto"));
        assertEquals("www.example.com", seen.header("X-Forwarded-Host"));
    }

    @Test
    void aBodyOverClientMaxBodySizeIsRefused() throws Exception {
        try (RawHttpClient c = proxy.connect()) {
            RawResponse r = c.send("POST /upload.php HTTP/1.1\r\nHost: example.com\r\nContent-Length: "
                    + (30L * 1024 * 1024 + 1) + "\r\n\r\n").read();
            assertEquals(413, r.status());
            assertEquals("close", r.header("Connection"));
        }
        RawResponse ok = send("POST /upload.php HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello");
        assertEquals(200, ok.status());
        RecordedRequest seen = (a.received().isEmpty() ? b : a).received().get(0);
        assertEquals("hello", seen.bodyText());
    }
}
