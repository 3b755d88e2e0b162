package dev.tandem.proxy.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.ZoneId;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class AccessLogFormatTest {

    private static final long WHEN = ZonedDateTime.of(2026, 10, 10, 13, 55, 36, 0, ZoneId.of("UTC")).toInstant().toEpochMilli();

    private static String format(AccessLogEntry e) {
        StringBuilder sb = new StringBuilder();
        new AccessLogFormat(ZoneId.of("UTC")).format(e, sb);
        return sb.toString();
    }

    @Test
    void combinedFormatThenTimesAndWhoAnswered() {
        assertEquals("203.0.113.7 - - [10/Oct/2026:13:55:36 +0000] \"GET /a.png HTTP/1.1\" 200 2326 \"https://r.example/\" "
                        + "\"curl/8.5\" rt=0.003 src=upstream upstream=10.0.0.21:8000 urt=0.002\n",
                format(new AccessLogEntry("203.0.113.7", WHEN, "GET", "/a.png", "HTTP/1.1", 200, 2326, "https://r.example/",
                        "curl/8.5", "upstream", "10.0.0.21:8000", 3_400_000, 2_000_000)));
    }

    @Test
    void missingFieldsAreDashes() {
        assertEquals("192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] \"GET / HTTP/1.0\" 503 150 \"-\" \"-\" rt=1.250 src=tandem "
                        + "upstream=- urt=-\n",
                format(new AccessLogEntry("192.0.2.1", WHEN, "GET", "/", "HTTP/1.0", 503, 150, null, "", "tandem", null,
                        1_250_000_000L, -1)));
    }

    @Test
    void quotesBackslashesAndControlCharactersAreEscaped() {
        String line = format(new AccessLogEntry("192.0.2.1", WHEN, "GET", "/a\"b\\c\nd\u007f", "HTTP/1.1", 400, 0,
                "x\"y", "agent\r\n203.0.113.9 - - [forged]", "tandem", null, 0, -1));
        assertEquals("192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] \"GET /a\\x22b\\x5cc\\x0ad\\x7f HTTP/1.1\" 400 0 "
                + "\"x\\x22y\" \"agent\\x0d\\x0a203.0.113.9 - - [forged]\" rt=0.000 src=tandem upstream=- urt=-\n", line);
        assertEquals(1, line.chars().filter(c -> c == '\n').count());
    }

    @Test
    void timesAreSecondsWithMilliseconds() {
        String line = format(new AccessLogEntry("h", WHEN, "GET", "/", "HTTP/1.1", 200, 0, null, null, "upstream", "u",
                12_345_678_901L, 9_999_999));
        assertEquals(true, line.endsWith(" rt=12.345 src=upstream upstream=u urt=0.009\n"), line);
    }

    @Test
    void theZoneIsTheConfiguredOne() {
        StringBuilder sb = new StringBuilder();
        new AccessLogFormat(ZoneId.of("+02:00")).format(new AccessLogEntry("h", WHEN, "GET", "/", "HTTP/1.1", 200, 0,
                null, null, "upstream", null, 0, -1), sb);
        assertEquals(true, sb.toString().contains("[10/Oct/2026:15:55:36 +0200]"), sb.toString());
    }
}
