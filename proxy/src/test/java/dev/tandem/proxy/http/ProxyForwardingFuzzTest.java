package dev.tandem.proxy.http;

import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tandem.proxy.TestProxy;
import dev.tandem.proxy.upstream.ServerState;
import dev.tandem.testkit.LeakCheckExtension;
import io.netty.handler.codec.http.HttpDecoderConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.slf4j.LoggerFactory;

/**
 * Request decoding and forwarding under any bytes a client may send: a real proxy on loopback in front of a
 * {@link RecordingBackend}, one client connection per input (its bytes, then end of stream). After each:
 * <ul>
 *   <li>every request the backend parsed is one that a strict decoder finds in the client's bytes
 *       ({@link ReferenceFraming}), in order, with the same method, target and body: the two sides of the proxy
 *       never frame the client's bytes differently, so nothing is smuggled past it as a second request;</li>
 *   <li>everything the proxy sent upstream parses, and carries the client's own address in X-Real-IP;</li>
 *   <li>no exception escaped a handler (it would be logged with its stack trace);</li>
 *   <li>no ByteBuf leaked (PARANOID; checked every {@value #LEAK_CHECK_EVERY} inputs and after the class).</li>
 * </ul>
 * Each input connects from an address of its own in 127.0.0.0/8, which the proxy passes upstream in
 * X-Real-IP: so a request that reaches the backend late is never taken for another input's.
 *
 * <p>Coverage-guided (Jazzer). Every {@code mvn verify} replays the inputs directory
 * ({@code src/test/resources/dev/tandem/proxy/http/ProxyForwardingFuzzTestInputs/}: seeds and past findings)
 * and then fuzzes for {@code maxDuration}; {@code benchmarks/fuzz.sh} fuzzes longer.
 */
class ProxyForwardingFuzzTest {

    private static final int LEAK_CHECK_EVERY = 2000;
    private static final int READ_TIMEOUT_MILLIS = 10_000;

    private static RecordingBackend backend;
    private static TestProxy proxy;
    private static HttpDecoderConfig decoder;
    private static final StackTraces stackTraces = new StackTraces();
    private static final Logger quiet = (Logger) LoggerFactory.getLogger("dev.tandem.proxy");
    private static int inputs;

    @BeforeAll
    static void start() throws Exception {
        backend = new RecordingBackend();
        // No retries and no passive health: an input that upsets the backend must not change how the next is
        // handled. Short client timeouts: an input that leaves a request unfinished is cut off quickly.
        proxy = TestProxy.start(TestProxy.config("""
                servers: [{ address: %s }]
                retries: 0
                passive: { max_fails: 0 }
                timeouts: { connect: 2s, read: 5s, write: 5s }
                """.formatted(backend.hostPort()),
                "limits: { max_header_bytes: 4k, max_body_bytes: 64k, client_timeout: 2s, keepalive_timeout: 2s }\n"));
        decoder = Http1Handlers.requestDecoder(proxy.server().config().config().limits());
        stackTraces.setContext((ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory());
        stackTraces.start();
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).addAppender(stackTraces);
        // A refused request is logged at INFO, which would be most of what thousands of inputs print.
        quiet.setLevel(Level.WARN);
    }

    @AfterAll
    static void stop() throws Exception {
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).detachAppender(stackTraces);
        quiet.setLevel(null);
        if (proxy != null) {
            proxy.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @FuzzTest(maxDuration = "30s")
    @DictionaryFile(resourcePath = "ProxyForwardingFuzzTest.dict")
    void whatReachesTheBackendIsWhatTheClientFramed(byte[] request) throws Exception {
        String client = clientAddress(inputs++);
        List<ReferenceFraming.Framed> framed = ReferenceFraming.frame(request, decoder);
        exchange(client, request);
        // Every forwarded request has been answered or abandoned once nothing is in flight upstream.
        ServerState server = proxy.server().servers().all().iterator().next();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1)).until(() -> server.inFlight() == 0);
        check(client, framed, request);
        List<String> unparsable = backend.drainUnparsable();
        if (!unparsable.isEmpty()) {
            throw new AssertionError("the proxy sent the backend what does not parse: " + unparsable + "\ninput: " + show(request));
        }
        List<String> traces = stackTraces.drain();
        if (!traces.isEmpty()) {
            throw new AssertionError("an exception escaped: " + traces + "\ninput: " + show(request));
        }
        if (inputs % LEAK_CHECK_EVERY == 0) {
            backend.forget();
            List<String> leaks = LeakCheckExtension.collectLeaks();
            if (!leaks.isEmpty()) {
                throw new AssertionError("ByteBuf leak(s) in the last " + LEAK_CHECK_EVERY + " inputs:\n" + String.join("\n---\n", leaks));
            }
        }
    }

    /** One client connection: the bytes, end of stream, then everything the proxy answers until it closes. */
    private static void exchange(String client, byte[] request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(client), 0));
            socket.connect(proxy.address());
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            try {
                socket.getOutputStream().write(request);
                socket.shutdownOutput();
                InputStream in = socket.getInputStream();
                byte[] buf = new byte[16 * 1024];
                while (in.read(buf) >= 0) {
                    // the answers are not the point here: what reached the backend is
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the proxy kept a connection open " + READ_TIMEOUT_MILLIS + " ms after the client's end of stream");
            } catch (IOException e) {
                // reset by the proxy after a refusal: allowed
            }
        }
    }

    private static void check(String client, List<ReferenceFraming.Framed> framed, byte[] request) {
        List<RecordingBackend.Seen> seen = backend.seenFrom(client);
        int next = 0;
        for (RecordingBackend.Seen s : seen) {
            if (s.client.size() != 1) {
                throw new AssertionError("X-Real-IP upstream is not the client's own address alone: " + s + "\ninput: " + show(request));
            }
            while (next < framed.size() && !sameRequest(framed.get(next), s)) {
                next++;
            }
            if (next == framed.size()) {
                throw new AssertionError("the backend saw a request the client did not frame: " + s
                        + "\nthe client's requests: " + describe(framed) + "\nthe backend saw: " + seen + "\ninput: " + show(request));
            }
            ReferenceFraming.Framed f = framed.get(next++);
            if (s.complete && f.complete() && !Arrays.equals(f.body(), s.body.toByteArray())) {
                throw new AssertionError("the backend saw another body than the client sent for " + s
                        + ": " + show(s.body.toByteArray()) + " instead of " + show(f.body()) + "\ninput: " + show(request));
            }
            if (s.complete && !f.complete()) {
                throw new AssertionError("the backend saw a whole request the client never finished: " + s + "\ninput: " + show(request));
            }
        }
        backend.forget();
    }

    /**
     * The same request on both sides: the method, and the target as sent (or, for an absolute-form target,
     * its path and query). A target with bytes outside ASCII is matched by method alone: whether such bytes
     * pass through unchanged or are refused is the request-target checks' concern (RequestTargetTest), and the
     * decoders here read them as Latin-1.
     */
    private static boolean sameRequest(ReferenceFraming.Framed f, RecordingBackend.Seen s) {
        if (!f.method().equals(s.method)) {
            return false;
        }
        if (!f.uri().chars().allMatch(c -> c < 0x80)) {
            return true;
        }
        return f.uri().equals(s.uri) || originForm(f.uri()).equals(s.uri);
    }

    /**
     * {@code scheme://authority/path?query} without its scheme and authority, as the string it is (a parser
     * would refuse what the proxy may still pass on, such as control bytes: whether those get through is the
     * request-target checks' concern, not the framing's).
     */
    private static String originForm(String target) {
        int scheme = target.indexOf("://");
        if (scheme <= 0) {
            return target;
        }
        int path = target.indexOf('/', scheme + 3);
        int query = target.indexOf('?', scheme + 3);
        if (path < 0 || query >= 0 && query < path) {
            return query < 0 ? "/" : "/" + target.substring(query);
        }
        return target.substring(path);
    }

    /** A client address of its own for input {@code n}: 127.1.0.1 and up (127.0.0.1 is the proxy's and the backend's). */
    private static String clientAddress(int n) {
        int host = n % (250 * 250 * 250);
        return "127." + (1 + host / 62_500) + "." + (host / 250 % 250) + "." + (1 + host % 250);
    }

    private static String describe(List<ReferenceFraming.Framed> framed) {
        List<String> d = new ArrayList<>();
        for (ReferenceFraming.Framed f : framed) {
            d.add(f.method() + " " + f.uri() + " (body " + f.body().length + (f.complete() ? "" : ", incomplete") + ")");
        }
        return d.toString();
    }

    private static String show(byte[] bytes) {
        StringBuilder b = new StringBuilder("\"");
        for (byte x : bytes) {
            int c = x & 0xff;
            if (c == '\r') {
                b.append("\\r");
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
                b.append(String.format("\\x%02x", c));
            } else {
                b.append((char) c);
            }
        }
        return b.append('"').toString();
    }

    /** Log events that carry a stack trace at WARN or above: an exception that a handler did not expect. */
    private static final class StackTraces extends AppenderBase<ILoggingEvent> {
        private final List<String> events = new ArrayList<>();

        @Override
        protected synchronized void append(ILoggingEvent e) {
            if (e.getLevel().isGreaterOrEqual(Level.WARN) && e.getThrowableProxy() != null) {
                events.add(e.getLoggerName() + ": " + e.getFormattedMessage() + ": " + e.getThrowableProxy().getClassName()
                        + ": " + e.getThrowableProxy().getMessage());
            }
        }

        synchronized List<String> drain() {
            List<String> d = List.copyOf(events);
            events.clear();
            return d;
        }
    }
}
