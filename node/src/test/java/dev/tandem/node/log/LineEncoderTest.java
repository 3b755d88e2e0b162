package dev.tandem.node.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LineEncoderTest {

    private final LoggerContext context = new LoggerContext();
    private final Logger logger = context.getLogger("dev.tandem.proxy.http.ProxyHandler");
    private final AtomicLong nanos = new AtomicLong();

    private LineEncoder encoder(Map<String, String> env) {
        LineEncoder e = new LineEncoder(env, "8:12345", ZoneOffset.UTC, nanos::get);
        e.setContext(context);
        e.start();
        return e;
    }

    private LoggingEvent event(Level level, String pattern, Object... args) {
        LoggingEvent e = new LoggingEvent(Logger.class.getName(), logger, level, pattern, null, args);
        e.setTimeStamp(1_700_000_000_123L);
        return e;
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void levelsMapToTheSyslogPrioritiesOfSdDaemon() {
        assertEquals(3, LineEncoder.priority(Level.ERROR));
        assertEquals(4, LineEncoder.priority(Level.WARN));
        assertEquals(6, LineEncoder.priority(Level.INFO));
        assertEquals(7, LineEncoder.priority(Level.DEBUG));
        assertEquals(7, LineEncoder.priority(Level.TRACE));
    }

    @Test
    void underTheJournalEachLineStartsWithItsPriorityAndHasNoTimestamp() {
        LineEncoder e = encoder(Map.of("JOURNAL_STREAM", "8:12345"));
        assertTrue(e.journal());
        assertEquals("<4>WARN  ProxyHandler: server 10.0.0.1:80 down\n",
                text(e.encode(event(Level.WARN, "server {} down", "10.0.0.1:80"))));
        assertEquals("<3>ERROR ProxyHandler: broken\n", text(e.encode(event(Level.ERROR, "broken"))));
        assertEquals("<6>INFO  ProxyHandler: started\n", text(e.encode(event(Level.INFO, "started"))));
        assertEquals("<7>DEBUG ProxyHandler: detail\n", text(e.encode(event(Level.DEBUG, "detail"))));
    }

    @Test
    void everyLineOfAStackTraceCarriesTheEventsPriority() {
        LineEncoder e = encoder(Map.of("JOURNAL_STREAM", "8:12345"));
        LoggingEvent ev = new LoggingEvent(Logger.class.getName(), logger, Level.ERROR, "failed", new IllegalStateException("boom"), null);
        String out = text(e.encode(ev));
        String[] lines = out.split("\n");
        assertTrue(lines.length > 2, out);
        for (String line : lines) {
            assertTrue(line.startsWith("<3>"), "line without its priority: " + line);
        }
        assertTrue(out.contains("<3>java.lang.IllegalStateException: boom"), out);
    }

    @Test
    void theJournalIsUsedOnlyWhenStandardErrorIsTheStreamSystemdConnected() {
        assertTrue(LineEncoder.journal("8:12345", "8:12345"));
        assertFalse(LineEncoder.journal("8:12345", "8:999"), "standard error redirected since: a file, a terminal");
        assertTrue(LineEncoder.journal("8:12345", null), "standard error that cannot be looked at: the variable decides");
        assertFalse(LineEncoder.journal(null, "8:12345"));
        assertFalse(LineEncoder.journal("", null));
        // This test's own standard error is told, as DEV:INO.
        assertTrue(LineEncoder.standardError() == null || LineEncoder.standardError().matches("\\d+:\\d+"),
                LineEncoder.standardError());
    }

    @Test
    void elsewhereEachLineStartsWithOneTimestamp() {
        LineEncoder e = encoder(Map.of());
        assertFalse(e.journal());
        assertEquals("2023-11-14T22:13:20.123Z WARN  ProxyHandler: server x down\n",
                text(e.encode(event(Level.WARN, "server {} down", "x"))));
        assertFalse(encoder(Map.of("JOURNAL_STREAM", "")).journal(), "an empty JOURNAL_STREAM is no journal");
    }

    @Test
    void repeatsPastTheBurstAreHeldBackAndCounted() {
        LineEncoder e = encoder(Map.of("JOURNAL_STREAM", "8:12345"));
        for (int i = 0; i < LineEncoder.BURST; i++) {
            assertEquals("<4>WARN  ProxyHandler: GET /" + i + " failed\n",
                    text(e.encode(event(Level.WARN, "GET {} failed", "/" + i))));
        }
        for (int i = 0; i < 7; i++) {
            assertEquals(0, e.encode(event(Level.WARN, "GET {} failed", "/x")).length);
        }
        // Another kind of line is not held back by these.
        assertEquals("<3>ERROR ProxyHandler: broken\n", text(e.encode(event(Level.ERROR, "broken"))));
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(LineEncoder.WINDOW_SECONDS));
        assertEquals("<4>WARN  ProxyHandler: GET /y failed (7 more like this held back in the last 10s)\n",
                text(e.encode(event(Level.WARN, "GET {} failed", "/y"))));
        assertEquals("<4>WARN  ProxyHandler: GET /z failed\n", text(e.encode(event(Level.WARN, "GET {} failed", "/z"))));
    }

    @Test
    void infoLinesAreNeverHeldBack() {
        LineEncoder e = encoder(Map.of("JOURNAL_STREAM", "8:12345"));
        for (int i = 0; i < 3 * LineEncoder.BURST; i++) {
            assertEquals("<6>INFO  ProxyHandler: VIP 10.0.0.10: BACKUP -> MASTER\n",
                    text(e.encode(event(Level.INFO, "VIP {}: {} -> {}", "10.0.0.10", "BACKUP", "MASTER"))));
        }
    }
}
