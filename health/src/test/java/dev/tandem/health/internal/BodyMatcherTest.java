package dev.tandem.health.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BodyMatcherTest {

    private static boolean feed(BodyMatcher m, String text) {
        ByteBuf b = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
        try {
            boolean found = m.feed(b);
            assertEquals(0, b.readerIndex(), "the caller's buffer is left alone");
            return found;
        } finally {
            b.release();
        }
    }

    private static BodyMatcher matcher(String needle, int limit) {
        return new BodyMatcher(needle.getBytes(StandardCharsets.UTF_8), limit, 200);
    }

    @Test
    void findsTextSplitAcrossChunks() {
        BodyMatcher m = matcher("status: healthy", 1024);
        assertFalse(feed(m, "{\"status"));
        assertFalse(feed(m, ": hea"));
        assertTrue(feed(m, "lthy\"}"));
    }

    @Test
    void looksOnlyAtTheFirstLimitBytes() {
        BodyMatcher m = matcher("OK", 10);
        assertFalse(feed(m, "x".repeat(9)));
        assertFalse(m.full());
        assertFalse(feed(m, "OK"));
        assertTrue(m.full());
        assertEquals(10, m.size());
    }

    @Test
    void growsPastItsFirstArrayUpToTheLimit() {
        BodyMatcher m = matcher("needle", 64 * 1024);
        assertFalse(feed(m, "y".repeat(20_000)));
        assertTrue(feed(m, "y".repeat(20_000) + "needle"));
        assertEquals(40_006, m.size());
    }

    @Test
    void matchesUtf8Text() {
        BodyMatcher m = matcher("état: prêt", 100);
        assertTrue(feed(m, "<p>état: prêt</p>"));
    }

    @Test
    void anEmptyNeedleMatchesAnyBody() {
        assertTrue(feed(matcher("", 100), ""));
    }
}
