package dev.tandem.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.proxy.TestProxy;
import dev.tandem.proxy.transport.Transport;
import dev.tandem.testkit.RawHttpClient;
import dev.tandem.testkit.RawResponse;
import dev.tandem.testkit.Respond;
import dev.tandem.testkit.TestBackend;
import dev.tandem.testkit.TestData;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same proxy on each transport Tandem can pick (the other integration tests run on the best one this
 * machine offers): whatever the kernel, the proxy behaves the same.
 */
class TransportsIT {

    static Stream<String> transports() {
        return Stream.of("io_uring", "epoll", "nio");
    }

    private static Transport transport(String name) {
        return switch (name) {
            case "io_uring" -> {
                assumeTrue(IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
                yield Transport.ioUring();
            }
            case "epoll" -> {
                assumeTrue(Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
                yield Transport.epoll();
            }
            default -> Transport.nio();
        };
    }

    @ParameterizedTest
    @MethodSource("transports")
    void proxiesBalancesAndStreams(String name) throws Exception {
        try (TestBackend a = TestBackend.start("a"); TestBackend b = TestBackend.start("b")) {
            String yaml = TestProxy.config("""
                    servers:
                      - { address: %s, weight: 2 }
                      - { address: %s, weight: 1 }
                    """.formatted(a.hostPort(), b.hostPort()), "limits: { max_body_bytes: 64m }\n");
            try (TestProxy proxy = TestProxy.start(yaml, transport(name)); RawHttpClient c = proxy.connect()) {
                StringBuilder order = new StringBuilder();
                for (int i = 0; i < 6; i++) {
                    order.append(c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read().bodyText().trim());
                }
                assertEquals("abaaba", order.toString());

                c.send("GET / HTTP/1.1\r\nHost: h\r\nCookie: " + "c".repeat(9000) + "\r\n\r\n"
                        + "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
                assertEquals(200, c.read().status());
                assertEquals(200, c.read().status());

                a.behaviour(Respond.streamChunked(16 * 1024 * 1024));
                b.behaviour(Respond.streamChunked(16 * 1024 * 1024));
                RawResponse head = c.send("GET /big HTTP/1.1\r\nHost: h\r\n\r\n").readHead();
                TestData.Checker check = new TestData.Checker();
                c.readBody(head, check::update);
                assertEquals(16 * 1024 * 1024, check.received());
                assertTrue(check.intact());

                a.behaviour(Respond.bodySummary());
                b.behaviour(Respond.bodySummary());
                c.send("PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: 8388608\r\n\r\n").sendPattern(0, 8 * 1024 * 1024);
                RawResponse up = c.read();
                assertTrue(up.bodyText().startsWith("bytes=8388608 ") && up.bodyText().contains("pattern=true"), up.bodyText());
            }
        }
    }
}
