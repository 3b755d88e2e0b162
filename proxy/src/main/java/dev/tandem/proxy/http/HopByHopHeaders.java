package dev.tandem.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * Removes the headers that describe one connection rather than the message (RFC 9110 section 7.6.1): those
 * named in {@code Connection}, and the fixed set every proxy must not forward. {@code Connection} cannot
 * name the headers that frame or route a message: a peer that lists {@code Content-Length} there would
 * otherwise have its body sent on without a length, to be read as the next request (smuggling).
 */
public final class HopByHopHeaders {

    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
    private static final AsciiString[] NEVER_BY_CONNECTION = {
        HttpHeaderNames.CONTENT_LENGTH, HttpHeaderNames.HOST,
    };
    private static final AsciiString[] ALWAYS = {
        HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE, PROXY_CONNECTION, HttpHeaderNames.TE,
        HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE,
    };

    /** What a message's {@code Connection} header asked of its connection. */
    public enum ConnectionOption {
        /** Neither {@code close} nor {@code keep-alive}: the version's default. */
        NONE,
        KEEP_ALIVE,
        /** {@code close}, whatever else it said. */
        CLOSE
    }

    private HopByHopHeaders() {
    }

    /**
     * Whether the sender of a message of {@code version} wants its connection kept open, from what
     * {@link #strip} found in the {@code Connection} header: as {@code HttpUtil.isKeepAlive}, without reading
     * the header again.
     */
    public static boolean keepAlive(HttpVersion version, ConnectionOption option) {
        return option != ConnectionOption.CLOSE && (version.isKeepAliveDefault() || option == ConnectionOption.KEEP_ALIVE);
    }

    private static boolean protectedName(String name) {
        for (AsciiString p : NEVER_BY_CONNECTION) {
            if (p.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Removes the hop-by-hop headers of a message.
     *
     * @return what its {@code Connection} header said about the connection ({@code close} wins)
     */
    public static ConnectionOption strip(HttpHeaders headers) {
        ConnectionOption option = ConnectionOption.NONE;
        // Most requests have no Connection header and most responses one token (keep-alive or close): read
        // the header only when there is one, and make a string only of a token that names another header.
        List<String> connection = headers.contains(HttpHeaderNames.CONNECTION)
                ? headers.getAll(HttpHeaderNames.CONNECTION) : List.of();
        for (int i = 0; i < connection.size(); i++) {
            String value = connection.get(i);
            int start = 0;
            while (start <= value.length()) {
                int comma = value.indexOf(',', start);
                int end = comma < 0 ? value.length() : comma;
                option = token(headers, value, start, end, option);
                start = end + 1;
            }
        }
        for (AsciiString name : ALWAYS) {
            headers.remove(name);
        }
        return option;
    }

    /** One token of a {@code Connection} value, {@code value[start, end)} untrimmed: its option, its header removed. */
    private static ConnectionOption token(HttpHeaders headers, String value, int start, int end, ConnectionOption option) {
        while (start < end && isSpace(value.charAt(start))) {
            start++;
        }
        while (end > start && isSpace(value.charAt(end - 1))) {
            end--;
        }
        if (start == end) {
            return option;
        }
        if (equalsIgnoreCase(HttpHeaderValues.CLOSE, value, start, end)) {
            headers.remove(HttpHeaderValues.CLOSE);
            return ConnectionOption.CLOSE;
        }
        if (equalsIgnoreCase(HttpHeaderValues.KEEP_ALIVE, value, start, end)) {
            // Removed with the other hop-by-hop headers in any case.
            return option == ConnectionOption.NONE ? ConnectionOption.KEEP_ALIVE : option;
        }
        String name = value.substring(start, end);
        if (!protectedName(name)) {
            headers.remove(name);
        }
        return option;
    }

    /** What {@code String.trim} takes off: space and the control characters. */
    private static boolean isSpace(char c) {
        return c <= ' ';
    }

    private static boolean equalsIgnoreCase(AsciiString expected, String value, int start, int end) {
        return end - start == expected.length() && expected.toString().regionMatches(true, 0, value, start, end - start);
    }
}
