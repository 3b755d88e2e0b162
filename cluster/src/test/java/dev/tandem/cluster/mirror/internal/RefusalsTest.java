package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class RefusalsTest {

    private final MirrorMetrics metrics = new MirrorMetrics(new SimpleMeterRegistry());
    private final Refusals refusals = new Refusals(metrics, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));

    @Test
    void theSameRefusalIsCountedOnceAndForgottenWhenThePathIsFine() {
        assertTrue(refusals.refuse("/www/big", MirrorMetrics.FILE_TOO_LARGE, "2000 bytes", null));
        assertFalse(refusals.refuse("/www/big", MirrorMetrics.FILE_TOO_LARGE, "2000 bytes", null), "the next scan");
        assertEquals(1, metrics.rejectedCount(MirrorMetrics.FILE_TOO_LARGE));
        assertTrue(refusals.changedSinceLast());
        assertFalse(refusals.changedSinceLast());
        assertEquals(1, refusals.list().size());
        assertEquals("/www/big", refusals.list().get(0).path());
        // the file grew again: a new refusal
        assertTrue(refusals.refuse("/www/big", MirrorMetrics.FILE_TOO_LARGE, "3000 bytes", null));
        assertEquals(2, metrics.rejectedCount(MirrorMetrics.FILE_TOO_LARGE));
        refusals.clear("/www/big");
        assertTrue(refusals.list().isEmpty());
        assertTrue(refusals.changedSinceLast());
        assertTrue(refusals.refuse("/www/big", MirrorMetrics.FILE_TOO_LARGE, "3000 bytes", null), "refused anew");
    }

    private final java.util.List<String> warnings = new java.util.ArrayList<>();
    private ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender;

    @org.junit.jupiter.api.BeforeEach
    void captureWarnings() {
        ch.qos.logback.classic.Logger l = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Refusals.class);
        appender = new ch.qos.logback.core.read.ListAppender<>() {
            @Override
            protected void append(ch.qos.logback.classic.spi.ILoggingEvent e) {
                if (e.getLevel() == ch.qos.logback.classic.Level.WARN) {
                    warnings.add(e.getFormattedMessage());
                }
            }
        };
        appender.start();
        l.addAppender(appender);
    }

    @org.junit.jupiter.api.AfterEach
    void release() {
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Refusals.class)).detachAppender(appender);
    }

    @Test
    void theListIsBounded() {
        for (int i = 0; i < Refusals.MAX_LISTED + 10; i++) {
            refusals.refuse("/www/f" + i, MirrorMetrics.TOO_MANY_FILES, "over", "lb2");
        }
        assertEquals(Refusals.MAX_LISTED, refusals.list().size());
        assertEquals(Refusals.MAX_LISTED + 10, metrics.rejectedCount(MirrorMetrics.TOO_MANY_FILES));
        assertEquals(Refusals.MAX_LOGGED + 1, warnings.size(), "the first ones, then one line saying the rest are not logged");
        assertTrue(warnings.get(Refusals.MAX_LOGGED).contains("no longer logged one by one"));
    }
}
