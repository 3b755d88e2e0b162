package dev.tandem.proxy.log;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * nginx's {@code combined} format followed by what an operator of a proxy needs next:
 * <pre>
 * 203.0.113.7 - - [10/Oct/2026:13:55:36 +0000] "GET /a.png HTTP/1.1" 200 2326 "-" "curl/8.5" rt=0.003 src=upstream upstream=10.0.0.21:8000 urt=0.002
 * </pre>
 * Quotes, backslashes and control characters in logged request fields are escaped as {@code \xHH}, as
 * nginx does, so a client cannot forge log lines.
 */
public final class AccessLogFormat {

    private final DateTimeFormatter time;

    public AccessLogFormat(ZoneId zone) {
        this.time = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(zone);
    }

    public void format(AccessLogEntry e, StringBuilder out) {
        out.append(e.remoteAddress()).append(" - - [");
        time.formatTo(Instant.ofEpochMilli(e.epochMillis()), out);
        out.append("] \"");
        escape(e.method(), out);
        out.append(' ');
        escape(e.uri(), out);
        out.append(' ');
        escape(e.protocol(), out);
        out.append("\" ").append(e.status()).append(' ').append(e.bodyBytes()).append(" \"");
        escapeOrDash(e.referer(), out);
        out.append("\" \"");
        escapeOrDash(e.userAgent(), out);
        out.append("\" rt=");
        seconds(e.requestNanos(), out);
        out.append(" src=").append(e.source());
        out.append(" upstream=").append(e.upstream() == null ? "-" : e.upstream());
        out.append(" urt=");
        if (e.upstreamNanos() < 0) {
            out.append('-');
        } else {
            seconds(e.upstreamNanos(), out);
        }
        out.append('\n');
    }

    private static void seconds(long nanos, StringBuilder out) {
        long millis = nanos / 1_000_000;
        out.append(millis / 1000).append('.');
        long frac = millis % 1000;
        if (frac < 100) {
            out.append('0');
        }
        if (frac < 10) {
            out.append('0');
        }
        out.append(frac);
    }

    private static void escapeOrDash(String s, StringBuilder out) {
        if (s == null || s.isEmpty()) {
            out.append('-');
        } else {
            escape(s, out);
        }
    }

    static void escape(String s, StringBuilder out) {
        if (s == null) {
            out.append('-');
            return;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\' || c < 0x20 || c == 0x7f) {
                out.append("\\x").append(Character.forDigit(c >> 4 & 0xf, 16)).append(Character.forDigit(c & 0xf, 16));
            } else {
                out.append(c);
            }
        }
    }
}
