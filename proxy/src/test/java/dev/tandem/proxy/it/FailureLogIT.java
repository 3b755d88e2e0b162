package dev.tandem.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tandem.proxy.TestProxy;
import dev.tandem.proxy.http.ProxyHandler;
import dev.tandem.testkit.FullBacklogListener;
import dev.tandem.testkit.RawHttpClient;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A dead upstream fails every request; the log says so once per server and reason, not once per request. */
class FailureLogIT {

    private static final int REQUESTS = 100;

    private final Logger logger = (Logger) LoggerFactory.getLogger(ProxyHandler.class);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    @BeforeEach
    void capture() {
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void release() {
        logger.detachAppender(lines);
    }

    @Test
    void aDeadUpstreamWritesAFewLinesNotSomeForEveryRequest() throws Exception {
        String dead1 = "127.0.0.1:" + FullBacklogListener.refusingAddress().getPort();
        String dead2;
        do {
            dead2 = "127.0.0.1:" + FullBacklogListener.refusingAddress().getPort();
        } while (dead2.equals(dead1));
        try (TestProxy proxy = TestProxy.start(TestProxy.config("""
                servers:
                  - { address: %s }
                  - { address: %s }
                retries: 2
                """.formatted(dead1, dead2), "")); RawHttpClient c = proxy.connect()) {
            for (int i = 0; i < REQUESTS; i++) {
                assertEquals(502, c.send("GET /" + i + " HTTP/1.1\r\nHost: h\r\n\r\n").read().status());
            }
        }
        List<String> messages = lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        // Per server at most: taken out, CONNECT retried, CONNECT; and the upstream's "no live server" once both are
        // out; all within one 10 s interval.
        assertTrue(messages.size() <= 7, messages.size() + " lines for " + REQUESTS + " requests:\n"
                + String.join("\n", messages));
        assertTrue(messages.stream().anyMatch(m -> m.contains("failed on")), "the failure is still told: " + messages);
    }
}
