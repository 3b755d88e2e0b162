package dev.tandem.proxy.routing;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The path routes are matched against, made as nginx makes {@code $uri}: the path of the request-target
 * percent-decoded once (as UTF-8), {@code .} and {@code ..} segments resolved, and runs of slashes merged.
 * So no spelling of a path ({@code %2e%2e}, {@code //}, {@code %2f}, {@code /./}) reaches a route other
 * than the one its plain form reaches, and a path that climbs above the root is refused, as nginx refuses it.
 *
 * <p>The target still goes upstream as the client sent it unless the route rewrites its prefix; a server
 * behind normalizes it the same way, so what it serves is what the route was chosen for.
 */
public final class RoutePath {

    private RoutePath() {
    }

    /** The path of an origin-form target, as sent, without its query. */
    public static String pathOf(String target) {
        int q = target.indexOf('?');
        return q < 0 ? target : target.substring(0, q);
    }

    /**
     * The normalized decoded path of an origin-form {@code target} (query ignored), or null when the path
     * cannot be one: bad percent-encoding, a NUL, or {@code ..} above the root. Bytes that are not UTF-8 are
     * taken one for one as Latin-1 characters (nginx, too, decodes them without refusing them).
     */
    public static String normalize(String target) {
        String raw = pathOf(target);
        if (raw.isEmpty() || raw.charAt(0) != '/') {
            return raw.equals("*") ? raw : null;
        }
        if (plain(raw)) {
            return raw;
        }
        String decoded = decode(raw);
        if (decoded == null) {
            return null;
        }
        List<String> segments = new ArrayList<>();
        int start = 1;
        boolean directory = false;
        while (start <= decoded.length()) {
            int end = decoded.indexOf('/', start);
            if (end < 0) {
                end = decoded.length();
            }
            String segment = decoded.substring(start, end);
            directory = end == decoded.length() ? segment.isEmpty() || segment.equals(".") || segment.equals("..") : directory;
            if (segment.equals("..")) {
                if (segments.isEmpty()) {
                    return null;
                }
                segments.remove(segments.size() - 1);
            } else if (!segment.isEmpty() && !segment.equals(".")) {
                segments.add(segment);
            }
            start = end + 1;
        }
        StringBuilder out = new StringBuilder(decoded.length());
        for (String s : segments) {
            out.append('/').append(s);
        }
        if (directory || out.length() == 0) {
            out.append('/');
        }
        return out.toString();
    }

    /** Nothing to decode, no dot segment, no empty segment: the path is its own normal form. */
    private static boolean plain(String raw) {
        char previous = 0;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' || c >= 0x80 || c == '/' && previous == '/' || c == '.' && previous == '/') {
                return false;
            }
            previous = c;
        }
        return true;
    }

    /** The path percent-decoded and read as UTF-8 (else as Latin-1); null when malformed or holding a NUL. */
    static String decode(String raw) {
        byte[] bytes = new byte[raw.length()];
        int n = 0;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    return null;
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                bytes[n++] = (byte) (hi << 4 | lo);
                i += 2;
            } else if (c > 0xff) {
                return null;
            } else {
                // The request line is decoded as ISO-8859-1: each char is one octet off the wire.
                bytes[n++] = (byte) c;
            }
        }
        for (int i = 0; i < n; i++) {
            if (bytes[i] == 0) {
                return null;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, n)).toString();
        } catch (CharacterCodingException e) {
            return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
        }
    }

    /** A request-target made of {@code path} (decoded), encoded again, and the query of {@code target}. */
    public static String target(String path, String target) {
        int q = target.indexOf('?');
        String encoded = encode(path);
        return q < 0 ? encoded : encoded + target.substring(q);
    }

    /**
     * {@code path} (decoded) percent-encoded for a request-target: unreserved characters, sub-delims, ':',
     * '@' and '/' as they are, everything else (non-ASCII as UTF-8) encoded.
     */
    public static String encode(String path) {
        StringBuilder out = null;
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (keep(c)) {
                if (out != null) {
                    out.append(c);
                }
                continue;
            }
            if (out == null) {
                out = new StringBuilder(path.length() + 16).append(path, 0, i);
            }
            int cp = path.codePointAt(i);
            for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
            i += Character.charCount(cp) - 1;
        }
        return out == null ? path : out.toString();
    }

    private static boolean keep(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~!$&'()*+,;=:@/".indexOf(c) >= 0;
    }
}
