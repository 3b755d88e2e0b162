package dev.tandem.proxy.statics;

import io.netty.handler.codec.DateFormatter;
import io.netty.util.AsciiString;
import java.util.Date;

/**
 * HTTP dates (RFC 9110 section 5.6.7): formatting for {@code Last-Modified} and {@code Date}, parsing of
 * {@code If-Modified-Since} and friends (all three historical formats, through Netty's parser).
 */
final class HttpDates {

    private HttpDates() {
    }

    static AsciiString format(long epochMillis) {
        return new AsciiString(DateFormatter.format(new Date(epochMillis)));
    }

    /** Milliseconds since the epoch, or -1 when {@code value} is not an HTTP date (which means: ignore it). */
    static long parse(CharSequence value) {
        if (value == null) {
            return -1;
        }
        Date d = DateFormatter.parseHttpDate(value);
        return d == null ? -1 : d.getTime();
    }

    /**
     * The {@code Date} header value for now, formatted at most once a second. Shared by all event loops: a
     * racing update writes the same value, and the holder is immutable, so no lock is needed.
     */
    static final class Clock {

        private record Stamp(long second, AsciiString text) {
        }

        private volatile Stamp current = new Stamp(-1, AsciiString.EMPTY_STRING);

        AsciiString now() {
            long millis = System.currentTimeMillis();
            long second = millis / 1000;
            Stamp s = current;
            if (s.second != second) {
                s = new Stamp(second, format(second * 1000));
                current = s;
            }
            return s.text;
        }
    }
}
