package dev.tandem.proxy.statics;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * Conditional requests against a file's validators, in the order RFC 9110 section 13.2.2 prescribes:
 * {@code If-Match}, else {@code If-Unmodified-Since} (412 when false); then {@code If-None-Match}, else
 * {@code If-Modified-Since} (304 when the client's copy is current); {@code If-Range} is {@link #ifRange}.
 * Only GET and HEAD reach here, so a failed {@code If-None-Match} is always a 304.
 *
 * <p>Dates compare at one-second precision, the precision of {@code Last-Modified}; an invalid date makes
 * its header ignored, as the RFC requires.
 */
final class Preconditions {

    enum Outcome { PROCEED, NOT_MODIFIED, PRECONDITION_FAILED }

    private Preconditions() {
    }

    static Outcome evaluate(HttpHeaders h, AsciiString etag, long lastModifiedMillis) {
        long lastModified = lastModifiedMillis / 1000;
        if (h.contains(HttpHeaderNames.IF_MATCH)) {
            if (!anyMatches(h.getAll(HttpHeaderNames.IF_MATCH), etag, true)) {
                return Outcome.PRECONDITION_FAILED;
            }
        } else {
            long since = HttpDates.parse(h.get(HttpHeaderNames.IF_UNMODIFIED_SINCE));
            if (since >= 0 && lastModified > since / 1000) {
                return Outcome.PRECONDITION_FAILED;
            }
        }
        if (h.contains(HttpHeaderNames.IF_NONE_MATCH)) {
            if (anyMatches(h.getAll(HttpHeaderNames.IF_NONE_MATCH), etag, false)) {
                return Outcome.NOT_MODIFIED;
            }
        } else {
            long since = HttpDates.parse(h.get(HttpHeaderNames.IF_MODIFIED_SINCE));
            if (since >= 0 && lastModified <= since / 1000) {
                return Outcome.NOT_MODIFIED;
            }
        }
        return Outcome.PROCEED;
    }

    /**
     * Whether a Range may be honoured: true without {@code If-Range}; with one, only when it names the
     * current representation: its strong ETag, or exactly its {@code Last-Modified} date. Anything else
     * (a weak tag, another date, garbage) means the client's partial copy is stale, so the whole file is sent.
     */
    static boolean ifRange(HttpHeaders h, AsciiString etag, long lastModifiedMillis) {
        String v = h.get(HttpHeaderNames.IF_RANGE);
        if (v == null) {
            return true;
        }
        v = v.trim();
        if (v.startsWith("\"") || v.startsWith("W/")) {
            return !v.startsWith("W/") && etag.contentEquals(v);
        }
        long date = HttpDates.parse(v);
        return date >= 0 && date / 1000 == lastModifiedMillis / 1000;
    }

    /**
     * Whether one of the entity-tags in {@code values} matches {@code etag}: strong comparison (both strong
     * and equal) for If-Match, weak comparison (equal ignoring {@code W/}) for If-None-Match. {@code *}
     * matches any current representation, and there is one here.
     */
    static boolean anyMatches(List<String> values, AsciiString etag, boolean strong) {
        for (String value : values) {
            int i = 0;
            int n = value.length();
            while (i < n) {
                char c = value.charAt(i);
                if (c == ' ' || c == '\t' || c == ',') {
                    i++;
                    continue;
                }
                if (c == '*') {
                    return true;
                }
                boolean weak = false;
                if (c == 'W' && i + 1 < n && value.charAt(i + 1) == '/') {
                    weak = true;
                    i += 2;
                }
                if (i >= n || value.charAt(i) != '"') {
                    break;
                }
                int close = value.indexOf('"', i + 1);
                if (close < 0) {
                    break;
                }
                if (!(strong && weak) && regionEquals(value, i, close + 1, etag)) {
                    return true;
                }
                i = close + 1;
            }
        }
        return false;
    }

    private static boolean regionEquals(String s, int from, int to, AsciiString etag) {
        if (to - from != etag.length()) {
            return false;
        }
        for (int i = from; i < to; i++) {
            if (s.charAt(i) != etag.charAt(i - from)) {
                return false;
            }
        }
        return true;
    }
}
