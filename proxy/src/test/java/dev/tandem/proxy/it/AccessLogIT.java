package dev.tandem.proxy.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.TestProxy;
import dev.tandem.testkit.FullBacklogListener;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.Respond;
import dev.tandem.testkit.TestBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** What the access log says about requests that went well and requests that did not. */
class AccessLogIT {

    private static final String TIME = "\\[\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}\\]";
    private static final String SECONDS = "\\d+\\.\\d{3}";

    private static List<String> awaitLines(Path log, int n) {
        await().until(() -> Files.exists(log) && Files.readAllLines(log).size() >= n);
        try {
            return Files.readAllLines(log);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void assertMatches(String regex, String line) {
        assertTrue(Pattern.matches(regex, line), "\n" + line + "\n does not match\n" + regex);
    }

    @Test
    void linesAreCombinedFormatWithTimesAndWhoAnswered() throws Exception {
        try (TestBackend a = TestBackend.start("a", Respond.name())) {
            String refused = "127.0.0.1:" + FullBacklogListener.refusingAddress().getPort();
            String yaml = """
                    workers: 1
                    listeners:
                      - name: http
                        bind: 127.0.0.1:0
                    sites:
                      - hosts: [good.example]
                        upstream: good
                      - hosts: [bad.example]
                        upstream: bad
                    upstreams:
                      good:
                        servers: [{ address: %s }]
                      bad:
                        servers: [{ address: %s }]
                        retries: 0
                    access_log: ${DIR}/logs/access.log
                    """.formatted(a.hostPort(), refused);
            try (TestProxy proxy = TestProxy.start(yaml)) {
                Path log = proxy.dir().resolve("logs/access.log");
                try (RawHttpClient c = proxy.connect()) {
                    c.send("GET /a?b=1 HTTP/1.1\r\nHost: good.example\r\nReferer: https://ref.example/\r\n"
                            + "User-Agent: agent \"quoted\" 1.0\r\n\r\n").read();
                    c.send("HEAD /h HTTP/1.1\r\nHost: good.example\r\n\r\n").read(true);
                    c.send("GET /x HTTP/1.1\r\nHost: nowhere.example\r\n\r\n").read();
                    c.send("POST /p HTTP/1.1\r\nHost: bad.example\r\nContent-Length: 0\r\n\r\n").read();
                    c.send("GET / HTTP/1.1\r\n\r\n").read();
                }
                List<String> lines = awaitLines(log, 5);
                assertEquals(5, lines.size(), String.join("\n", lines));
                String upstream = "upstream=" + Pattern.quote(a.hostPort());
                assertMatches("127\\.0\\.0\\.1 - - " + TIME + " \"GET /a\\?b=1 HTTP/1\\.1\" 200 2 \"https://ref\\.example/\" "
                        + "\"agent \\\\x22quoted\\\\x22 1\\.0\" rt=" + SECONDS + " src=upstream " + upstream + " urt=" + SECONDS,
                        lines.get(0));
                assertMatches("127\\.0\\.0\\.1 - - " + TIME + " \"HEAD /h HTTP/1\\.1\" 200 0 \"-\" \"-\" rt=" + SECONDS
                        + " src=upstream " + upstream + " urt=" + SECONDS, lines.get(1));
                assertMatches("127\\.0\\.0\\.1 - - " + TIME + " \"GET /x HTTP/1\\.1\" 404 \\d+ \"-\" \"-\" rt=" + SECONDS
                        + " src=tandem upstream=- urt=-", lines.get(2));
                assertMatches("127\\.0\\.0\\.1 - - " + TIME + " \"POST /p HTTP/1\\.1\" 502 \\d+ \"-\" \"-\" rt=" + SECONDS
                        + " src=tandem upstream=" + Pattern.quote(refused) + " urt=-", lines.get(3));
                assertMatches("127\\.0\\.0\\.1 - - " + TIME + " \"GET / HTTP/1\\.1\" 400 \\d+ \"-\" \"-\" rt=" + SECONDS
                        + " src=tandem upstream=- urt=-", lines.get(4));
                assertTrue(!lines.get(2).contains("\" 404 0 "), "an error page has a body: " + lines.get(2));
            }
        }
    }

    @Test
    void aClientThatLeavesBeforeTheAnswerIs499() throws Exception {
        try (TestBackend a = TestBackend.start("a", Respond.hang())) {
            String yaml = TestProxy.config("servers: [{ address: " + a.hostPort() + " }]\n", "access_log: ${DIR}/access.log\n");
            try (TestProxy proxy = TestProxy.start(yaml)) {
                try (RawHttpClient c = proxy.connect()) {
                    c.send("GET /gone HTTP/1.1\r\nHost: h\r\n\r\n");
                    await().until(() -> a.requests() == 1);
                }
                List<String> lines = awaitLines(proxy.dir().resolve("access.log"), 1);
                assertTrue(lines.get(0).contains("\"GET /gone HTTP/1.1\" 499 0 "), lines.get(0));
            }
        }
    }
}
