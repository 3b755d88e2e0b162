package dev.tandem.proxy.statics;

import static dev.tandem.proxy.statics.Preconditions.Outcome.NOT_MODIFIED;
import static dev.tandem.proxy.statics.Preconditions.Outcome.PRECONDITION_FAILED;
import static dev.tandem.proxy.statics.Preconditions.Outcome.PROCEED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;

class PreconditionsTest {

    private static final AsciiString ETAG = new AsciiString("\"5-abc-1f\"");
    /** Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT, plus some milliseconds HTTP cannot carry. */
    private static final long MODIFIED = 784111777_000L + 456;
    private static final String AT = "Sun, 06 Nov 1994 08:49:37 GMT";
    private static final String BEFORE = "Sun, 06 Nov 1994 08:49:36 GMT";
    private static final String AFTER = "Sun, 06 Nov 1994 08:49:38 GMT";

    private static Preconditions.Outcome eval(String... nameValues) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < nameValues.length; i += 2) {
            h.add(nameValues[i], nameValues[i + 1]);
        }
        return Preconditions.evaluate(h, ETAG, MODIFIED);
    }

    @Test
    void noConditionsProceed() {
        assertEquals(PROCEED, eval());
    }

    @Test
    void ifNoneMatchUsesWeakComparisonAndLists() {
        assertEquals(NOT_MODIFIED, eval("If-None-Match", "\"5-abc-1f\""));
        assertEquals(NOT_MODIFIED, eval("If-None-Match", "W/\"5-abc-1f\""));
        assertEquals(NOT_MODIFIED, eval("If-None-Match", "\"x,y\", \"5-abc-1f\""));
        assertEquals(NOT_MODIFIED, eval("If-None-Match", "\"other\"", "If-None-Match", "\"5-abc-1f\""));
        assertEquals(NOT_MODIFIED, eval("If-None-Match", "*"));
        assertEquals(PROCEED, eval("If-None-Match", "\"5-abc-1e\""));
        assertEquals(PROCEED, eval("If-None-Match", "5-abc-1f"));
    }

    @Test
    void ifModifiedSinceComparesSeconds() {
        assertEquals(NOT_MODIFIED, eval("If-Modified-Since", AT));
        assertEquals(NOT_MODIFIED, eval("If-Modified-Since", AFTER));
        assertEquals(PROCEED, eval("If-Modified-Since", BEFORE));
        assertEquals(PROCEED, eval("If-Modified-Since", "yesterday"));
    }

    @Test
    void ifNoneMatchWinsOverIfModifiedSince() {
        assertEquals(PROCEED, eval("If-None-Match", "\"old\"", "If-Modified-Since", AFTER));
        assertEquals(NOT_MODIFIED, eval("If-None-Match", "\"5-abc-1f\"", "If-Modified-Since", BEFORE));
    }

    @Test
    void ifMatchUsesStrongComparison() {
        assertEquals(PROCEED, eval("If-Match", "\"5-abc-1f\""));
        assertEquals(PROCEED, eval("If-Match", "*"));
        assertEquals(PROCEED, eval("If-Match", "\"a\", \"5-abc-1f\""));
        assertEquals(PRECONDITION_FAILED, eval("If-Match", "W/\"5-abc-1f\""));
        assertEquals(PRECONDITION_FAILED, eval("If-Match", "\"other\""));
    }

    @Test
    void ifUnmodifiedSinceOnlyWithoutIfMatch() {
        assertEquals(PRECONDITION_FAILED, eval("If-Unmodified-Since", BEFORE));
        assertEquals(PROCEED, eval("If-Unmodified-Since", AT));
        assertEquals(PROCEED, eval("If-Unmodified-Since", "garbage"));
        assertEquals(PROCEED, eval("If-Match", "\"5-abc-1f\"", "If-Unmodified-Since", BEFORE));
    }

    @Test
    void ifMatchIsCheckedBeforeIfNoneMatch() {
        assertEquals(PRECONDITION_FAILED, eval("If-Match", "\"other\"", "If-None-Match", "\"5-abc-1f\""));
        assertEquals(NOT_MODIFIED, eval("If-Match", "\"5-abc-1f\"", "If-None-Match", "\"5-abc-1f\""));
    }

    @Test
    void ifRange() {
        assertTrue(Preconditions.ifRange(headers(), ETAG, MODIFIED));
        assertTrue(Preconditions.ifRange(headers("If-Range", "\"5-abc-1f\""), ETAG, MODIFIED));
        assertFalse(Preconditions.ifRange(headers("If-Range", "W/\"5-abc-1f\""), ETAG, MODIFIED));
        assertFalse(Preconditions.ifRange(headers("If-Range", "\"old\""), ETAG, MODIFIED));
        assertTrue(Preconditions.ifRange(headers("If-Range", AT), ETAG, MODIFIED));
        assertFalse(Preconditions.ifRange(headers("If-Range", AFTER), ETAG, MODIFIED));
        assertFalse(Preconditions.ifRange(headers("If-Range", "soon"), ETAG, MODIFIED));
    }

    private static HttpHeaders headers(String... nameValues) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < nameValues.length; i += 2) {
            h.add(nameValues[i], nameValues[i + 1]);
        }
        return h;
    }
}
