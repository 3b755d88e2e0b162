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
        List<String> connection = headers.getAll(HttpHeaderNames.CONNECTION);
        for (int i = 0; i < connection.size(); i++) {
            for (String token : connection.get(i).split(",")) {
                String name = token.trim();
                if (HttpHeaderValues.CLOSE.contentEqualsIgnoreCase(name)) {
                    option = ConnectionOption.CLOSE;
                } else if (option == ConnectionOption.NONE && HttpHeaderValues.KEEP_ALIVE.contentEqualsIgnoreCase(name)) {
                    option = ConnectionOption.KEEP_ALIVE;
                }
                if (!name.isEmpty() && !protectedName(name)) {
                    headers.remove(name);
                }
            }
        }
        for (AsciiString name : ALWAYS) {
            headers.remove(name);
        }
        return option;
    }
}
