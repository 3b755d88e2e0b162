package dev.tandem.proxy.statics;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The path of a request target turned into a path under a static root, or the reason it cannot be one.
 *
 * <p>The path is percent-decoded exactly once, and only then split and checked, so that no encoded form
 * ({@code %2e%2e}, {@code %2f}, overlong UTF-8 such as {@code %c0%ae}) can become a separator or a dot
 * segment after the checks. Double encoding stays literal: {@code %252e} names a file called {@code %2e}.
 *
 * <p>Three outcomes:
 * <ul>
 * <li>{@link Kind#BAD}: the path is malformed or hostile and is answered with 400 whatever the fallback
 *     says, as nginx does: invalid percent-encoding, bytes that are not UTF-8 (overlong forms included),
 *     NUL or other control characters, and {@code .} or {@code ..} segments, raw or encoded. Clients that
 *     follow RFC 3986 remove dot segments before sending, so only crafted requests carry them.</li>
 * <li>{@link Kind#NOT_A_FILE}: a well-formed path that must not be looked up on disk: an encoded
 *     separator ({@code %2f}, {@code %5c}), a backslash, or (unless the site allows hidden files) a segment
 *     starting with a dot. It is not an error: an application may use such paths, so it goes to the
 *     fallback like a missing file. (An encoded separator that completes a dot segment, as in
 *     {@code ..%2f}, is {@link Kind#BAD}: the decoded path climbs.)</li>
 * <li>{@link Kind#FILE}: {@link #relative()} is a clean relative path (segments joined by {@code /},
 *     empty segments merged) that can be resolved under the root without leaving it textually; symlinks
 *     are checked when it is resolved.</li>
 * </ul>
 *
 * @param relative  the path under the root without a leading slash ({@code ""} for the root itself)
 * @param directory the request path ends with a slash (it names a directory)
 */
record RequestPath(Kind kind, String relative, boolean directory, String reason) {

    enum Kind { FILE, NOT_A_FILE, BAD }

    /** The key an open-file cache stores this path under: distinct for the file and the directory form. */
    String key() {
        return directory ? relative + '/' : relative;
    }

    static RequestPath bad(String reason) {
        return new RequestPath(Kind.BAD, null, false, reason);
    }

    static RequestPath notAFile(String reason) {
        return new RequestPath(Kind.NOT_A_FILE, null, false, reason);
    }

    /** The path part of an origin-form target, without its query. */
    static String pathOf(String target) {
        int q = target.indexOf('?');
        return q < 0 ? target : target.substring(0, q);
    }

    /**
     * Parses the path of {@code target} (origin-form, starting with {@code /}).
     *
     * @param hiddenAllowed segments starting with a dot are acceptable
     */
    static RequestPath parse(String target, boolean hiddenAllowed) {
        String raw = pathOf(target);
        if (raw.isEmpty() || raw.charAt(0) != '/') {
            return bad("not an absolute path");
        }
        String decoded;
        boolean encodedSeparator = false;
        if (raw.indexOf('%') < 0 && isAscii(raw)) {
            decoded = raw;
        } else {
            byte[] bytes = new byte[raw.length()];
            int n = 0;
            for (int i = 0; i < raw.length(); i++) {
                char c = raw.charAt(i);
                if (c == '%') {
                    if (i + 2 >= raw.length()) {
                        return bad("truncated percent-encoding");
                    }
                    int hi = Character.digit(raw.charAt(i + 1), 16);
                    int lo = Character.digit(raw.charAt(i + 2), 16);
                    if (hi < 0 || lo < 0) {
                        return bad("invalid percent-encoding");
                    }
                    int b = hi << 4 | lo;
                    if (b == '/' || b == '\\') {
                        encodedSeparator = true;
                    }
                    bytes[n++] = (byte) b;
                    i += 2;
                } else if (c > 0xff) {
                    return bad("character outside the request line's octets");
                } else {
                    // The request line is decoded as ISO-8859-1: each char is one octet off the wire.
                    bytes[n++] = (byte) c;
                }
            }
            decoded = strictUtf8(bytes, n);
            if (decoded == null) {
                return bad("not UTF-8 (or an overlong form)");
            }
        }
        return check(decoded, encodedSeparator, hiddenAllowed);
    }

    private static RequestPath check(String decoded, boolean encodedSeparator, boolean hiddenAllowed) {
        StringBuilder relative = new StringBuilder(decoded.length());
        int start = 1;
        boolean hidden = false;
        boolean backslash = false;
        int len = decoded.length();
        while (start <= len) {
            int end = decoded.indexOf('/', start);
            if (end < 0) {
                end = len;
            }
            if (end > start) {
                for (int i = start; i < end; i++) {
                    char c = decoded.charAt(i);
                    if (c < 0x20 || c == 0x7f) {
                        return bad("control character in the path");
                    }
                    backslash |= c == '\\';
                }
                boolean dot = decoded.charAt(start) == '.';
                if (dot && (end - start == 1 || end - start == 2 && decoded.charAt(start + 1) == '.')) {
                    return bad("dot segment in the path");
                }
                hidden |= dot;
                if (relative.length() > 0) {
                    relative.append('/');
                }
                relative.append(decoded, start, end);
            }
            start = end + 1;
        }
        if (encodedSeparator) {
            return notAFile("encoded separator in the path");
        }
        if (backslash) {
            return notAFile("backslash in the path");
        }
        if (hidden && !hiddenAllowed) {
            return notAFile("hidden file or directory");
        }
        boolean directory = decoded.endsWith("/");
        return new RequestPath(Kind.FILE, relative.toString(), directory, null);
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** The bytes as UTF-8, or null when they are not well-formed (the JDK's decoder refuses overlong forms). */
    private static String strictUtf8(byte[] bytes, int length) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = decoder.decode(ByteBuffer.wrap(bytes, 0, length));
            return chars.toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
